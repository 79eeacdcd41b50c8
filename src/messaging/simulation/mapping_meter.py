"""The event source mappings' own SQS requests, read from the Lambda API where exposed.

A mapping's polling (ReceiveMessage, and the deletes and visibility changes it makes
for the function) is not in the function's logs. AWS does not bill or publish it; the
local cloud's runtime adds it to ListEventSourceMappings' answer as
`LocalCloudStatistics.SqsRequests` (operation -> count), which SDKs drop because their
model does not know it, so `ops.functions` reads it from the raw answer. Where that
member is absent (AWS, or a runtime without it) the meter answers None and the report
says the mappings' polling was not counted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from messaging.ops.functions import raw_mappings, summed_sqs_requests
from messaging.simulation.hosts import MappingMeter

__all__ = ["lambda_api_meter", "mapping_requests"]


def mapping_requests(body: bytes) -> dict[str, int] | None:
    """The SQS requests of the SQS mappings in one ListEventSourceMappings answer
    (operation -> count, summed over mappings), or None if the answer has none."""
    return summed_sqs_requests(json.loads(body).get("EventSourceMappings", []))


def lambda_api_meter(lambda_client: Any) -> MappingMeter:
    """A `MappingMeter` asking the Lambda API about each function's mappings."""

    def meter(function_name: str) -> Mapping[str, int] | None:
        return summed_sqs_requests(raw_mappings(lambda_client, function_name))

    return meter
