"""Adopting an original Patchwork deployment: its database (``legacy import``).

The original's MySQL schema is in ``docs/api-contract.md`` §5, its successor's
PostgreSQL one (the same tables in schema ``patchwork_archive``) in §9; docs/legacy.md walks
through a switch-over. The source database is only ever read.
"""
