"""Concurrent writes to one table through the server: a Scan still returns each item once.

Before DynamoDB's requests were served one at a time (`dynamodb.one_at_a_time`), inserts
from several threads left the Scan index out of order, and pages skipped and repeated
items. The interpreter is asked to switch threads often, so that requests interleave as
they do under load.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from messaging.ops.aws import Aws
from tests.support.queues import make_table

WRITERS = 8
BATCHES = 20  # per writer, 25 inserts each


@pytest.fixture
def switching_often() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def insert_batches(client: Any, table: str, writer: int, failures: list[BaseException]) -> None:
    try:
        for batch in range(BATCHES):
            statements = [
                {
                    "Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'n': ?}}",
                    "Parameters": [{"S": f"w{writer}-b{batch:03d}-{n:02d}"}, {"N": str(n)}],
                }
                for n in range(25)
            ]
            answer = client.batch_execute_statement(Statements=statements)
            assert all("Error" not in response for response in answer["Responses"])
    except BaseException as error:  # noqa: BLE001 - reported by the test thread
        failures.append(error)


def test_concurrent_inserts_leave_every_item_once_in_scan_order(
    aws: Aws, name_prefix: str, switching_often: None
) -> None:
    client = aws.dynamodb()
    table = make_table(client, f"{name_prefix}concurrent", key="pk")
    failures: list[BaseException] = []
    writers = [
        threading.Thread(target=insert_batches, args=(aws.dynamodb(), table, w, failures))
        for w in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(120)
    assert not failures

    seen: list[str] = []
    pages = client.get_paginator("scan").paginate(
        TableName=table, PaginationConfig={"PageSize": 97}
    )
    for page in pages:
        seen += [item["pk"]["S"] for item in page["Items"]]
    assert len(seen) == WRITERS * BATCHES * 25
    assert len(set(seen)) == len(seen)  # none repeated, so none skipped either
    assert seen == sorted(seen)  # moto's scan order: by hash key
