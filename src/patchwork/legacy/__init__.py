"""Adopting an original Patchwork deployment: its MySQL database (``legacy import``).

The original's schema is in ``../shared/API-CONTRACT.md`` §5; docs/legacy.md walks through a
switch-over. The source database is only ever read.
"""
