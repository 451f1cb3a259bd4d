"""Web UI hosting: private bucket behind CloudFront (OAC), headers, config.json, deployments."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from infra_support import Synthesized, resolve

from infra.config import DeployConfig
from infra.constructs.web_hosting import STRIP_UI_PREFIX, WebHosting

# the session's one in-process synth (with cdk-nag): ~10 s
pytestmark = [pytest.mark.infra, pytest.mark.slow]


def only(synth: Synthesized, kind: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = synth.resources(kind).items()
    return logical_id, resource["Properties"]


def web_bucket(synth: Synthesized) -> str:
    ref: str = synth.template["Outputs"]["WebBucketName"]["Value"]["Ref"]
    return ref


def deployments(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "Custom::CDKBucketDeployment"
    }


def test_ui_bucket_is_private_tls_only_and_logged(synthesized: Synthesized) -> None:
    bucket_id = web_bucket(synthesized)
    props = synthesized.resources("AWS::S3::Bucket")[bucket_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "WebsiteConfiguration" not in props
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in synthesized.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    denials = [s["Condition"] for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in denials
    storage_logs = props["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    input_id = synthesized.template["Outputs"]["InputBucketName"]["Value"]["Ref"]
    input_props = synthesized.resources("AWS::S3::Bucket")[input_id]["Properties"]
    assert input_props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": storage_logs}


def test_only_cloudfront_reads_the_bucket_through_origin_access_control(
    synthesized: Synthesized,
) -> None:
    bucket_id = web_bucket(synthesized)
    distribution_id, distribution = only(synthesized, "AWS::CloudFront::Distribution")
    oac_id, oac = only(synthesized, "AWS::CloudFront::OriginAccessControl")
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    (origin,) = distribution["DistributionConfig"]["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert synthesized.resources("AWS::CloudFront::CloudFrontOriginAccessIdentity") == {}
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in synthesized.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Action": "s3:GetObject",
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":cloudfront::",
                                {"Ref": "AWS::AccountId"},
                                ":distribution/",
                                {"Ref": distribution_id},
                            ],
                        ]
                    }
                }
            },
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
        }
    ]


def test_distribution_is_https_only_with_security_headers_and_logs(
    synthesized: Synthesized,
) -> None:
    _, distribution = only(synthesized, "AWS::CloudFront::Distribution")
    config = distribution["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert config["DefaultRootObject"] == "index.html"
    headers_id, headers = only(synthesized, "AWS::CloudFront::ResponseHeadersPolicy")
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": headers_id}
    security = headers["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 730 * 24 * 3600
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    logs_bucket = config["Logging"]["Bucket"]["Fn::GetAtt"][0]
    logs = synthesized.resources("AWS::S3::Bucket")[logs_bucket]["Properties"]
    # CloudFront's standard logs need object ACLs; the bucket stays private
    assert logs["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert logs["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    (association,) = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/ui", "/index.html"),
        ("/ui/", "/index.html"),
        ("/ui/assets/index-abc.js", "/assets/index-abc.js"),
        ("/ui/config.json", "/config.json"),
        ("/config.json", "/config.json"),
        ("/", "/"),
        ("/uix/a.js", "/uix/a.js"),
    ],
)
def test_viewer_request_maps_the_build_base_path_to_the_bucket_root(
    uri: str, expected: str
) -> None:
    # Node.js (a CDK requirement) runs the same code as CloudFront's JS runtime
    script = (
        STRIP_UI_PREFIX
        + "process.stdout.write(handler({request: JSON.parse(process.argv[1])}).uri);"
    )
    run = subprocess.run(
        ["node", "-e", script, json.dumps({"uri": uri})],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert run.stdout == expected


def test_config_json_names_the_api_url(synthesized: Synthesized) -> None:
    (rest_api,) = synthesized.resources("AWS::ApiGateway::RestApi")
    (pages,) = [
        d
        for d in deployments(synthesized.template).values()
        if d["DestinationBucketName"] == {"Ref": web_bucket(synthesized)}
        and any(d.get("SourceMarkers", []))
    ]
    assert pages["SystemMetadata"] == {"cache-control": "no-cache"}
    ((marker, value),) = [item for m in pages["SourceMarkers"] for item in m.items()]
    parts = value["Fn::Join"][1]
    assert parts[:2] == ['"https://', {"Ref": rest_api}]
    assert parts[-1] == '/dev/"'
    assert value == {"Fn::Join": ["", parts]}
    # the staged file, whose marker becomes the JSON string above at deploy time
    (staged,) = [
        path.read_text()
        for path in synthesized.outdir.glob("asset.*/config.json")
        if marker in path.read_text()
    ]
    example = '"https://abc.execute-api.eu-west-1.amazonaws.com/dev/"'
    assert json.loads(staged.replace(marker, example)) == {"apiUrl": json.loads(example)}


def synth_web(build_dir: Path) -> dict[str, Any]:
    """A stack of the web construct alone, publishing `build_dir` (no cdk-nag)."""
    app = App()
    stack = Stack(app, "Web")
    web = WebHosting(
        stack, "Web", config=DeployConfig(), access_logs=s3.Bucket(stack, "AccessLogs")
    )
    web.publish("https://api.example/dev/", build_dir=build_dir)
    template: dict[str, Any] = app.synth().get_stack_by_name("Web").template
    return template


def test_without_a_build_only_config_json_is_deployed(tmp_path: Path) -> None:
    template = synth_web(tmp_path / "static")
    (only_one,) = deployments(template).values()
    assert len(only_one["SourceObjectKeys"]) == 1
    assert only_one["Exclude"] == ["assets/*"]
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::CloudFront::Distribution", "AWS::S3::Bucket"} <= kinds


def test_a_build_is_deployed_with_hashed_assets_cached_for_good(tmp_path: Path) -> None:
    build = tmp_path / "static"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text("<!doctype html><title>MPR</title>")
    (build / "assets" / "index-abc.js").write_text("export {};")
    found = deployments(synth_web(build)).values()
    by_cache = {d["SystemMetadata"]["cache-control"]: d for d in found}
    pages = by_cache["no-cache"]
    assets = by_cache["public, max-age=31536000, immutable"]
    assert len(pages["SourceObjectKeys"]) == 2  # the build and config.json
    assert pages["Exclude"] == ["assets/*"]
    assert (assets["Exclude"], assets["Include"]) == (["*"], ["assets/*"])
    assert assets["SourceObjectKeys"][0] == pages["SourceObjectKeys"][0]


def test_ui_origin_may_upload_and_read_outputs(synthesized: Synthesized) -> None:
    distribution, _ = only(synthesized, "AWS::CloudFront::Distribution")
    origin = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]]}
    buckets = synthesized.resources("AWS::S3::Bucket")
    outputs = synthesized.template["Outputs"]
    rules = {
        name: buckets[outputs[f"{name}BucketName"]["Value"]["Ref"]]["Properties"][
            "CorsConfiguration"
        ]["CorsRules"]
        for name in ("Input", "Output")
    }
    (upload,) = [r for r in rules["Input"] if r["AllowedOrigins"] == [origin]]
    assert set(upload["AllowedMethods"]) == {"PUT", "POST"}
    assert upload["ExposedHeaders"] == ["ETag"]
    (read,) = rules["Output"]
    assert set(read["AllowedMethods"]) == {"GET", "HEAD"}
    assert outputs["WebUrl"]["Value"] == origin


def s3_cors_allows(
    rules: list[dict[str, Any]], origin: str, method: str, headers: set[str]
) -> bool:
    """S3's CORS evaluation: the first rule whose origins, method and requested headers all
    match admits the request (`*` matches any value; a rule origin may hold one `*`)."""

    def matches(pattern: str, value: str) -> bool:
        head, star, tail = pattern.lower().partition("*")
        value = value.lower()
        if not star:
            return pattern.lower() == value
        return value.startswith(head) and value.endswith(tail) and len(value) >= len(head + tail)

    for rule in rules:
        if not any(matches(o, origin) for o in rule["AllowedOrigins"]):
            continue
        if method not in rule["AllowedMethods"]:
            continue
        if all(
            any(matches(h, header) for h in rule.get("AllowedHeaders", [])) for header in headers
        ):
            return True
    return False


def test_hls_segments_redirected_to_s3_are_readable_by_the_player(
    synthesized: Synthesized,
) -> None:
    # Given hls.js in the UI fetching a segment from the API, which answers 307 to a
    # presigned S3 URL: the browser follows the redirect across origins with `Origin: null`
    # (Fetch standard, "HTTP-redirect fetch": a cross-origin redirect taints the origin) and
    # a `Range` header, its preflight asking for GET with range
    buckets = synthesized.resources("AWS::S3::Bucket")
    output = synthesized.template["Outputs"]["OutputBucketName"]["Value"]["Ref"]
    rules = resolve(buckets[output]["Properties"]["CorsConfiguration"]["CorsRules"])

    # Then S3 admits it, and plain reads from the UI's own origin too
    assert s3_cors_allows(rules, "null", "GET", {"range"})
    assert s3_cors_allows(rules, "null", "HEAD", set())
    assert s3_cors_allows(rules, "https://d111111abcdef8.cloudfront.net", "GET", set())
    # And nothing but reads: a page may not write or delete through CORS
    assert not s3_cors_allows(rules, "null", "PUT", set())
    assert not s3_cors_allows(rules, "null", "DELETE", set())
    # And the player may read the range headers of the answer
    (rule,) = rules
    assert {"Content-Length", "Content-Range"} <= set(rule["ExposedHeaders"])
