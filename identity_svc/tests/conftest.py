"""identity_svc tests: the fakes live beside this file (identity_fakes)."""
