"""`mpr keys`: the key is printed once (last line), stored hashed, and can be revoked."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mpr.adapters.api_keys import SqliteApiKeyStore, authenticate
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
