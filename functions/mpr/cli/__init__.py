"""The `mpr` command line. Subcommands load lazily so `mpr --help` stays fast."""

from __future__ import annotations

import importlib
import sys

import click

COMMANDS = {
    "transcode": ("mpr.cli.transcode", "Transcode a local file on the embedded default."),
    "serve": ("mpr.cli.serve", "Serve the jobs API and run the local worker."),
    "keys": ("mpr.cli.keys", "Manage API keys."),
    "cloud": ("mpr.cli.cloud", "Check a deployed stack against its account; redrive uploads."),
    "estimate": ("mpr.cli.estimate", "Predict a job's wall time and cost on Lambda."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported from `COMMANDS` only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command: click.Command = importlib.import_module(COMMANDS[cmd_name][0]).command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup)
@click.version_option(package_name="mpr")
def cli() -> None:
    """MPR: chunked, parallel FFmpeg transcoding."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors and invalid input exit 2 with one `error:` line."""
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted", 130)
    except click.ClickException as exc:
        fail(exc.format_message(), 2 if isinstance(exc, click.UsageError) else exc.exit_code)


def fail(message: str, code: int) -> None:
    """Print `error: <message>` on one line of stderr and exit."""
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(code)
