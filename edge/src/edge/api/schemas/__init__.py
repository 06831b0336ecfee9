"""Request and response bodies of the public API (`XCreate`, `XUpdate`, `XPublic`)."""
