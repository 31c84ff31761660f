from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from patchwork.db import Database
from patchwork.db.migrate import (
    current_revision,
    head_revision,
    is_current,
    scripts_head_revision,
    upgrade,
)
from patchwork.db.models import Base, Channel, Video


def test_migrations_build_exactly_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": _made_on(connection.dialect.name)},
        )
        assert compare_metadata(context, Base.metadata) == []


def _made_on(dialect: str) -> Callable[..., bool]:
    """Alembic compares every model index; one made for another database only (``ddl_if``,
    e.g. PostgreSQL's NULLS LAST order) is not expected here."""

    def include(obj: object, _name: object, kind: str, reflected: bool, _other: object) -> bool:
        if kind != "index" or reflected:
            return True
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


def test_the_declared_head_is_the_migrations_head() -> None:
    """SCHEMA_HEAD (compared without Alembic at start-up) follows the newest migration."""
    assert head_revision() == scripts_head_revision()


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
