"""Every response of the local cloud names its instance, errors included."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from messaging.localcloud.instance import INSTANCE_HEADER, InstanceHeader, new_instance_id


def test_every_response_carries_the_instance_id() -> None:
    def failing_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("503 Service Unavailable", [("Content-Type", "text/xml")])
        return [b"<Error/>"]

    current = {"id": "first"}
    app = InstanceHeader(failing_app, lambda: current["id"])
    seen: list[list[tuple[str, str]]] = []
    for instance in ("first", "restored"):
        current["id"] = instance
        body = app({}, lambda status, headers, *_: seen.append(headers))
        assert list(body) == [b"<Error/>"]
    assert [dict(h)[INSTANCE_HEADER] for h in seen] == ["first", "restored"]
    assert all(("Content-Type", "text/xml") in h for h in seen)


def test_fresh_instances_differ() -> None:
    assert len({new_instance_id() for _ in range(100)}) == 100
