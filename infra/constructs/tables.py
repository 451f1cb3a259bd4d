"""The DynamoDB jobs table (single-table design), the upload records of the API and the
upload function, and the idempotency table of the trigger."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.config import DeployConfig

_S = dynamodb.AttributeType.STRING


class JobTables(Construct):
    """`jobs`: PK/SK with status and creation-time indexes; `uploads`: one item per upload
    (`mpr.adapters.dynamo_uploads`); `idempotency`: powertools records."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        recovery = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)
        self.jobs = dynamodb.Table(
            self,
            "Jobs",
            partition_key=dynamodb.Attribute(name="PK", type=_S),
            sort_key=dynamodb.Attribute(name="SK", type=_S),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=recovery,
            time_to_live_attribute="ttl",
            deletion_protection=config.retain_data,
            removal_policy=removal,
        )
        self.jobs.add_global_secondary_index(
            index_name="by_status",
            partition_key=dynamodb.Attribute(name="status", type=_S),
            sort_key=dynamodb.Attribute(name="created_at", type=_S),
        )
        self.jobs.add_global_secondary_index(
            index_name="by_created",
            partition_key=dynamodb.Attribute(name="type", type=_S),
            sort_key=dynamodb.Attribute(name="created_at", type=_S),
        )
        self.uploads = dynamodb.Table(
            self,
            "Uploads",
            partition_key=dynamodb.Attribute(name="upload_id", type=_S),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=recovery,
            deletion_protection=config.retain_data,
            removal_policy=removal,
        )
        self.idempotency = dynamodb.Table(
            self,
            "Idempotency",
            partition_key=dynamodb.Attribute(name="id", type=_S),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=recovery,
            time_to_live_attribute="expiration",
            removal_policy=RemovalPolicy.DESTROY,
        )


# What `DynamoUploadStore` calls: a conditional PutItem for every write, a consistent GetItem.
UPLOAD_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem")
