"""What `ops.functions` makes of the stack outputs and the mappings' figures."""

from __future__ import annotations

from messaging.ops.functions import function_names


def test_only_services_with_a_function_output_are_on_lambda() -> None:
    outputs = {"OrdersFunctionName": "s-orders", "PaymentsFunctionName": "", "TopicArn": "t"}
    assert function_names(outputs) == {"orders": "s-orders"}
