"""What `ops.functions` makes of the stack outputs and the mappings' figures."""

from __future__ import annotations

from messaging.ops.functions import FunctionStatus, function_names, mapping_requests


def test_only_services_with_a_function_output_are_on_lambda() -> None:
    outputs = {"OrdersFunctionName": "s-orders", "PaymentsFunctionName": "", "TopicArn": "t"}
    assert function_names(outputs) == {"orders": "s-orders"}


def test_each_mappings_sqs_requests_are_summed_and_unknown_ones_left_out() -> None:
    polled = FunctionStatus(
        function="s-orders",
        sqs_requests={"ReceiveMessage": 7, "DeleteMessageBatch": 3, "ChangeMessageVisibility": 1},
    )
    on_aws = FunctionStatus(function="s-payments")  # AWS publishes no such figures
    assert mapping_requests({"orders": polled, "payments": on_aws}) == {"orders mapping": 11}
