"""`mpr keys`: create, list and revoke API keys (stored hashed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mpr.adapters.api_keys import ApiKeyStore
from mpr.settings import Settings

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), help="embedded data directory"
)


def _store(data_dir: Path | None) -> ApiKeyStore:
    from mpr.services import key_store

    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    return key_store(Settings(**overrides))


@click.group(name="keys")
def command() -> None:
    """Manage API keys."""


@command.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="the key sees every key's jobs and uploads")
@data_dir_option
def create(name: str, admin: bool, data_dir: Path | None) -> None:
    """Make a key called NAME; the key is printed once, as the last line."""
    from mpr.adapters.api_keys import create_key

    record, secret = create_key(_store(data_dir), name, admin=admin)
    scope = "admin, sees every key's jobs" if admin else "sees its own jobs"
    click.echo(
        f"key id {record.key_id} ({record.name}, {scope}); store it now, it is not shown again:"
    )
    click.echo(secret)


@command.command("list")
@data_dir_option
def list_keys(data_dir: Path | None) -> None:
    """Show every key (ids and names, never the keys)."""
    for key in _store(data_dir).list():
        state = "revoked" if key.revoked else "active"
        scope = "admin" if key.admin else "own"
        click.echo(f"{key.key_id}\t{key.name}\t{key.created_at:%Y-%m-%d %H:%M}\t{state}\t{scope}")


@command.command("revoke")
@click.argument("key_id")
@data_dir_option
def revoke(key_id: str, data_dir: Path | None) -> None:
    """Revoke the key with id KEY_ID."""
    from mpr.core.errors import NotFoundError

    try:
        _store(data_dir).revoke(key_id)
    except NotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"revoked {key_id}")
