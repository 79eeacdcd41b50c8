from __future__ import annotations

import base64

import pytest
from moto.awslambda.models import lambda_backends
from moto.iam.models import iam_backends
from moto.sqs.models import sqs_backends

from messaging.localcloud.awslambda.backend import LocalLambdaBackend, check_function
from messaging.localcloud.state import snapshot
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
