"""Notification domain: plain Python, no I/O frameworks."""
