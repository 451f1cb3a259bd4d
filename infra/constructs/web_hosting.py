"""The web UI: a private bucket served by CloudFront (Origin Access Control, HTTPS only)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Aws, CfnElement, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, IConstruct

from infra.config import DeployConfig
from infra.constructs.functions import REPO_ROOT

# Written by `npm run build --prefix web`.
UI_BUILD_DIR = REPO_ROOT / "functions" / "mpr" / "api" / "static"
# Read by the UI at start-up: `{"apiUrl": "https://<id>.execute-api.<region>.amazonaws.com/<stage>/"}`.
UI_CONFIG_FILE = "config.json"

# The build links its files under `/ui/` (Vite `base`, as `mpr serve` serves it); the bucket
# holds them at its root, so the viewer request drops that prefix.
STRIP_UI_PREFIX = """\
function handler(event) {
  var request = event.request;
  if (request.uri === "/ui" || request.uri === "/ui/") {
    request.uri = "/index.html";
  } else if (request.uri.startsWith("/ui/")) {
    request.uri = request.uri.substring(3);
  }
  return request;
}
"""

_NO_CACHE = [s3deploy.CacheControl.no_cache()]
# Vite puts a content hash in every file name under assets/.
_IMMUTABLE = [
    s3deploy.CacheControl.set_public(),
    s3deploy.CacheControl.max_age(Duration.days(365)),
    s3deploy.CacheControl.immutable(),
]


class WebHosting(Construct):
    """Bucket and distribution; `publish` puts the build and its `config.json` into the bucket."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, access_logs: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.DESTROY,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="web/",
        )
        # CloudFront's standard logs are written with object ACLs, which the other buckets
        # disable; this bucket takes them, and logs its own access like the others.
        self.viewer_logs = s3.Bucket(
            self,
            "ViewerLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            removal_policy=RemovalPolicy.DESTROY,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="web-viewer-logs/",
        )
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="MPR web UI: HSTS, CSP, no framing, no sniffing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    override=True,
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=_content_security_policy(),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"MPR {config.stage}: web UI",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.viewer_logs,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                        function=cloudfront.Function(
                            self,
                            "StripUiPrefix",
                            code=cloudfront.FunctionCode.from_inline(STRIP_UI_PREFIX),
                            runtime=cloudfront.FunctionRuntime.JS_2_0,
                            comment="/ui/... (the build's base path) -> bucket root",
                        ),
                    )
                ],
            ),
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        for finding, reason in (
            (
                "CFR1",
                "A self-hosted tool for its owner's users, wherever they are: no country is "
                "singled out.",
            ),
            (
                "CFR2",
                "Static files only, no WAF web ACL by default (a fixed monthly cost); the API "
                "behind the UI is throttled and keyed at API Gateway.",
            ),
            (
                "CFR4",
                "Served on the default *.cloudfront.net certificate, whose TLS policy CloudFront "
                "fixes; a custom domain with an ACM certificate and TLSv1.2_2021 lifts it.",
            ),
        ):
            Validations.of(self.distribution).acknowledge(
                Acknowledgment(id=f"AwsSolutions-{finding}", reason=reason)
            )

    def allow_transfers(self, uploads: s3.Bucket, outputs: s3.Bucket) -> None:
        """Let the UI's origin PUT presigned uploads, and any page GET presigned outputs.

        The API answers a file or HLS segment with a 307 to a presigned S3 URL; a browser that
        follows a redirect to another origin sends `Origin: null` there, which no list of
        origins admits. Reads are therefore allowed from every origin, without credentials:
        the presigned URL (signature, expiry) is what grants the object, not the origin."""
        uploads.add_cors_rule(
            allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.POST],
            allowed_origins=[self.url],
            allowed_headers=["*"],
            exposed_headers=["ETag"],  # multipart completion lists each part's ETag
            max_age=3600,
        )
        outputs.add_cors_rule(
            allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.HEAD],
            allowed_origins=["*"],
            allowed_headers=["Range"],
            exposed_headers=["Content-Length", "Content-Range", "ETag"],
            max_age=3600,
        )

    def publish(self, api_url: str, build_dir: Path = UI_BUILD_DIR) -> None:
        """`config.json` naming the API, and the built UI when `build_dir` has one."""
        built = (build_dir / "index.html").is_file()
        config = s3deploy.Source.json_data(UI_CONFIG_FILE, {"apiUrl": api_url})
        # Each deployment leaves the other's files alone when it prunes (`exclude`).
        s3deploy.BucketDeployment(
            self,
            "Pages",
            destination_bucket=self.bucket,
            sources=[s3deploy.Source.asset(str(build_dir)), config] if built else [config],
            exclude=["assets/*"],
            cache_control=_NO_CACHE,
        )
        if built:
            s3deploy.BucketDeployment(
                self,
                "Assets",
                destination_bucket=self.bucket,
                sources=[s3deploy.Source.asset(str(build_dir))],
                exclude=["*"],
                include=["assets/*"],
                cache_control=_IMMUTABLE,
            )
        self._acknowledge_deployment_handler()

    def _acknowledge_deployment_handler(self) -> None:
        """CDK's one BucketDeployment function per stack (a singleton beside this construct)."""
        stack = Stack.of(self)
        (handler,) = [
            child
            for child in stack.node.children
            if child.node.id.startswith("Custom::CDKBucketDeployment")
        ]
        for finding, reason in (
            (
                "L1",
                "CDK's BucketDeployment handler; aws-cdk-lib chooses and updates its runtime.",
            ),
            (
                "IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-"
                "<AWS::Region>/*]",
                "The deployment handler reads the UI's zipped build from the CDK asset bucket.",
            ),
            (
                f"IAM5[Resource::<{logical_id(self.bucket)}.Arn>/*]",
                "The deployment handler writes and prunes the UI's files in its own bucket.",
            ),
        ):
            Validations.of(handler).acknowledge(
                Acknowledgment(id=f"AwsSolutions-{finding}", reason=reason)
            )


def _content_security_policy() -> str:
    """Scripts and styles from the distribution only; API calls, presigned S3 transfers,
    signed media and hls.js's worker allowed."""
    aws = f"https://*.{Aws.URL_SUFFIX}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src 'self' {aws}",
            f"img-src 'self' data: blob: {aws}",
            f"media-src 'self' blob: {aws}",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        )
    )


def logical_id(construct: IConstruct) -> str:
    """The logical id of `construct`'s resource, as cdk-nag names it in a finding."""
    element = construct.node.default_child
    assert isinstance(element, CfnElement)
    stack = Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(element)))
