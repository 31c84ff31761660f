from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from patchwork.db import Database
from patchwork.db.migrate import current_revision, head_revision, is_current, upgrade
from patchwork.db.models import Base, Channel, Video


def test_migrations_build_exactly_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_safe_to_run_again(db: Database) -> None:
    assert is_current(db)
    upgrade(db)
    upgrade(db)
    assert current_revision(db) == head_revision()


@pytest.mark.parametrize(
    "title",
    [
        "夜に駆ける",
        "🎤🌟 emoji 𠮷野家",
        "Ｆｕｌｌ　ｗｉｄｔｈ",
        "Ελληνικά — «quotes»",
        "a" * 70_000,
    ],
)
def test_text_round_trips(db: Database, title: str) -> None:
    with db.transaction() as session:
        session.add(Video(video_id="v1", title=title, channel_id="c", channel_name=title))
        session.add(Channel(channel_id="c", name=title))
    with db.reading() as session:
        video = session.scalars(select(Video)).one()
        assert video.title == title and video.channel_name == title
        assert session.scalars(select(Channel.name)).one() == title


def test_video_ids_are_unique_and_case_sensitive(db: Database) -> None:
    with db.transaction() as session:
        session.add(Video(video_id="dQw4w9WgXcQ", title="a", channel_id="c", channel_name="n"))
        session.add(Video(video_id="DQW4W9WGXCQ", title="b", channel_id="c", channel_name="n"))
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(Video(video_id="dQw4w9WgXcQ", title="c", channel_id="c", channel_name="n"))
    with db.reading() as session:
        found = session.scalars(select(Video.title).where(Video.video_id == "dQw4w9WgXcQ")).all()
        assert list(found) == ["a"]
