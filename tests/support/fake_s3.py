"""An S3 client that lists by prefix and reads, as boto3's does; every call recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["FakeS3"]


class FakeS3:
    """Listing by prefix and reading, as boto3's client does them; every call recorded."""

    def __init__(self, objects: dict[str, tuple[datetime, bytes]]) -> None:
        self.objects = objects
        self.listed: list[str] = []
        self.started_after: list[str | None] = []  # each listing's StartAfter
        self.read: list[str] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "list_objects_v2"
        return self

    def paginate(
        self,
        *,
        Bucket: str,  # noqa: N803 - boto3's names
        Prefix: str = "",  # noqa: N803
        StartAfter: str | None = None,  # noqa: N803
    ) -> Any:
        self.listed.append(Prefix)
        self.started_after.append(StartAfter)
        contents = [
            {"Key": key, "Size": len(body), "LastModified": at}
            for key, (at, body) in sorted(self.objects.items())
            if key.startswith(Prefix) and (StartAfter is None or key > StartAfter)
        ]
        return [{"Contents": contents}]

    def get_object(self, *, Bucket: str, Key: str) -> Any:  # noqa: N803
        self.read.append(Key)
        body = self.objects[Key][1]
        return {"Body": type("Body", (), {"read": lambda _self: body})()}
