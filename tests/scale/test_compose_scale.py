"""local/compose.scale.yaml and its nginx configuration, read with a YAML parser and
nginx's own configuration parser (crossplane): the shape `docker compose` runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import crossplane
import pytest
import yaml

LOCAL = Path(__file__).parents[2] / "local"
DOCKERFILE = LOCAL.parent / "layers" / "ffmpeg" / "Dockerfile"
MPR_SERVICES = ("api-1", "api-2", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((LOCAL / "compose.scale.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    lines = (LOCAL / "scale.env").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name: value for name, value in pairs}


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The server configuration parsed inside nginx's http context, as the image loads it."""
    main = tmp_path_factory.mktemp("nginx") / "nginx.conf"
    main.write_text(f"events {{}}\nhttp {{\n    include {LOCAL / 'nginx.scale.conf'};\n}}\n")
    parsed = crossplane.parse(str(main), comments=False)
    assert parsed["status"] == "ok", parsed["errors"]
    [included] = [c for c in parsed["config"] if c["file"].endswith("nginx.scale.conf")]
    blocks: list[dict[str, Any]] = included["parsed"]
    return blocks


def directives(blocks: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [d for d in blocks if d["directive"] == name]


def option(command: list[str], name: str) -> str:
    [value] = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"--{name}=")]
    return value


def test_the_profile_has_every_part(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {
        "nginx", "api-1", "api-2", "worker", "redis", "postgres", "minio", "buckets",
    }  # fmt: skip
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


def test_every_image_is_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if "build" in service:
            assert service["build"]["dockerfile"] == "layers/ffmpeg/Dockerfile"
            continue
        image, _, tag = service["image"].rpartition(":")
        assert image, f"{name}: {service['image']} has no tag"
        assert re.fullmatch(r"(RELEASE\.)?\d[\w.-]*", tag), f"{name}: {service['image']}"
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("FROM "):
            assert re.fullmatch(r"FROM \S+:\d[\w.-]*", line), line


def test_the_image_carries_the_scale_extra(services: dict[str, dict[str, Any]]) -> None:
    text = DOCKERFILE.read_text()

    for name in MPR_SERVICES:
        assert "scale" in services[name]["build"]["args"]["MPR_EXTRAS"].split(",")
    assert "ARG MPR_EXTRAS=" in text
    assert '"/tmp/mpr[${MPR_EXTRAS}]"' in text


def test_workers_scale_with_one_flag(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]

    assert worker["entrypoint"] == ["mpr", "worker"]
    assert worker["deploy"]["replicas"] == 2
    # `--scale worker=8` needs containers without a fixed name or a host port
    assert "container_name" not in worker
    assert "ports" not in worker


def test_only_nginx_and_the_minio_console_publish_ports(
    services: dict[str, dict[str, Any]],
) -> None:
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}

    assert published == {"nginx": ["127.0.0.1:8080:80"], "minio": ["127.0.0.1:9001:9001"]}


def test_every_process_reaches_the_same_queue_database_and_storage(
    services: dict[str, dict[str, Any]], env: dict[str, str]
) -> None:
    mpr = [services[name] for name in MPR_SERVICES]

    assert {s["env_file"] for s in mpr} == {"scale.env"}
    assert [s["entrypoint"] for s in mpr] == [["mpr", "serve"]] * 2 + [["mpr", "worker"]]
    assert {option(s["command"], "storage") for s in mpr} == {"s3://media"}
    endpoints = {urlsplit(option(s["command"], "s3-endpoint")) for s in mpr}
    assert {(e.hostname, e.port) for e in endpoints} == {("minio", 9000)}
    queue, database = urlsplit(env["MPR_QUEUE_URL"]), urlsplit(env["MPR_DATABASE_URL"])
    assert (queue.scheme, queue.hostname) == ("redis", "redis")
    assert (database.scheme, database.hostname, database.path) == ("postgresql", "postgres", "/mpr")
    postgres = services["postgres"]["environment"]
    assert (database.username, database.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    # one secret for all: a URL or webhook signed by one process is checked by another
    assert env["MPR_WEBHOOK_SECRET"]
    assert env["MPR_CALLBACK_SECRET"]
    for s in mpr:
        assert set(s["depends_on"]) == {"buckets", "postgres", "redis"}


def test_the_bucket_is_made_and_served_at_media(services: dict[str, dict[str, Any]]) -> None:
    [script] = services["buckets"]["command"]

    assert "mc mb --ignore-existing local/media" in script


def test_nginx_balances_both_api_servers(
    nginx: list[dict[str, Any]], services: dict[str, dict[str, Any]]
) -> None:
    upstreams = {u["args"][0]: u["block"] for u in directives(nginx, "upstream")}
    ports = {option(services[name]["command"], "port") for name in ("api-1", "api-2")}

    api_servers = {s["args"][0] for s in directives(upstreams["mpr_api"], "server")}
    assert api_servers == {f"api-1:{p}" for p in ports} | {f"api-2:{p}" for p in ports}
    assert {s["args"][0] for s in directives(upstreams["minio"], "server")} == {"minio:9000"}


def test_nginx_routes_the_api_the_ui_and_the_media(
    nginx: list[dict[str, Any]], env: dict[str, str]
) -> None:
    [server] = directives(nginx, "server")
    locations = {
        " ".join(loc["args"]): loc["block"] for loc in directives(server["block"], "location")
    }

    def proxied(path: str) -> str:
        [target] = directives(locations[path], "proxy_pass")
        return str(target["args"][0])

    assert {path: proxied(path) for path in ("/v1/", "/graphql", "/ui", "/media/")} == {
        "/v1/": "http://mpr_api",
        "/graphql": "http://mpr_api",
        "/ui": "http://mpr_api",
        "/media/": "http://minio",
    }
    # presigned URLs are signed for the address clients use: nginx's, Host passed on
    assert env["MPR_S3_PUBLIC_ENDPOINT_URL"] == env["MPR_API_BASE_URL"] == "http://127.0.0.1:8080"
    headers = {tuple(d["args"]) for d in directives(server["block"], "proxy_set_header")}
    assert ("Host", "$http_host") in headers
    # progress events are passed on as they come
    events = locations["~ ^/v1/jobs/[^/]+/events$"]
    assert [d["args"] for d in directives(events, "proxy_buffering")] == [["off"]]
