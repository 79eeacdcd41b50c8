"""Fault injection: what it targets, what each fault looks like, and replayability."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import pytest

from messaging.localcloud.faults import (
    FaultInjector,
    FaultPlan,
    InjectedDropError,
    identify,
    parse_operations,
)

SIGNED = "AWS4-HMAC-SHA256 Credential=k/20261128/us-east-1/{service}/aws4_request, Signed=x"


def environ(
    service: str, *, target: str | None = None, action: str | None = None, method: str = "POST"
) -> dict[str, Any]:
    body = f"Action={action}&Version=1".encode() if action else b"{}"
    env: dict[str, Any] = {
        "HTTP_AUTHORIZATION": SIGNED.format(service=service),
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if target:
        env["HTTP_X_AMZ_TARGET"] = target
    return env


class App:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        environ["wsgi.input"].read()  # the app can still read the body we peeked at
        start_response("200 OK", [])
        return [b"served"]


def call(injector: FaultInjector, env: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(injector(env, lambda line, headers: status.append(line)))
    return (status[0] if status else ""), body


def test_operations_are_named_as_aws_routes_them() -> None:
    assert identify(environ("sqs", target="AmazonSQS.ReceiveMessage")) == ("sqs", "ReceiveMessage")
    assert identify(environ("dynamodb", target="DynamoDB_20120810.TransactWriteItems")) == (
        "dynamodb",
        "TransactWriteItems",
    )
    assert identify(environ("sns", action="PublishBatch")) == ("sns", "PublishBatch")
    assert identify(environ("s3", method="PUT")) == ("s3", "PUT")


@pytest.mark.parametrize(
    ("service", "status", "code"),
    [
        ("sns", "400 Bad Request", b"<Code>Throttling</Code>"),
        ("s3", "503 Service Unavailable", b"<Code>SlowDown</Code>"),
    ],
)
def test_throttles_speak_each_services_dialect(service: str, status: str, code: bytes) -> None:
    injector = FaultInjector(App(), FaultPlan(fault_rate=1, kinds=("throttle",)))
    answered, body = call(injector, environ(service, action="Publish"))
    assert answered == status
    assert code in body


@pytest.mark.parametrize(
    ("service", "target", "code"),
    [
        ("sqs", "AmazonSQS.ReceiveMessage", "RequestThrottled"),
        ("dynamodb", "DynamoDB_20120810.PutItem", "ProvisionedThroughputExceededException"),
        ("firehose", "Firehose_20150804.PutRecordBatch", "ServiceUnavailableException"),
    ],
)
def test_json_throttles(service: str, target: str, code: str) -> None:
    injector = FaultInjector(App(), FaultPlan(fault_rate=1, kinds=("throttle",)))
    _, body = call(injector, environ(service, target=target))
    assert json.loads(body)["__type"] == code


def test_only_the_listed_operations_fail() -> None:
    app = App()
    plan = FaultPlan(
        fault_rate=1, operations=parse_operations("sqs:ReceiveMessage"), kinds=("error500",)
    )
    injector = FaultInjector(app, plan)
    assert call(injector, environ("sqs", target="AmazonSQS.ReceiveMessage"))[0].startswith("500")
    assert call(injector, environ("sqs", target="AmazonSQS.SendMessage")) == ("200 OK", b"served")
    assert dict(injector.injected) == {"error500 sqs:ReceiveMessage": 1}


def test_drop_before_never_serves_and_drop_after_serves_then_drops() -> None:
    for kind, served in (("drop_before", 0), ("drop_after", 1)):
        app = App()
        injector = FaultInjector(app, FaultPlan(fault_rate=1, kinds=(kind,)))
        with pytest.raises(InjectedDropError):
            call(injector, environ("sns", action="Publish"))
        assert app.calls == served


def test_a_seed_replays_the_same_faults_and_latency_is_added() -> None:
    def run(seed: int) -> list[str]:
        delays: list[float] = []
        injector = FaultInjector(
            App(),
            FaultPlan(fault_rate=0.3, seed=seed, latency_ms=5, jitter_ms=10),
            sleep=delays.append,
        )
        outcomes = []
        for _ in range(50):
            try:
                outcomes.append(call(injector, environ("sns", action="Publish"))[0])
            except InjectedDropError:
                outcomes.append("dropped")
        assert all(0.005 <= d <= 0.015 for d in delays)
        return outcomes

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert 5 < sum(o != "200 OK" for o in run(7)) < 30


def test_moto_api_is_never_touched() -> None:
    injector = FaultInjector(App(), FaultPlan(fault_rate=1))
    env = environ("sns", action="Publish")
    env["PATH_INFO"] = "/moto-api/config"
    assert call(injector, env) == ("200 OK", b"served")


@pytest.mark.parametrize("text", ["sqs", "sqs:", ":Op"])
def test_bad_operation_lists_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="service:Operation"):
        parse_operations(text)


def test_bad_plans_are_refused() -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        FaultPlan(fault_rate=1.5)
    with pytest.raises(ValueError, match="negative"):
        FaultPlan(latency_ms=-1)
    assert not FaultPlan().active


def test_a_plan_switched_at_run_time_applies_to_the_next_request() -> None:
    app = App()
    outage = FaultPlan(fault_rate=1, operations=frozenset({"sns:Publish"}), kinds=("error500",))
    injector = FaultInjector(app, outage)
    assert call(injector, environ("sns", action="Publish"))[0] == "500 Internal Server Error"
    injector.switch(FaultPlan())  # the outage ends
    assert call(injector, environ("sns", action="Publish")) == ("200 OK", b"served")
    assert injector.total() == 1
