"""The posting policy: schema and loading, per-comment decisions, the sanctions ladder."""
