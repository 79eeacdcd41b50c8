"""`ops.status` over HTTP: counts the way AWS lets you, and says which."""

from __future__ import annotations

import pytest

from messaging.ops import stack, status
from messaging.ops.aws import Aws

pytestmark = pytest.mark.integration


def test_approximate_and_exact_counts_agree_and_say_what_they_cost(
    aws: Aws, name_prefix: str
) -> None:
    result = stack.deploy(
        aws.cloudformation(),
        f"{name_prefix}status",
        stack.default_template_path().read_text(),
        {"NamePrefix": name_prefix, "ServicesHost": "external"},  # no functions: no artifact needed
        sleep=lambda _: None,
    )
    outputs = stack.StackOutputs.model_validate(result.outputs)
    dynamodb = aws.dynamodb()
    padding = "x" * 100_000  # 25 items of ~100 KB need three 1 MB Scan pages
    dynamodb.batch_write_item(
        RequestItems={
            outputs.OrdersTableName: [
                {"PutRequest": {"Item": {"consumer_id": {"S": f"c{n}"}, "p": {"S": padding}}}}
                for n in range(25)
            ]
        }
    )

    approximate = status.gather(aws, outputs)
    assert approximate.tables == {"orders": 25, "payments": 0}
    assert approximate.counted.method == "approximate"
    assert approximate.counted.requests == 2  # one DescribeTable per table
    assert "every 6 hours" in approximate.counted.note

    exact = status.gather(aws, outputs, exact=True)
    assert exact.tables == approximate.tables
    assert exact.counted.method == "exact"
    assert exact.counted.requests == 3 + 1  # three pages of orders, one empty payments page
    assert exact.counted.read_units > 0
