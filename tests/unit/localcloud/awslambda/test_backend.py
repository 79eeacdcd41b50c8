from __future__ import annotations

import base64
import json
import threading

import pytest
from moto.awslambda.models import lambda_backends
from moto.iam.models import iam_backends
from moto.sqs.models import sqs_backends

from messaging.localcloud.awslambda.backend import LocalLambdaBackend, check_function
from messaging.localcloud.state import snapshot
from tests.support import wait_for
from tests.support.lambdas import package
from tests.support.moto_state import ACCOUNT, REGION


def _backend() -> LocalLambdaBackend:
    backend = lambda_backends[ACCOUNT][REGION]
    assert isinstance(backend, LocalLambdaBackend)
    return backend


def test_functions_and_mappings_survive_a_snapshot_and_polling_resumes() -> None:
    role = iam_backends[ACCOUNT]["aws"].create_role("r", "{}", "/", None, "", [], None)
    queue = sqs_backends[ACCOUNT][REGION].create_queue("q")
    backend = _backend()
    code = {"ZipFile": base64.b64encode(package())}  # as the API's JSON carries it
    spec = {"FunctionName": "f", "Runtime": "python3.12", "Role": role.arn}
    backend.create_function({**spec, "Handler": "handlers.partial", "Code": code})
    mapping = backend.create_event_source_mapping(
        {"FunctionName": "f", "EventSourceArn": queue.queue_arn}
    )
    data = snapshot.capture("instance")  # moto's storages hold weak and lambda-made dicts
    backend.shutdown()
    snapshot.restore(data)
    restored = _backend()
    assert [f.function_name for f in restored.list_functions()] == ["f"]
    found = restored.queue_mapping(mapping.uuid)
    assert found is not None
    assert restored.get_function("f").function_arn == found.function_arn
    assert mapping.uuid in restored._pollers  # after_restore started its poller again


def test_a_reset_stops_every_poller_and_ends_every_worker_process() -> None:
    role = iam_backends[ACCOUNT]["aws"].create_role("r", "{}", "/", None, "", [], None)
    queue = sqs_backends[ACCOUNT][REGION].create_queue("q")
    backend = _backend()
    code = {"ZipFile": base64.b64encode(package())}
    spec = {"FunctionName": "f", "Runtime": "python3.12", "Role": role.arn}
    backend.create_function({**spec, "Handler": "handlers.echo", "Code": code})
    answer = backend.invoke("f", None, b'{"n": 1}', {}, {})
    assert answer is not None
    assert json.loads(answer)["event"] == {"n": 1}
    workers = backend.runtime_of("f").workers()
    assert workers  # the warm worker that answered
    mapping = backend.create_event_source_mapping(
        {"FunctionName": "f", "EventSourceArn": queue.queue_arn}
    )
    name = f"lambda-esm-{mapping.uuid[:8]}"
    pollers = [t for t in threading.enumerate() if t.name == name]
    assert pollers

    backend.reset()

    assert not any(worker.alive for worker in workers)
    # Stopped under moto's reset lock without a join (a join there could deadlock): each
    # poller ends on its own once the reset is over.
    assert wait_for(lambda: not any(thread.is_alive() for thread in pollers), timeout=10)
    assert backend.list_functions() == []
    assert backend.queue_mapping(mapping.uuid) is None


def test_a_graceful_shutdown_lets_the_batch_in_flight_finish_and_be_deleted() -> None:
    role = iam_backends[ACCOUNT]["aws"].create_role("r", "{}", "/", None, "", [], None)
    sqs = sqs_backends[ACCOUNT][REGION]
    queue = sqs.create_queue("q")
    sqs.send_message("q", "in flight when the cloud stops")
    backend = _backend()
    code = {"ZipFile": base64.b64encode(package())}
    spec = {"FunctionName": "f", "Runtime": "python3.12", "Role": role.arn}
    backend.create_function({**spec, "Handler": "handlers.napping_batch", "Code": code})
    backend.create_event_source_mapping({"FunctionName": "f", "EventSourceArn": queue.queue_arn})
    runtime = backend.runtime_of("f")
    wait_for(lambda: runtime.in_flight == 1, timeout=20)

    backend.shutdown()  # graceful, as when `messaging up` stops

    assert runtime.in_flight == 0
    assert (
        queue.approximate_number_of_messages,
        queue.approximate_number_of_messages_not_visible,
    ) == (0, 0)
    assert not runtime.workers()  # and its process ended


def test_a_malformed_request_is_answered_first_and_a_refused_function_is_not_kept() -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException, ValidationException

    role = iam_backends[ACCOUNT]["aws"].create_role("r", "{}", "/", None, "", [], None)
    backend = _backend()
    image = {"ImageUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/x:1"}
    malformed = {"FunctionName": "f", "Role": role.arn, "Architectures": ["foo"], "Code": image}
    with pytest.raises(ValidationException, match="architectures"):  # AWS's answer, not ours
        backend.create_function(malformed)
    code = {"ZipFile": base64.b64encode(package())}
    node = {"FunctionName": "f", "Role": role.arn, "Runtime": "nodejs20.x", "Handler": "h.f"}
    with pytest.raises(InvalidParameterValueException, match="only Python runtimes"):
        backend.create_function({**node, "Code": code})
    assert backend.list_functions() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Runtime": "nodejs20.x"}, "only Python runtimes"),
        ({"PackageType": "Image"}, "Container image"),
        ({"Layers": ["arn:aws:lambda:us-east-1:1:layer:x:1"]}, "Layers is not supported"),
        ({"Timeout": 901}, "between 1 and 900"),
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "reserved keys"),
        ({"LoggingConfig": {"LogFormat": "JSON"}}, "LogFormat Text"),
        ({"TracingConfig": {"Mode": "Active"}}, "X-Ray"),
    ],
)
def test_what_cannot_run_as_declared_is_refused(change: dict[str, object], message: str) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException

    spec = {"Runtime": "python3.12", "Handler": "h.f", "Code": {}, **change}
    with pytest.raises(InvalidParameterValueException, match=message):
        check_function(spec)
