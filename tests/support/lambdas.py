"""Small Lambda deployment packages built from source text (no downloads), for the tests."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from messaging.localcloud.server import LocalCloud

__all__ = ["HANDLERS", "client", "package"]


def client(cloud: LocalCloud, service: str, **config: Any) -> Any:
    """A boto3 client of the in-process local cloud (`config`: botocore Config options)."""
    key, secret = cloud.placeholder_credentials
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=cloud.endpoint_url,
        region_name=cloud.region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(**config),
    )


# One module with every behaviour the tests need; each test picks its handler.
HANDLERS = '''
import json, os, signal, sys, time
import boto3

INIT_PID = os.getpid()

def echo(event, context):
    print("echo", json.dumps(event))
    prefixes = ("AWS_", "MESSAGING_", "LAMBDA_")
    return {"event": event, "pid": os.getpid(), "name": context.function_name,
            "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(),
            "env": {k: v for k, v in os.environ.items() if k.startswith(prefixes)}}

def boom(event, context):
    raise ValueError("boom for " + context.aws_request_id)

def sleepy(event, context):
    time.sleep(float(event.get("seconds", 30)))
    return "slept"

def crash(event, context):
    print("about to exit")
    os._exit(3)

def _marker(name):
    return os.path.join(os.environ["MARKER_DIR"], name)

_clients = {}

def _dynamodb():
    """One client per process, made on first use, as a real handler keeps it warm: making
    one takes most of a second on a loaded machine, which the timeout must not pay."""
    if "dynamodb" not in _clients:
        _clients["dynamodb"] = boto3.client("dynamodb")
    return _clients["dynamodb"]

def store(event, context):
    """Write each record to a table once (conditional put). A `poison` record is reported
    failed; the first time, `crash-once` exits the process, `kill-once` SIGKILLs it and
    `slow-once` outlives the timeout."""
    table = os.environ["TABLE"]
    ddb = _dynamodb()
    failures = []
    for record in event["Records"]:
        body = record["body"]
        if body.startswith("crash-once") and not os.path.exists(_marker(body)):
            open(_marker(body), "w").close()
            os._exit(9)
        if body.startswith("kill-once") and not os.path.exists(_marker(body)):
            open(_marker(body), "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        if body.startswith("slow-once") and not os.path.exists(_marker(body)):
            open(_marker(body), "w").close()
            time.sleep(30)
        if body.startswith("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        try:
            ddb.put_item(TableName=table, Item={"pk": {"S": body}},
                         ConditionExpression="attribute_not_exists(pk)")
        except ddb.exceptions.ConditionalCheckFailedException:
            pass  # applied before (a redelivery): the conditional write keeps it once
    return {"batchItemFailures": failures}

def partial(event, context):
    """Reports every record whose body starts with 'fail' as a failure."""
    print("batch", len(event["Records"]))
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                  for r in event["Records"] if r["body"].startswith("fail")]}

def invalid(event, context):
    return {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}

def slow_batch(event, context):
    time.sleep(0.3)
    return {"batchItemFailures": []}

def napping_batch(event, context):
    """Long enough for a test to stop the cloud while the batch is in flight."""
    time.sleep(1.5)
    return {"batchItemFailures": []}
'''


def package(files: dict[str, str] | None = None) -> bytes:
    """A zip holding `handlers.py` (or the given files) at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (files or {"handlers.py": HANDLERS}).items():
            archive.writestr(name, text)
    return buffer.getvalue()
