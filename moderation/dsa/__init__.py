"""The EU Digital Services Act: statements of reasons (Art. 17) in the schema of the
Commission's Transparency Database (Art. 24(5)). Pure code: no Flask, no database.

``vocabulary`` holds the schema's enumerations (plain data), ``schema`` the validating model
of one statement, ``build`` turns a decision into a statement. See docs/dsa.md.
"""
