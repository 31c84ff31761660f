"""Domain services: what the archive knows and does, with no Flask imports.

Each service takes the :class:`~patchwork.db.Database` and owns its transaction.
"""
