"""Domain operations that read and write the database. Views, tasks and the CLI call these."""
