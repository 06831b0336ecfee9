"""ticketing_svc tests: factories and fakes live beside this file (ticketing_factories, ticketing_fakes)."""
