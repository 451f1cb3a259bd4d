"""A dashboard and alarms: failed executions, function errors and throttles, uploads the
trigger could not start, API 5xx answers and DynamoDB throttling."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import DeployConfig
from infra.constructs.functions import pascal_case

_PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    """Alarms notify an encrypted, TLS-only topic; the dashboard shows the pipeline at a glance."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        state_machine: sfn.StateMachine,
        functions: Mapping[str, lambda_.IFunction],
        failed_uploads: sqs.IQueue,
        rest_api: apigw.RestApi,
        tables: Mapping[str, dynamodb.ITable],
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions = dict(functions)
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            enforce_ssl=True,
            master_key=kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns"),
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: list[cloudwatch.Alarm] = [
            self._alarm("ExecutionsFailed", state_machine.metric_failed(period=_PERIOD)),
            self._alarm("ExecutionsTimedOut", state_machine.metric_timed_out(period=_PERIOD)),
        ]
        for name, function in functions.items():
            self.alarms.append(
                self._alarm(f"{pascal_case(name)}Errors", function.metric_errors(period=_PERIOD))
            )
            self.alarms.append(
                self._alarm(
                    f"{pascal_case(name)}Throttles", function.metric_throttles(period=_PERIOD)
                )
            )
        self.alarms.append(
            self._alarm(
                "UploadsNotStarted",
                failed_uploads.metric_approximate_number_of_messages_visible(period=_PERIOD),
            )
        )
        self.alarms.append(self._alarm("Api5xx", rest_api.metric_server_error(period=_PERIOD)))
        for name, table in tables.items():
            for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
                self.alarms.append(
                    self._alarm(
                        f"{name}{metric}",
                        table.metric(metric, period=_PERIOD, statistic="Sum"),
                    )
                )
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"mpr-{config.stage}"
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Executions",
                left=[
                    state_machine.metric_started(period=_PERIOD),
                    state_machine.metric_succeeded(period=_PERIOD),
                    state_machine.metric_failed(period=_PERIOD),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Execution time",
                left=[state_machine.metric_time(period=_PERIOD, statistic="p90")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            *(
                cloudwatch.GraphWidget(
                    title=name,
                    left=[function.metric_errors(period=_PERIOD)],
                    right=[function.metric_duration(period=_PERIOD, statistic="p90")],
                    width=6,
                )
                for name, function in functions.items()
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24)
        )

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        return alarm
