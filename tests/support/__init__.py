"""Test helpers: fixture plugins (listed in tests/conftest.py) and sample builders."""
