"""`messaging consume`'s exit status says whether it did what was asked: messages that
reached a dead-letter queue while it ran make it exit 3, unless --no-fail-on-dlq."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from messaging.cli import app
from messaging.localcloud.server import LocalCloud
from messaging.ops import stack
from messaging.ops.aws import Aws

pytestmark = pytest.mark.integration


def test_consume_until_empty_exits_3_when_a_message_was_dead_lettered(
    aws: Aws, cloud: LocalCloud, name_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"{name_prefix}dlq-exit"
    result = stack.deploy(
        aws.cloudformation(),
        name,
        stack.default_template_path().read_text(),
        {"NamePrefix": name_prefix, "MaxReceiveCount": "1", "ServicesHost": "external"},
        sleep=lambda _: None,
    )
    outputs = stack.StackOutputs.model_validate(result.outputs)
    sqs = aws.sqs()
    monkeypatch.setenv("MESSAGING_STACK_NAME", name)
    runner = CliRunner()

    def consume(*flags: str) -> tuple[int, str, str]:
        done = runner.invoke(app, ["consume", "orders", "--until-empty", "--json", *flags])
        return done.exit_code, done.stdout, done.stderr

    # Not an event: released at once, received once (maxReceiveCount 1), then moved.
    sqs.send_message(QueueUrl=outputs.OrdersQueueUrl, MessageBody="not json")
    code, stdout, stderr = consume()
    assert code == 3, stderr
    assert json.loads(stdout)["orders"]["dlq_added"] == 1
    assert stderr.splitlines()[-1] == (
        "error: messages were dead-lettered while consuming (1 to the orders DLQ): inspect "
        "them, fix the cause, then `messaging redrive orders`"
    )
    sqs.send_message(QueueUrl=outputs.OrdersQueueUrl, MessageBody="not json either")
    code, stdout, stderr = consume("--no-fail-on-dlq")
    assert code == 0
    assert json.loads(stdout)["orders"]["dlq_added"] == 1
    assert "warning: messages were dead-lettered while consuming" in stderr
