"""`mpr cloud`: check a deployed stack against its account, redrive failed uploads."""

from __future__ import annotations

import click

stack_option = click.option("--stack", "stack_name", default="Mpr-dev", show_default=True)
region_option = click.option("--region", default=None, help="default: the AWS configuration's")


@click.group(name="cloud")
def command() -> None:
    """Operate a deployed stack (uses the AWS credentials of the environment)."""


@command.command("check")
@stack_option
@region_option
def check(stack_name: str, region: str | None) -> None:
    """Say what the account's Lambda concurrency will throttle in the deployed stack."""
    import boto3

    from mpr.adapters.aws_capacity import read_capacity
    from mpr.core.capacity import throttling_report

    capacity = read_capacity(
        boto3.client("cloudformation", region_name=region),
        boto3.client("lambda", region_name=region),
        boto3.client("stepfunctions", region_name=region),
        stack_name,
    )
    click.echo(
        f"account: {capacity.account_concurrency} concurrent executions, "
        f"{capacity.unreserved} unreserved; encode map width {capacity.map_width}; "
        f"{capacity.encode.name}: {capacity.encode.memory_mb} MB, reserved "
        f"{capacity.encode.reserved if capacity.encode.reserved is not None else 'none'}"
    )
    for sentence in throttling_report(capacity):
        click.echo(f"- {sentence}")


@command.command("redrive")
@stack_option
@region_option
def redrive_uploads(stack_name: str, region: str | None) -> None:
    """Hand the uploads the trigger gave up on back to it (the failed-uploads queue)."""
    import boto3

    from mpr.adapters.aws_capacity import redrive, stack_outputs

    outputs = stack_outputs(boto3.client("cloudformation", region_name=region), stack_name)
    count = redrive(
        boto3.client("sqs", region_name=region),
        boto3.client("lambda", region_name=region),
        outputs["FailedUploadsQueueUrl"],
        outputs["TriggerFunctionName"],
    )
    click.echo(f"redrove {count} upload event(s) to {outputs['TriggerFunctionName']}")
