"""Use cases of the catalog: one handler per command, each one transaction."""
