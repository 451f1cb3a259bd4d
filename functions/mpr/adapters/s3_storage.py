"""Storage on an S3 bucket (AWS, SeaweedFS, MinIO or any S3 endpoint), with boto3.

Also the presigned single and multipart uploads that browsers use to send sources straight
to the bucket (API Gateway caps a request at 10 MB).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from mpr.adapters.aws_errors import error_code, translated
from mpr.core.errors import MprError, NotFoundError
from mpr.ports import Storage
from mpr.settings import Settings

DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes


def addressing_style(settings: Settings) -> Literal["path", "virtual", "auto"]:
    """Path style when forced; virtual hosts on AWS; botocore's choice for other endpoints."""
    if settings.s3_force_path_style:
        return "path"
    return "virtual" if settings.s3_endpoint_url is None else "auto"


class S3Storage:
    """Objects under `prefix` in one bucket; keys given to and returned by it omit the prefix."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        multipart_threshold_bytes: int = 64 * 1024**2,
        presign_seconds: int = 3600,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.presign_seconds = presign_seconds
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold_bytes,
            multipart_chunksize=multipart_threshold_bytes,
        )

    @classmethod
    def from_settings(cls, settings: Settings, bucket: str, prefix: str = "") -> S3Storage:
        """A client for `settings`' endpoint (default: the region's AWS endpoint, with
        virtual-hosted URLs), addressing style and credentials (the default credential chain
        unless both key id and secret are set)."""
        key_id, secret = settings.s3_access_key_id, settings.s3_secret_access_key
        explicit = bool(key_id and secret)
        endpoint = settings.s3_endpoint_url or f"https://s3.{settings.s3_region}.amazonaws.com"
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style(settings)},
            retries={"mode": "standard"},
        )
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings.s3_region,
            config=config,
            aws_access_key_id=key_id if explicit else None,
            aws_secret_access_key=secret.get_secret_value() if explicit and secret else None,
        )
        return cls(
            client,
            bucket,
            prefix,
            multipart_threshold_bytes=settings.s3_multipart_threshold_bytes,
            presign_seconds=settings.s3_presign_seconds,
        )

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _where(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    # --- Storage -------------------------------------------------------------------------

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        """Upload a local file, in parallel parts above the multipart threshold."""
        extra = {"ContentType": content_type} if content_type else None
        with translated(f"upload to {self._where(key)}"):
            self.client.upload_file(
                str(path), self.bucket, self._key(key), ExtraArgs=extra, Config=self._transfer
            )

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        with translated(f"put {self._where(key)}"):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)

    def get_bytes(self, key: str) -> bytes:
        with translated(f"get {self._where(key)}"):
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            data: bytes = response["Body"].read()
        return data

    def head(self, key: str, length: int) -> bytes:
        """The first `length` bytes (all of a shorter object) with one ranged GET."""
        if length < 1:
            return b""
        with translated(f"get the head of {self._where(key)}"):
            try:
                response = self.client.get_object(
                    Bucket=self.bucket, Key=self._key(key), Range=f"bytes=0-{length - 1}"
                )
            except ClientError as exc:
                if error_code(exc) == "InvalidRange":  # the object is empty
                    return b""
                raise
            data: bytes = response["Body"].read()
        return data

    def download(self, key: str, path: Path) -> None:
        """Stream an object to a local file (ranged parts in parallel for large objects)."""
        with translated(f"download {self._where(key)}"):
            self.client.download_file(self.bucket, self._key(key), str(path), Config=self._transfer)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """Download to a temporary file named like the key; remove it after the block."""
        with tempfile.TemporaryDirectory(prefix="mpr-s3-") as tmp:
            path = Path(tmp) / (PurePosixPath(key).name or "object")
            self.download(key, path)
            yield path

    def read_url(self, key: str) -> str:
        """A presigned GET; ffmpeg reads ranges from it over http(s)."""
        return self._presign("get_object", {"Key": self._key(key)}, self.presign_seconds)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except NotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        with translated(f"head {self._where(key)}"):
            response = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        return int(response["ContentLength"])

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under `prefix` in lexical (UTF-8 byte) order, as S3 returns them."""
        paginator = self.client.get_paginator("list_objects_v2")
        with translated(f"list {self._where(prefix)}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix` with batched DeleteObjects calls."""
        deleted = 0
        batch: list[str] = []
        for key in self.list(prefix):
            batch.append(key)
            if len(batch) == DELETE_BATCH:
                deleted += self._delete(batch)
                batch = []
        return deleted + (self._delete(batch) if batch else 0)

    def copy_to(
        self, key: str, target: Storage, target_key: str, content_type: str | None = None
    ) -> None:
        """A server-side copy into another bucket of this client's endpoint (in parts
        above the multipart threshold); other stores get a download and an upload."""
        if not isinstance(target, S3Storage) or target.client.meta.endpoint_url != (
            self.client.meta.endpoint_url
        ):
            with self.local_path(key) as path:
                target.put_file(target_key, path, content_type)
            return
        extra = (
            {"ContentType": content_type, "MetadataDirective": "REPLACE"} if content_type else {}
        )
        with translated(f"copy {self._where(key)} to {target._where(target_key)}"):
            target.client.copy(
                {"Bucket": self.bucket, "Key": self._key(key)},
                target.bucket,
                target._key(target_key),
                ExtraArgs=extra or None,
                Config=self._transfer,
            )

    def _delete(self, keys: Sequence[str]) -> int:
        objects = [{"Key": self._key(key)} for key in keys]
        with translated(f"delete {len(keys)} objects in s3://{self.bucket}"):
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise MprError(
                f"could not delete {len(errors)} objects in s3://{self.bucket}, "
                f"e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )
        return len(keys)

    # --- browser uploads -----------------------------------------------------------------

    def _presign(self, operation: str, params: dict[str, Any], expires: int) -> str:
        with translated(f"presign {operation} in s3://{self.bucket}"):
            url: str = self.client.generate_presigned_url(
                operation, Params={"Bucket": self.bucket, **params}, ExpiresIn=expires
            )
        return url

    def presigned_put(self, key: str, content_type: str, expires: int | None = None) -> str:
        """A URL for one PUT of the whole object with this Content-Type header."""
        params = {"Key": self._key(key), "ContentType": content_type}
        return self._presign("put_object", params, expires or self.presign_seconds)

    def create_multipart(self, key: str, content_type: str | None = None) -> str:
        """Start a multipart upload; returns its upload id."""
        extra = {"ContentType": content_type} if content_type else {}
        with translated(f"create multipart upload {self._where(key)}"):
            response = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), **extra
            )
        return str(response["UploadId"])

    def presigned_part(
        self, key: str, upload_id: str, part_number: int, expires: int | None = None
    ) -> str:
        """A URL for the PUT of part `part_number` (1 to 10,000); its response has the ETag."""
        params = {"Key": self._key(key), "UploadId": upload_id, "PartNumber": part_number}
        return self._presign("upload_part", params, expires or self.presign_seconds)

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> None:
        """Assemble the object from `(part number, ETag)` pairs, in part number order."""
        ordered = [{"PartNumber": n, "ETag": etag} for n, etag in sorted(parts)]
        with translated(f"complete multipart upload {self._where(key)}"):
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=upload_id,
                MultipartUpload={"Parts": ordered},
            )

    def abort_multipart(self, key: str, upload_id: str) -> None:
        with translated(f"abort multipart upload {self._where(key)}"):
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
            )
