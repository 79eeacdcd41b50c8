"""Lambda on the local cloud over HTTP: functions, Invoke, SQS event source mappings, logs."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from messaging.localcloud.awslambda.backend import LocalLambdaBackend, installed_backends
from messaging.localcloud.server import LocalCloud
from tests.support import wait_for
from tests.support.lambdas import client, package

pytestmark = pytest.mark.integration

_names = itertools.count(1)


@pytest.fixture(scope="module")
def clients(cloud: LocalCloud) -> dict[str, Any]:
    return {s: client(cloud, s) for s in ("lambda", "sqs", "logs", "iam")}


@pytest.fixture(scope="module", autouse=True)
def _no_pollers_left(clients: dict[str, Any]) -> Iterator[None]:
    """The session's cloud serves later modules: this module's mappings stop polling."""
    yield
    for page in clients["lambda"].get_paginator("list_event_source_mappings").paginate():
        for mapping in page["EventSourceMappings"]:
            if mapping["FunctionArn"].rsplit(":", 1)[-1].startswith("fn-"):
                clients["lambda"].delete_event_source_mapping(UUID=mapping["UUID"])


@pytest.fixture(scope="module")
def role(clients: dict[str, Any]) -> str:
    document = json.dumps({"Version": "2012-10-17", "Statement": []})
    name = "lambda-it-role"
    try:
        return str(clients["iam"].get_role(RoleName=name)["Role"]["Arn"])
    except clients["iam"].exceptions.NoSuchEntityException:
        return str(
            clients["iam"].create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"][
                "Arn"
            ]
        )


@pytest.fixture
def make_function(clients: dict[str, Any], role: str) -> Callable[..., str]:
    def make(handler: str, **settings: Any) -> str:
        name = f"fn-{next(_names)}"
        clients["lambda"].create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler=f"handlers.{handler}",
            Code={"ZipFile": package()},
            **settings,
        )
        return name

    return make


def _queue(clients: dict[str, Any], *, visibility: int = 5, max_receive: int = 0) -> dict[str, str]:
    sqs = clients["sqs"]
    name = f"lq-{next(_names)}"
    attributes = {"VisibilityTimeout": str(visibility)}
    result: dict[str, str] = {}
    if max_receive:
        dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        result["dlq"] = dlq
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
                "maxReceiveCount": max_receive,
            }
        )
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    result["url"] = url
    result["arn"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return result


def _send(clients: dict[str, Any], url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])
        ]
        assert not clients["sqs"].send_message_batch(QueueUrl=url, Entries=entries).get("Failed")


def _depth(clients: dict[str, Any], url: str) -> tuple[int, int]:
    attributes = clients["sqs"].get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _backend(cloud: LocalCloud) -> LocalLambdaBackend:
    return next(b for b in installed_backends() if b.region_name == cloud.region)


def _stats(cloud: LocalCloud, uuid: str) -> dict[str, Any]:
    mapping = _backend(cloud).queue_mapping(uuid)
    assert mapping is not None
    return mapping.stats.document()


def test_invoke_runs_the_handler_in_a_process_with_lambdas_environment(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function(
        "echo", Environment={"Variables": {"MESSAGING_SERVICE": "orders"}}, MemorySize=256
    )
    answer = clients["lambda"].invoke(FunctionName=name, Payload=b'{"hello": 1}', LogType="Tail")
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    result = json.loads(answer["Payload"].read())
    assert result["event"] == {"hello": 1}
    env = result["env"]
    assert env["AWS_ENDPOINT_URL"] == cloud.endpoint_url  # the function calls back here
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_REGION"] == cloud.region
    assert env["MESSAGING_SERVICE"] == "orders"
    assert env["AWS_ACCESS_KEY_ID"] == "localcloud"  # placeholders, never the caller's
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert tail.startswith("START RequestId: ")
    assert "\nREPORT RequestId: " in tail
    assert "Init Duration:" in tail  # the first invocation was a cold start
    warm = json.loads(clients["lambda"].invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert warm["pid"] == result["pid"]  # the warm worker was reused
    assert name in {f["FunctionName"] for f in clients["lambda"].list_functions()["Functions"]}
    assert clients["lambda"].get_function(FunctionName=name)["Configuration"]["MemorySize"] == 256
    event = clients["lambda"].invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert event["StatusCode"] == 202
    dry = clients["lambda"].invoke(FunctionName=name, InvocationType="DryRun", Payload=b"{}")
    assert dry["StatusCode"] == 204


def test_errors_and_timeouts_are_answered_as_lambda_does(
    clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    failing = make_function("boom")
    answer = clients["lambda"].invoke(FunctionName=failing, Payload=b"{}")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"].startswith("boom for ")
    slow = make_function("sleepy", Timeout=1)
    answer = clients["lambda"].invoke(FunctionName=slow, Payload=b'{"seconds": 30}')
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    logs = clients["logs"].filter_log_events(logGroupName=f"/aws/lambda/{slow}")["events"]
    assert any("Task timed out after 1.00 seconds" in e["message"] for e in logs)
    assert any(e["message"].startswith("REPORT RequestId:") for e in logs)


def test_reserved_concurrency_throttles_synchronous_invokes(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("sleepy", Timeout=10)
    clients["lambda"].put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    once = client(cloud, "lambda", retries={"total_max_attempts": 1})
    first = threading.Thread(
        target=lambda: once.invoke(FunctionName=name, Payload=b'{"seconds": 1}'), daemon=True
    )
    first.start()
    runtime = _backend(cloud).runtime_of(name)
    wait_for(lambda: runtime.in_flight == 1)
    with pytest.raises(once.exceptions.TooManyRequestsException):
        once.invoke(FunctionName=name, Payload=b'{"seconds": 0}')
    first.join(timeout=15)
    assert (
        clients["lambda"].invoke(FunctionName=name, Payload=b'{"seconds": 0}')["StatusCode"] == 200
    )


def test_only_reported_failures_stay_and_reach_the_dlq_after_max_receives(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("partial", Timeout=1)
    queue = _queue(clients, visibility=1, max_receive=2)
    uuid = clients["lambda"].create_event_source_mapping(
        FunctionName=name,
        EventSourceArn=queue["arn"],
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )["UUID"]
    _send(clients, queue["url"], [f"ok-{i}" for i in range(8)] + ["fail-poison"])
    wait_for(lambda: _depth(clients, queue["dlq"])[0] == 1, timeout=20)
    wait_for(lambda: _depth(clients, queue["url"]) == (0, 0), timeout=10)
    moved = clients["sqs"].receive_message(QueueUrl=queue["dlq"])["Messages"]
    assert [m["Body"] for m in moved] == ["fail-poison"]
    stats = _stats(cloud, uuid)
    assert stats["Deleted"] == 8  # every success deleted, the failure never
    assert stats["FailedRecords"] == 2  # reported failed on each of its two receives
    assert stats["SqsRequests"]["DeleteMessageBatch"] >= 1
    assert stats["SqsRequests"]["ReceiveMessage"] >= stats["Invocations"]
    shown = clients["lambda"].get_event_source_mapping(UUID=uuid)
    assert shown["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_an_invalid_response_fails_the_whole_batch(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("invalid", Timeout=1)
    queue = _queue(clients, visibility=1, max_receive=1)
    uuid = clients["lambda"].create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue["arn"], BatchSize=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )["UUID"]  # fmt: skip
    _send(clients, queue["url"], ["a"])
    wait_for(lambda: _depth(clients, queue["dlq"])[0] == 1, timeout=15)
    assert _stats(cloud, uuid)["Deleted"] == 0


def test_filtered_out_records_are_deleted_without_an_invocation(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("partial")
    queue = _queue(clients)
    pattern = json.dumps({"body": {"kind": ["keep"]}})
    uuid = clients["lambda"].create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue["arn"],
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
    )["UUID"]  # fmt: skip
    _send(clients, queue["url"], ['{"kind": "keep"}'] * 3 + ['{"kind": "drop"}', "plain"])
    wait_for(lambda: _stats(cloud, uuid)["Records"] + _stats(cloud, uuid)["FilteredOut"] == 5)
    wait_for(lambda: _depth(clients, queue["url"]) == (0, 0))
    stats = _stats(cloud, uuid)
    assert (stats["Records"], stats["FilteredOut"]) == (3, 2)


def test_a_disabled_mapping_pauses_until_enabled(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("partial")
    queue = _queue(clients)
    uuid = clients["lambda"].create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue["arn"], Enabled=False
    )["UUID"]
    assert clients["lambda"].get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    _send(clients, queue["url"], ["x", "y"])
    threading.Event().wait(1.0)  # what is asserted is that nothing happens meanwhile
    assert _depth(clients, queue["url"]) == (2, 0)
    assert _stats(cloud, uuid)["Invocations"] == 0
    clients["lambda"].update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_for(lambda: _depth(clients, queue["url"]) == (0, 0))


def test_concurrency_scales_with_the_backlog_to_its_maximum_and_back(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("slow_batch")
    queue = _queue(clients)
    _send(clients, queue["url"], [str(i) for i in range(8)])
    uuid = clients["lambda"].create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue["arn"], BatchSize=1,
        ScalingConfig={"MaximumConcurrency": 2},
    )["UUID"]  # fmt: skip
    wait_for(lambda: _depth(clients, queue["url"]) == (0, 0), timeout=20)
    stats = _stats(cloud, uuid)
    assert stats["PeakConcurrency"] == 2  # it scaled up, and never past the maximum
    wait_for(lambda: _stats(cloud, uuid)["Pollers"] == 1, timeout=10)  # and back when idle
    shown = clients["lambda"].list_event_source_mappings(FunctionName=name)
    assert shown["EventSourceMappings"][0]["ScalingConfig"] == {"MaximumConcurrency": 2}


def test_a_batching_window_gathers_one_batch(
    cloud: LocalCloud, clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("partial")
    queue = _queue(clients)
    _send(clients, queue["url"], [f"m{i}" for i in range(30)])
    uuid = clients["lambda"].create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue["arn"], BatchSize=50,
        MaximumBatchingWindowInSeconds=1,
    )["UUID"]  # fmt: skip
    wait_for(lambda: _stats(cloud, uuid)["Records"] == 30)
    assert _stats(cloud, uuid)["Invocations"] == 1
    logs = clients["logs"].filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert "batch 30" in [e["message"] for e in logs]


def test_mappings_are_refused_as_lambda_refuses_them(
    clients: dict[str, Any], make_function: Callable[..., str]
) -> None:
    name = make_function("partial", Timeout=10)
    queue = _queue(clients, visibility=5)
    client = clients["lambda"]
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="less than"):
        client.create_event_source_mapping(FunctionName=name, EventSourceArn=queue["arn"])
    client.update_function_configuration(FunctionName=name, Timeout=3)
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="greater than 0"):
        client.create_event_source_mapping(
            FunctionName=name, EventSourceArn=queue["arn"], BatchSize=20
        )
    client.create_event_source_mapping(FunctionName=name, EventSourceArn=queue["arn"])
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_event_source_mapping(FunctionName=name, EventSourceArn=queue["arn"])
