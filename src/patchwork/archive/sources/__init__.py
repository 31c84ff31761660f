"""Subscriptions: sources (channels, playlists, feeds) that workers scan on a schedule.

- :mod:`.urls` names a source by its normalised URL, so one channel is one source however
  its URL was spelled;
- :mod:`.rules` holds what a source keeps or drops (filters) and what its jobs are asked for
  (archive options), and reads an entry's verdict;
- :mod:`.catalog` adds, changes, lists and removes sources; :mod:`.listing` builds their
  records with their counts, and the JSON shape the API and the CLI show;
- :mod:`.scheduling` turns due sources into scan jobs as workers claim work (no daemon);
- :mod:`.entries` takes the pages of entries a scanning worker reports, queues archive jobs
  for the new ones and keeps the scan's checkpoint;
- :mod:`.imports` reads a list of sources from a file (lines, OPML, YouTube Takeout CSV).

The scan job kind itself is :mod:`patchwork.archive.queue.kinds.scan`. Why scans run on
workers and how they are scheduled: docs/decisions/0118-scans-run-on-workers.md.
"""
