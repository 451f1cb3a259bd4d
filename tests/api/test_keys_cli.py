"""`mpr keys`: the key is printed once (last line), stored hashed, and can be revoked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from mpr.adapters.api_keys import SqliteApiKeyStore, authenticate, hash_key
from mpr.cli import cli


def test_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "ci robot", "--data-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    store = SqliteApiKeyStore(tmp_path / "keys.db")
    record = authenticate(store, key)
    assert record is not None
    assert record.name == "ci robot"
    assert key.encode() not in (tmp_path / "keys.db").read_bytes()

    listed = runner.invoke(cli, ["keys", "list", "--data-dir", str(tmp_path)])
    assert f"{record.key_id}\tci robot" in listed.output
    assert key not in listed.output

    revoked = runner.invoke(cli, ["keys", "revoke", record.key_id, "--data-dir", str(tmp_path)])
    assert revoked.exit_code == 0
    assert authenticate(store, key) is None
    missing = runner.invoke(cli, ["keys", "revoke", "nope", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1
    assert "no API key with id nope" in missing.output


def test_an_admin_key_is_marked_and_listed(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "ops", "--admin", "--data-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    record = authenticate(SqliteApiKeyStore(tmp_path / "keys.db"), created.output.split()[-1])
    assert record is not None
    assert record.admin
    plain = runner.invoke(cli, ["keys", "create", "ci", "--data-dir", str(tmp_path)])
    listed = runner.invoke(cli, ["keys", "list", "--data-dir", str(tmp_path)]).output
    assert listed.splitlines()[0].endswith("\tactive\tadmin")
    assert listed.splitlines()[1].endswith("\tactive\town")
    assert "admin" not in plain.output.splitlines()[0]


def test_a_key_file_from_before_admin_keys_still_opens(tmp_path: Path) -> None:
    # Given a keys.db written before keys had an admin flag
    with sqlite3.connect(tmp_path / "keys.db") as db:
        db.execute(
            "CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
            " key_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
            " revoked INTEGER NOT NULL DEFAULT 0)"
        )
        db.execute(
            "INSERT INTO api_keys VALUES (?, ?, ?, ?, 0)",
            ("abc", "old", hash_key("mpr_abc_secret"), "2026-01-01T00:00:00+00:00"),
        )
    # Then its keys still authenticate, as plain (not admin) keys
    record = authenticate(SqliteApiKeyStore(tmp_path / "keys.db"), "mpr_abc_secret")
    assert record is not None
    assert (record.key_id, record.admin) == ("abc", False)
