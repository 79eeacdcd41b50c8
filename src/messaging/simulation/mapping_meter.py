"""The event source mappings' own SQS requests, read from the Lambda API where exposed.

A mapping's polling (ReceiveMessage, and the deletes and visibility changes it makes
for the function) is not in the function's logs. AWS does not bill or publish it; the
local cloud's runtime adds it to ListEventSourceMappings' answer as
`LocalCloudStatistics.SqsRequests` (operation -> count), which SDKs drop because their
model does not know it, so it is read from the raw answer. Where that member is absent
(AWS, or a runtime without it) the meter answers None and the report says the
mappings' polling was not counted.

Known limit: after issue 17's two branches merge, `ops.functions` (the runtime's side)
reads the same raw answer for `messaging status`; this module should then call it
instead of keeping its own reader.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from messaging.simulation.hosts import MappingMeter

__all__ = ["lambda_api_meter", "mapping_requests"]

_EVENT = "after-call.lambda.ListEventSourceMappings"


def mapping_requests(body: bytes) -> dict[str, int] | None:
    """The SQS requests of the SQS mappings in one ListEventSourceMappings answer
    (operation -> count, summed over mappings), or None if the answer has none."""
    counted: dict[str, int] = {}
    found = False
    for mapping in json.loads(body).get("EventSourceMappings", []):
        if str(mapping.get("EventSourceArn", "")).split(":")[2:3] != ["sqs"]:
            continue
        requests = (mapping.get("LocalCloudStatistics") or {}).get("SqsRequests")
        if not isinstance(requests, Mapping):
            continue
        found = True
        for operation, count in requests.items():
            counted[str(operation)] = counted.get(str(operation), 0) + int(count)
    return counted if found else None


def lambda_api_meter(lambda_client: Any) -> MappingMeter:
    """A `MappingMeter` asking the Lambda API about each function's mappings."""
    bodies: list[bytes] = []

    def keep(http_response: Any = None, **_: Any) -> None:
        if http_response is not None:
            bodies.append(http_response.content)

    lambda_client.meta.events.register(_EVENT, keep)

    def meter(function_name: str) -> Mapping[str, int] | None:
        bodies.clear()
        lambda_client.list_event_source_mappings(FunctionName=function_name)
        return mapping_requests(bodies[-1]) if bodies else None

    return meter
