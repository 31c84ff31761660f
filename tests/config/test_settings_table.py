"""The declared settings table: README lists it as it is, every value is checked at load,
and the typed Settings built from it are what the rest of the server reads."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from patchwork.config import SETTINGS, ConfigError, Settings, declared, load_settings
from patchwork.config import values as kinds
from patchwork.ops.settings import from_settings
from support.bad_settings import BAD_VALUES, FREE_FORM

README = Path(__file__).resolve().parents[2] / "README.md"
NO_ENV_FILE = Path("/nonexistent/.env")


def load(tmp_path: Path, **env: str) -> Settings:
    return load_settings(
        {"PATCHWORK_INSTANCE_PATH": str(tmp_path / "inst"), **env}, env_file=NO_ENV_FILE
    )


# -- README ---------------------------------------------------------------------------------


def readme_rows(text: str) -> list[list[str]]:
    """The rows of every table whose header is ``| setting | default | …``."""
    rows: list[list[str]] = []
    in_table = False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")] if "|" in line else []
        if cells[:2] == ["setting", "default"]:
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and not set(line) <= set("|- "):
            rows.append(cells)
    return rows


def settings_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]


def test_readme_settings_section_lists_the_declared_table() -> None:
    rows = readme_rows(settings_section())
    listed = [row[0].strip("`") for row in rows]
    assert sorted(listed) == sorted(s.name for s in SETTINGS), "README differs from the table"
    assert len(listed) == len(set(listed)), "a setting is listed twice"
    for name, default, meaning in rows:
        setting = declared(name.strip("`"))
        assert default == setting.documented_default, name
        assert meaning == setting.doc, name
        for alias in setting.aliases:
            assert f"`{alias}`" in meaning, f"{name}: README does not name {alias}"


def test_every_other_readme_table_agrees_on_defaults() -> None:
    # "Operating Patchwork" lists the rate limits again, with what each applies to.
    for name, default, *_ in readme_rows(README.read_text(encoding="utf-8")):
        assert default == declared(name.strip("`")).documented_default, name


def test_the_readme_check_reads_tables() -> None:
    sample = "| setting | default | meaning |\n| --- | --- | --- |\n| `A` | `1` | one |\n\nprose\n"
    assert readme_rows(sample) == [["`A`", "`1`", "one"]]


# -- the table and Settings ----------------------------------------------------------------


def test_every_settings_field_is_one_declared_setting() -> None:
    declared_fields = [s.field for s in SETTINGS if s.field is not None]
    assert sorted(declared_fields) == sorted(f.name for f in fields(Settings))
    assert len(declared_fields) == len(set(declared_fields))


def test_settings_made_in_code_are_what_loading_gives_with_nothing_set(tmp_path: Path) -> None:
    loaded = load(tmp_path)
    made = Settings(
        instance_path=loaded.instance_path,
        database_url=loaded.database_url,
        storage_url=loaded.storage_url,
    )
    assert made == loaded
    assert loaded.database_url == f"sqlite:///{tmp_path / 'inst' / 'patchwork.db'}"
    assert (loaded.log_format, loaded.storage_layout, loaded.rate_limit_worker) == (
        "text",
        "patchwork",
        None,
    )


def test_a_relative_instance_path_is_made_absolute_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"PATCHWORK_INSTANCE_PATH": "here"}, env_file=NO_ENV_FILE)
    assert settings.instance_path == tmp_path / "here"
    assert settings.storage_url == f"file://{tmp_path / 'here' / 'archive'}"


def test_every_setting_has_a_bad_value_here_or_is_free_form() -> None:
    names = {name for s in SETTINGS for name in s.names}
    assert set(BAD_VALUES) | FREE_FORM == names
    assert not set(BAD_VALUES) & FREE_FORM
    for name in FREE_FORM:
        assert declared(name).parse is kinds.text, name


@pytest.mark.parametrize(("name", "bad"), sorted(BAD_VALUES.items()))
def test_a_bad_value_of_any_setting_stops_loading_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, bad: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, **{name: bad})
    message = str(raised.value)
    assert message.startswith(name) and "\n" not in message


def test_all_bad_values_are_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, PATCHWORK_LOG_FORMAT="bogus", PATCHWORK_STORAGE_LAYOUT="bogus")
    assert "PATCHWORK_LOG_FORMAT" in str(raised.value)
    assert "PATCHWORK_STORAGE_LAYOUT" in str(raised.value)


def test_a_bad_original_name_is_reported_even_when_the_new_one_wins(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^RESULTS_PER_PAGE must"):
        load(tmp_path, PATCHWORK_RESULTS_PER_PAGE="30", RESULTS_PER_PAGE="lots")


def test_passwords_are_never_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, PATCHWORK_RATE_LIMIT_STORAGE="bogus://user:s3cret@host")
    assert "s3cret" not in str(raised.value)


def test_values_are_typed(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        PATCHWORK_LOG_FORMAT=" JSON ",
        PATCHWORK_RATE_LIMITS="off",
        PATCHWORK_RATE_LIMIT_WRITE="unlimited",
        PATCHWORK_TRUSTED_PROXIES='"2"',
        PATCHWORK_STORAGE_LAYOUT="legacy",
        PATCHWORK_LEGACY_CONTENT_URL="s3://content/prefix",
        PATCHWORK_CORS_ORIGINS="https://a.example, https://b.example",
    )
    assert settings.log_format == "json" and settings.rate_limits is False
    assert settings.rate_limit_write is None and settings.trusted_proxies == 2
    assert settings.storage_layout == "legacy"
    assert settings.legacy_content_url == "s3://content/prefix"
    assert settings.legacy_video_url is None  # the storage URL, worked out where it is used
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_operations_read_the_typed_values(tmp_path: Path) -> None:
    ops = from_settings(load(tmp_path, PATCHWORK_REDIS_URL="redis://cache:6379/0"))
    assert ops.limits_storage_url == "redis://cache:6379/0"  # counters follow the cache
    ops = from_settings(load(tmp_path, PATCHWORK_RATE_LIMIT_STORAGE="memcached://m:11211"))
    assert ops.limits_storage_url == "memcached://m:11211"
    assert from_settings(load(tmp_path)).limits_storage_url == "memory://"


def test_unknown_storage_schemes_name_the_installed_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no storage backend for 'gs' URLs \(installed: .*s3"):
        load(tmp_path, PATCHWORK_STORAGE_URL="gs://bucket/prefix")


def test_a_database_driver_typo_is_found_at_load(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PATCHWORK_DATABASE_URL: no database driver"):
        load(tmp_path, PATCHWORK_DATABASE_URL="postgresql+psycopq://u@h/db")


def test_cloudflare_statistics_need_their_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="PATCHWORK_CLOUDFLARE_ACCOUNT_ID"):
        load(tmp_path, PATCHWORK_STORAGE_STATS="cloudflare-r2")
    # The original's config.ini [storage] keys count.
    (tmp_path / "config.ini").write_text(
        "[storage]\naccountID = acc\nbucket_name = b\napi_token = t\n", encoding="utf-8"
    )
    settings = load(tmp_path, PATCHWORK_STORAGE_STATS="cloudflare-r2")
    assert (settings.cloudflare_account_id, settings.cloudflare_bucket) == ("acc", "b")
    assert "'t'" not in repr(settings)  # secrets stay out of repr


def test_a_config_ini_that_cannot_be_parsed_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.ini").write_text("[database\nhost = x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^PATCHWORK_CONFIG: cannot parse") as raised:
        load(tmp_path)
    assert "\n" not in str(raised.value)


def test_config_ini_database_host_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.ini").write_text("[database]\nhost = db:high\ndatabase = d\n")
    with pytest.raises(ConfigError, match=r"config.ini \[database\] host"):
        load(tmp_path)


# -- with_environment ----------------------------------------------------------------------


def test_with_environment_reads_values_as_loading_does(tmp_path: Path) -> None:
    base = load(tmp_path)
    changed = base.with_environment(
        {"PATCHWORK_RATE_LIMITS": "off", "RESULTS_PER_PAGE": "9", "PATCHWORK_METRICS_TOKEN": "t"}
    )
    assert (changed.rate_limits, changed.results_per_page, changed.metrics_token) == (
        False,
        9,
        "t",
    )
    assert changed.with_environment({"PATCHWORK_METRICS_TOKEN": ""}).metrics_token is None
    assert changed.database_url == base.database_url


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"PATCHWORK_LOG_FROMAT": "json"}, "PATCHWORK_LOG_FROMAT is not a setting"),
        ({"DB_HOST": "db"}, "DB_HOST is only read by load_settings"),
        ({"PATCHWORK_TRUSTED_PROXIES": "two"}, "PATCHWORK_TRUSTED_PROXIES must be"),
        ({"PATCHWORK_DATABASE_URL": ""}, "PATCHWORK_DATABASE_URL: needs a value"),
    ],
)
def test_with_environment_refuses_what_loading_would(
    tmp_path: Path, environment: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        load(tmp_path).with_environment(environment)
