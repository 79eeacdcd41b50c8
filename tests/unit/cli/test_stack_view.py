"""The preview and the inventory as a user reads them."""

from __future__ import annotations

from rich.console import Console

from messaging.cli.stack_view import print_inventory, print_preview, property_summary
from messaging.ops import stack


def detail(**fields: str) -> stack.PropertyChange:
    base = {
        "attribute": "Properties",
        "name": "TableName",
        "requires_recreation": "Always",
        "evaluation": "Static",
        "change_source": "ParameterReference",
        "causing_entity": "NamePrefix",
    }
    return stack.PropertyChange(**{**base, **fields})


def test_a_property_says_its_cause_and_whether_it_replaces() -> None:
    assert property_summary(detail()) == "TableName (NamePrefix; replaces)"
    dynamic = detail(name="Endpoint", evaluation="Dynamic", causing_entity="Queue.Arn")
    assert property_summary(dynamic) == "Endpoint (dynamic: Queue.Arn; may replace)"
    in_place = detail(name="RedrivePolicy", requires_recreation="Never", causing_entity="")
    assert property_summary(in_place) == "RedrivePolicy"


def test_the_preview_lists_every_change_and_the_data_at_risk() -> None:
    table = stack.ResourceChange(
        action="Modify",
        logical_id="OrdersConsumersTable",
        resource_type="AWS::DynamoDB::Table",
        physical_id="fc-orders-consumers",
        replacement="True",
        policy_action="ReplaceAndRetain",
        properties=[detail()],
    )
    preview = stack.Preview(
        stack_name="fc",
        change_set_type="UPDATE",
        status="UPDATE_COMPLETE",
        parameters={"NamePrefix": "fd-"},
        kept=["MaxReceiveCount"],
        changes=[table],
        risks=stack.data_risks([table]),
    )
    console = Console(record=True, width=200)
    print_preview(console, preview)
    text = console.export_text()
    assert "Nothing was changed." in text
    assert "Keeping current values: MaxReceiveCount" in text
    assert "Modify  OrdersConsumersTable  AWS::DynamoDB::Table  True         TableName" in text
    assert "1 resource(s) holding data would be replaced or removed" in text


def test_the_inventory_counts_items_objects_and_access_logs_apart() -> None:
    found = stack.Inventory(
        "fc",
        "UPDATE_COMPLETE",
        tables=[("OrdersConsumersTable", "fc-orders", 1204)],
        buckets=[
            stack.BucketData("Logs", "fc-logs", 40, 40, 9000, access_logs=True),
            stack.BucketData("Lake", "fc-lake", 12, 14, 2_200_000, access_logs=False),
        ],
        queues=[("OrdersQueue", "https://sqs/1/fc-orders-q", 3)],
    )
    console = Console(record=True, width=200)
    print_inventory(console, found, keep_data=False)
    text = console.export_text()
    assert "which will be deleted" in text
    lines = text.splitlines()
    assert any("OrdersConsumersTable" in line and line.endswith("1,204 items") for line in lines)
    assert "12 objects (14 versions, 2.1 MiB)" in text
    assert "40 access-log objects" in text
    assert text.index("fc-lake") < text.index("fc-logs")  # the lake first, logs apart
    assert any("fc-orders-q" in line and line.endswith("3 messages") for line in lines)
