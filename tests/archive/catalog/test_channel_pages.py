"""Channel pages read off the index from the nearer end are the same pages (issue 17):
newest upload first, undated last, ties by newest archived, on every database."""

from __future__ import annotations

from patchwork.archive.catalog.videos import channel_videos
from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.db import Database
from support.archive_samples import info

CHANNEL = "UCpaged00000000000000000"
DATES = ["20240105", "", "20240101", "20240105", "20230301", "", "20240220", "20240101"]


def test_every_page_is_the_slice_of_the_whole_order(db: Database) -> None:
    for n, day in enumerate(DATES):
        meta = info(f"paged{n:06d}", f"song {n}", channel_id=CHANNEL, upload_date=day)
        if not day:
            del meta["upload_date"]
        ingest_metadata(db, parse_info(meta))
    # The whole order, by the rule: dated newest first (ties: archived later first), undated.
    archived = {f"paged{n:06d}": n for n in range(len(DATES))}
    dated = sorted(
        (n for n, day in enumerate(DATES) if day), key=lambda n: (DATES[n], n), reverse=True
    )
    undated = sorted((n for n, day in enumerate(DATES) if not day), reverse=True)
    expected = [f"paged{n:06d}" for n in dated + undated]
    for per_page in (1, 3, 5):
        pages = -(-len(DATES) // per_page)
        seen: list[str] = []
        for page in range(1, pages + 2):
            found = channel_videos(db, CHANNEL, page=page, per_page=per_page)
            assert found is not None
            assert found.total == len(DATES)
            seen += [v.video_id for v in found.items]
        assert seen == expected, (per_page, [archived[v] for v in seen])
