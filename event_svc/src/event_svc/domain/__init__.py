"""The catalog's business rules in plain Python: no framework, database or wire format here."""
