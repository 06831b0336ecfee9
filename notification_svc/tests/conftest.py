"""notification_svc tests: factories and fakes live beside this file (notification_fakes)."""
