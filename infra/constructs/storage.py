"""The input, output and work buckets, and the bucket that receives their access logs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import DeployConfig

WORK_PREFIX = "work/"


class Storage(Construct):
    """Private, TLS-only, encrypted buckets; work files expire, uploads are versioned."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
        )
        abort_uploads = s3.LifecycleRule(
            id="abort-incomplete-uploads",
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )
        cors = [
            s3.CorsRule(
                allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.POST],
                allowed_origins=list(config.upload_origins),
                allowed_headers=["*"],
                exposed_headers=["ETag"],
                max_age=3600,
            )
        ]
        self.input = self._bucket(
            "Input",
            removal,
            versioned=True,
            cors=cors if config.upload_origins else None,
            lifecycle_rules=[
                abort_uploads,
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(30),
                ),
            ],
        )
        self.output = self._bucket("Output", removal, lifecycle_rules=[abort_uploads])
        self.work = self._bucket(
            "Work",
            RemovalPolicy.DESTROY,
            lifecycle_rules=[
                abort_uploads,
                s3.LifecycleRule(
                    id="expire-work-files",
                    prefix=WORK_PREFIX,
                    expiration=Duration.days(config.work_expiry_days),
                ),
            ],
        )

    def _bucket(
        self,
        construct_id: str,
        removal: RemovalPolicy,
        *,
        lifecycle_rules: list[s3.LifecycleRule],
        versioned: bool = False,
        cors: list[s3.CorsRule] | None = None,
    ) -> s3.Bucket:
        return s3.Bucket(
            self,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            cors=cors,
            lifecycle_rules=lifecycle_rules,
            removal_policy=removal,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{construct_id.lower()}/",
        )
