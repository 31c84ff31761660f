"""Looking after what is stored: statistics providers, ``storage scan`` and ``storage migrate``.

Decision 0006 (storage statistics are entry points).
"""
