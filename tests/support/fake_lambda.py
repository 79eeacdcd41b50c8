"""A stand-in for the local cloud's Lambda runtime, for tests of the deploy side only.

The local cloud's own runtime (`localcloud/awslambda`, the other half of issue 17) runs
the event source mappings. These tests check what this side builds on that interface
(the stack's functions and mappings, the handler, the simulation's Lambda mode), so they
need something that does what the interface promises and nothing more: for each
mapping the Lambda API lists, receive a batch from its queue, call the function's
handler with a Lambda SQS event built from the function's own environment, delete the
messages it does not name in `batchItemFailures`, and write the invocation's output and
a REPORT line to `/aws/lambda/<function>`. One thread, one invocation at a time, no
timeout, no worker processes, no scaling: it is not the runtime, and is not tested as
one. It counts its own SQS requests per function, as the runtime's mappings will.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3

from messaging.consumer.lambda_handler import Function

Client = Callable[[str], Any]


class FakeLambdaRuntime:
    def __init__(self, endpoint: str, region: str, credentials: tuple[str, str]) -> None:
        key, secret = credentials
        session = boto3.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, region_name=region
        )
        self.client: Client = lambda service: session.client(  # type: ignore[call-overload]
            service, endpoint_url=endpoint
        )
        self.lam, self.sqs, self.logs = (self.client(s) for s in ("lambda", "sqs", "logs"))
        self.polled: dict[str, Counter[str]] = {}  # function name -> "sqs:Operation" -> n
        self.functions: dict[str, Function] = {}
        self.invocations = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-lambda", daemon=True)

    def __enter__(self) -> FakeLambdaRuntime:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def meter(self, function_name: str) -> dict[str, int] | None:
        """What a `MappingMeter` reads: the SQS requests made for this function."""
        counted = self.polled.get(function_name)
        return dict(counted) if counted is not None else None

    def _run(self) -> None:
        while not self._stop.is_set():
            mappings = self.lam.list_event_source_mappings()["EventSourceMappings"]
            busy = False
            for mapping in mappings:
                if mapping.get("State") == "Enabled":
                    busy |= self._poll(mapping)
            if not busy:
                self._stop.wait(0.2)

    def _function(self, name: str) -> Function:
        if name not in self.functions:
            configuration = self.lam.get_function(FunctionName=name)["Configuration"]
            environment = configuration["Environment"]["Variables"]
            self.functions[name] = Function.from_environment(environment)
        return self.functions[name]

    def _poll(self, mapping: dict[str, Any]) -> bool:
        name = mapping["FunctionArn"].rsplit(":", 1)[-1]
        queue = self.sqs.get_queue_url(QueueName=mapping["EventSourceArn"].rsplit(":", 1)[-1])
        counted = self.polled.setdefault(name, Counter())
        counted["sqs:GetQueueUrl"] += 1
        received = self.sqs.receive_message(
            QueueUrl=queue["QueueUrl"],
            MaxNumberOfMessages=min(int(mapping["BatchSize"]), 10),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        counted["sqs:ReceiveMessage"] += 1
        if not received:
            return False
        event = {"Records": [_record(m, mapping["EventSourceArn"]) for m in received]}
        lines: list[str] = []
        function = dataclasses.replace(self._function(name), out=lines.append)
        request_id = str(uuid.uuid4())
        began = time.monotonic()
        answer = function(event, _Context(request_id, name))
        duration = (time.monotonic() - began) * 1000
        self.invocations += 1
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=queue["QueueUrl"],
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
                ],
            )
            counted["sqs:DeleteMessageBatch"] += 1
        self._log(name, request_id, lines, duration)
        return True

    def _log(self, name: str, request_id: str, lines: list[str], duration: float) -> None:
        group, stream = f"/aws/lambda/{name}", f"fake/{request_id}"
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        now = int(time.time() * 1000)
        messages = [
            f"START RequestId: {request_id} Version: $LATEST",
            *(line.rstrip("\n") for line in lines),
            f"END RequestId: {request_id}",
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {max(1, round(duration))} ms\tMemory Size: 256 MB\t"
            "Max Memory Used: 64 MB\t",
        ]
        self.logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": m} for m in messages],
        )


@dataclasses.dataclass(frozen=True)
class _Context:
    aws_request_id: str
    function_name: str


def _record(message: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """A ReceiveMessage message in the shape of a Lambda SQS event record."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            key: {"stringValue": value.get("StringValue"), "dataType": value["DataType"]}
            for key, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": source_arn.split(":")[3],
    }
