"""The archive's services: what it knows and does, in rooms by concept, with no Flask imports.

Each service takes the :class:`~patchwork.db.Database` and owns its transaction. The rooms:

- :mod:`~patchwork.archive.catalog`: reading videos, channels, pages and their records;
- :mod:`~patchwork.archive.media`: what ``/media`` serves, the storage layout, captions;
- :mod:`~patchwork.archive.ingest`: metadata, targets, the one writer of a video's files,
  folder import;
- :mod:`~patchwork.archive.queue`: jobs, leases, staging, completion, workers;
- :mod:`~patchwork.archive.search`: queries, plans, terms and the index;
- :mod:`~patchwork.archive.maintenance`: statistics, storage scan and migration;
- :mod:`~patchwork.archive.tokens`: queue and worker tokens (shared by the API and the CLI).

Dependencies point one way: ``queue`` uses ``ingest``, which uses ``media`` and ``search``;
``catalog`` and ``maintenance`` read what the others wrote. ``docs/decisions/0112`` says why.
"""

# Every ORM session that writes videos or channels must keep the search index, the channel
# counts and the availability counts in step, and every writer lives below this package:
# importing it hooks them once.
from patchwork.archive.availability import totals as _availability_totals
from patchwork.archive.catalog import channel_names as _channel_names
from patchwork.archive.search import indexing as _indexing  # noqa: F401

_channel_names.register()
_availability_totals.register()
