"""Settings: UNTXT_* variables, embedded defaults under the data dir, and CLI overrides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from untxt.config import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No UNTXT_* variables and no ``.env`` from the developer's shell or checkout."""
    for name in list(os.environ):
        if name.startswith("UNTXT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_put_database_and_blobs_under_the_data_dir(tmp_path: Path) -> None:
    """With nothing configured, SQLite and the blob folder live in ``./untxt-data``."""
    settings = Settings()
    data_dir = (tmp_path / "untxt-data").resolve()

    assert settings.database_url == f"sqlite:///{data_dir / 'untxt.db'}"
    assert settings.storage_url == (data_dir / "blobs").as_uri()
    assert settings.host == "127.0.0.1"
    assert settings.workers >= 1


def test_environment_variables_configure_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every field is read from its UNTXT_-prefixed variable, converted to its type."""
    monkeypatch.setenv("UNTXT_PORT", "9123")
    monkeypatch.setenv("UNTXT_MAX_PAGES", "7")
    monkeypatch.setenv("UNTXT_LOG_JSON", "true")
    monkeypatch.setenv("UNTXT_DATABASE_URL", "postgresql://db.example/untxt")

    settings = Settings()

    assert (settings.port, settings.max_pages, settings.log_json) == (9123, 7, True)
    assert settings.database_url == "postgresql://db.example/untxt"


def test_dotenv_file_in_the_working_directory_is_read(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``.env`` file next to the process configures it; the environment wins over it."""
    (clean_environment / ".env").write_text("UNTXT_PORT=7001\nUNTXT_MAX_ATTEMPTS=9\n")
    monkeypatch.setenv("UNTXT_MAX_ATTEMPTS", "2")

    settings = Settings()

    assert settings.port == 7001
    assert settings.max_attempts == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [("port", "70000"), ("workers", "-1"), ("max_pages", "0"), ("worker_nice", "20")],
)
def test_out_of_range_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A bad variable stops startup rather than running with a silly value."""
    monkeypatch.setenv(f"UNTXT_{name.upper()}", value)

    with pytest.raises(ValidationError, match=name):
        Settings()


def test_explicit_urls_are_kept_as_given(tmp_path: Path) -> None:
    """Configured URLs are not replaced by data-dir defaults."""
    settings = Settings(data_dir=tmp_path, database_url="sqlite:///x.db", storage_url="file:///b")

    assert (settings.database_url, settings.storage_url) == ("sqlite:///x.db", "file:///b")


def test_overriding_data_dir_moves_the_derived_urls(tmp_path: Path) -> None:
    """Database and blob defaults follow a new data dir."""
    settings = Settings(data_dir=tmp_path / "a").with_overrides(data_dir=tmp_path / "b")

    assert settings.database_url == f"sqlite:///{tmp_path / 'b' / 'untxt.db'}"
    assert settings.storage_url == (tmp_path / "b" / "blobs").as_uri()


def test_overriding_data_dir_keeps_explicit_urls(tmp_path: Path) -> None:
    """A configured database stays put when only the data dir changes."""
    settings = Settings(data_dir=tmp_path / "a", database_url="postgresql://db/untxt")

    moved = settings.with_overrides(data_dir=tmp_path / "b")

    assert moved.database_url == "postgresql://db/untxt"
    assert moved.storage_url == (tmp_path / "b" / "blobs").as_uri()


def test_derived_urls_still_follow_data_dir_after_an_earlier_override(tmp_path: Path) -> None:
    """Overrides chain: changing another field first does not pin the derived URLs."""
    settings = Settings(data_dir=tmp_path / "a").with_overrides(port=9000)

    moved = settings.with_overrides(data_dir=tmp_path / "b")

    assert moved.port == 9000
    assert moved.database_url == f"sqlite:///{tmp_path / 'b' / 'untxt.db'}"
    assert moved.storage_url == (tmp_path / "b" / "blobs").as_uri()


def test_none_overrides_change_nothing(tmp_path: Path) -> None:
    """CLI flags left unset arrive as ``None`` and keep the configured values."""
    settings = Settings(data_dir=tmp_path, port=8123)

    assert settings.with_overrides(port=None, data_dir=None) is settings


def test_load_settings_applies_overrides_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CLI flag beats the variable; unset flags leave the variable's value."""
    monkeypatch.setenv("UNTXT_PORT", "1234")
    monkeypatch.setenv("UNTXT_MAX_PAGES", "5")

    settings = load_settings(port=4321, max_pages=None)

    assert settings.port == 4321
    assert settings.max_pages == 5
