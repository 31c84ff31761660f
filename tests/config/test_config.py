from __future__ import annotations

from pathlib import Path

import pytest

from patchwork.config import ConfigError, load_settings

NO_ENV_FILE = Path("/nonexistent/.env")


def load(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    base = {"PATCHWORK_INSTANCE_PATH": str(tmp_path / "inst")}
    base.update(env)
    return load_settings(base, env_file=NO_ENV_FILE)


def test_defaults_need_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'inst' / 'patchwork.db'}"
    assert settings.storage_url == f"file://{tmp_path / 'inst' / 'archive'}"
    assert settings.results_per_page == 14 and settings.media_redirect == "proxy"
    assert settings.cors_origins == ("*",)


def test_legacy_environment_starts_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load(
        tmp_path,
        DB_HOST="db.example",
        DB_DATABASE="patchwork_archive",
        DB_USERNAME="pw",
        DB_PASSWORD="p@ss:word/",
        RESULTS_PER_PAGE='"9"',
        RESULTS_PER_PAGE_CHANNEL="20",
    )
    assert settings.database_url.startswith("mysql+pymysql://pw:p%40ss%3Aword%2F@db.example/")
    assert settings.database_url.endswith("patchwork_archive?charset=utf8mb4")
    assert settings.results_per_page == 9 and settings.results_per_page_channel == 20
    # The successor's DB_PORT is honoured, over a port in DB_HOST too.
    ported = load(tmp_path, DB_HOST="db.example:3307", DB_PORT="3310", DB_DATABASE="pa")
    assert ported.database_url.startswith("mysql+pymysql://db.example:3310/pa?")
    # PATCHWORK_* wins over the legacy names.
    assert (
        load(tmp_path, RESULTS_PER_PAGE="9", PATCHWORK_RESULTS_PER_PAGE="30").results_per_page == 30
    )


def test_config_ini_database_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.ini").write_text(
        "[database]\nhost = 10.0.0.5:3307\nuser = arch\npassword = s3cret\ndatabase = songs_db\n"
        "ssh_host =\n[site]\ndomain = example.org\n"
    )
    settings = load(tmp_path)
    assert (
        settings.database_url
        == "mysql+pymysql://arch:s3cret@10.0.0.5:3307/songs_db?charset=utf8mb4"
    )
    assert "s3cret" not in settings.redacted_database_url()
    other = tmp_path / "other.ini"
    other.write_text("[database]\nhost=h\ndatabase=d\n")
    assert load(tmp_path, PATCHWORK_CONFIG=str(other)).database_url.startswith(
        "mysql+pymysql://h/d"
    )


def test_dotenv_is_read_but_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env_file = tmp_path / ".env"
    env_file.write_text("PATCHWORK_RESULTS_PER_PAGE=21\nPATCHWORK_REDIS_URL=redis://r:6379/0\n")
    settings = load_settings(
        {"PATCHWORK_INSTANCE_PATH": str(tmp_path), "PATCHWORK_RESULTS_PER_PAGE": "22"},
        env_file=env_file,
    )
    assert settings.results_per_page == 22 and settings.redis_url == "redis://r:6379/0"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PATCHWORK_DATABASE_URL": "not a url"}, "PATCHWORK_DATABASE_URL"),
        ({"PATCHWORK_DATABASE_URL": "oracle://x/y"}, "PATCHWORK_DATABASE_URL"),
        ({"PATCHWORK_STORAGE_URL": "ftp://x"}, "PATCHWORK_STORAGE_URL"),
        ({"PATCHWORK_STORAGE_URL": "s3://"}, "PATCHWORK_STORAGE_URL"),
        ({"PATCHWORK_MEDIA_REDIRECT": "sometimes"}, "PATCHWORK_MEDIA_REDIRECT"),
        ({"PATCHWORK_REDIS_URL": "localhost:6379"}, "PATCHWORK_REDIS_URL"),
        ({"RESULTS_PER_PAGE": "lots"}, "RESULTS_PER_PAGE"),
        ({"PATCHWORK_RESULTS_PER_PAGE": "0"}, "PATCHWORK_RESULTS_PER_PAGE"),
        ({"DB_HOST": "h"}, "DB_DATABASE"),
        ({"DB_DATABASE": "d", "DB_PORT": "high"}, "DB_PORT"),
        ({"PATCHWORK_CONFIG": "/no/such.ini"}, "PATCHWORK_CONFIG"),
    ],
)
def test_bad_settings_name_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=named):
        load(tmp_path, **env)
