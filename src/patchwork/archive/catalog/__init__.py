"""Reading the archive: videos, channels, listings and pages, and the records they hand out.

Everything here reads; the only write is a view count. Records (``records.py``) are plain
dataclasses, so no ORM object leaves a session. Decisions: 0003 (contract quirks kept), 0701
(pages call services and share the cache).
"""
