"""event_svc tests: factories and fakes live beside this file (catalog_factories, catalog_fakes)."""
