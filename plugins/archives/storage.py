"""Where archive files live: a local folder or an S3 bucket, behind one small interface.

`MINAPI_ARCHIVE_URL` picks the backend (validated at start-up): a folder (default
`<instance>/archives`), or `s3://bucket/prefix` through boto3 (`MINAPI_S3_ENDPOINT_URL`
for S3-compatible servers; credentials from boto3's usual sources). A download link is
valid 15 minutes: for S3 a presigned URL, for a folder a minapi URL signed with HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
import time
from pathlib import Path

from flask import current_app

LINK_SECONDS = 15 * 60
FILES_ROUTE = "/api/archive-files/"


class LocalStorage:
    def __init__(self, root: str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        """Write to a temporary file, then rename: a reader never sees half a file."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def link(self, key: str, filename: str, now: float | None = None) -> tuple[str, int]:
        expires = int(now if now is not None else time.time()) + LINK_SECONDS
        url = (f"{current_app.config['BASE_URL']}{FILES_ROUTE}{key}"
               f"?expires={expires}&signature={sign(key, expires)}")
        return url, expires


class S3Storage:
    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None):
        import boto3

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def link(self, key: str, filename: str, now: float | None = None) -> tuple[str, int]:
        expires = int(now if now is not None else time.time()) + LINK_SECONDS
        url = self.client.generate_presigned_url(
            "get_object", ExpiresIn=LINK_SECONDS,
            Params={"Bucket": self.bucket, "Key": self._key(key),
                    "ResponseContentDisposition": f'attachment; filename="{filename}"'})
        return url, expires


def storage():
    """The app's archive storage (one per app: a boto3 client is thread-safe and slow to make)."""
    ext = current_app.extensions
    if "minapi.archives.storage" not in ext:
        url = current_app.config["ARCHIVE_URL"]
        if url.startswith("s3://"):
            bucket, _, prefix = url[len("s3://"):].partition("/")
            ext["minapi.archives.storage"] = S3Storage(bucket, prefix, current_app.config["S3_ENDPOINT_URL"])
        else:
            ext["minapi.archives.storage"] = LocalStorage(url)
    return ext["minapi.archives.storage"]


def _signing_key() -> bytes:
    # A key of its own, derived from the instance secret: a download signature is useless elsewhere.
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"minapi archive downloads",
                    hashlib.sha256).digest()


def sign(key: str, expires: int) -> str:
    return hmac.new(_signing_key(), f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def check_signature(key: str, expires: str, signature: str, now: float | None = None) -> str | None:
    """None when the link is good, else why not ("invalid" or "expired")."""
    try:
        when = int(expires)
    except (TypeError, ValueError):
        return "invalid"
    if not hmac.compare_digest(sign(key, when), str(signature or "")):
        return "invalid"
    if when < (now if now is not None else time.time()):
        return "expired"
    return None
