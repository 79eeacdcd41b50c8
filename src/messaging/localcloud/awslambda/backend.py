"""moto's Lambda backend, with invocations run in local worker processes instead of Docker.

The gap it closes: moto's Invoke needs Docker (and without it answers a canned string),
and its SQS event source mappings are stored but never polled (its queues call a
function on each send, through Docker). Here:

- CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration check what Lambda
  checks, and refuse what the local cloud cannot run (see `check_function`);
- Invoke (RequestResponse, Event, DryRun) runs the handler in a worker process
  (`functions`), with reserved concurrency enforced (TooManyRequestsException);
- SQS event source mappings are validated (`mappings`) and polled (`poller`);
- GetEventSourceMapping and ListEventSourceMappings add `LocalCloudStatistics`.

Persistence: functions and mappings (with their statistics) pickle with the backend;
worker processes, pollers and unpacked code are made anew (`after_restore` starts the
pollers of enabled mappings). `reset()` and `shutdown()` stop pollers (in-flight
invocations finish) and end every worker process.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import weakref
from collections import defaultdict
from typing import Any, ClassVar

from moto.awslambda.exceptions import (
    InvalidParameterValueException,
    LambdaClientError,
    UnknownFunctionException,
)
from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction, lambda_backends
from moto.core.exceptions import JsonRESTError
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from messaging.localcloud.awslambda.artifacts import CodeCache, PackageError, check_package
from messaging.localcloud.awslambda.functions import FunctionConfig, FunctionRuntime, Invocation
from messaging.localcloud.awslambda.mappings import MappingStats, check_mapping
from messaging.localcloud.awslambda.poller import MappingPoller
from messaging.localcloud.seams import moto_urls, use_backend
from messaging.localcloud.state.gate import gate

__all__ = [
    "LocalLambdaBackend",
    "QueueMapping",
    "TooManyRequestsError",
    "check_function",
    "install",
    "installed_backends",
]

logger = logging.getLogger(__name__)

RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
        "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    }
)  # fmt: skip
# Function settings the local cloud cannot honour: refused rather than ignored.
UNSUPPORTED_SETTINGS = (
    "Layers", "VpcConfig", "FileSystemConfigs", "ImageConfig", "SnapStart",
    "CodeSigningConfigArn", "DeadLetterConfig",
)  # fmt: skip
TAIL_BYTES = 4096


class TooManyRequestsError(LambdaClientError):
    """Lambda's throttle: the function's concurrency is in use."""

    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")


def _invalid(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


def check_function(spec: dict[str, Any]) -> None:
    """Refuse a function Lambda refuses, or one the local cloud could not run as declared."""
    runtime = str(spec.get("Runtime") or "")
    if spec.get("PackageType", "Zip") != "Zip" or "ImageUri" in (spec.get("Code") or {}):
        raise _invalid("Container image functions are not supported by the local cloud.")
    if not runtime.startswith("python3."):
        raise _invalid(
            f"Runtime {runtime or '(none)'} is not supported by the local cloud: only Python "
            "runtimes run without Docker."
        )
    if not spec.get("Handler"):
        raise _invalid("Handler is required for a function with a .zip deployment package.")
    for name in UNSUPPORTED_SETTINGS:
        if spec.get(name) not in (None, [], {}):
            raise _invalid(f"{name} is not supported by the local cloud.")
    if (spec.get("TracingConfig") or {}).get("Mode", "PassThrough") != "PassThrough":
        raise _invalid("TracingConfig Mode Active (X-Ray) is not supported by the local cloud.")
    logging_config = spec.get("LoggingConfig") or {}
    if logging_config.get("LogFormat", "Text") != "Text" or set(logging_config) - {
        "LogFormat",
        "LogGroup",
    }:
        raise _invalid("LoggingConfig: only LogFormat Text and LogGroup are supported locally.")
    timeout, memory = int(spec.get("Timeout", 3)), int(spec.get("MemorySize", 128))
    if not 1 <= timeout <= 900:
        raise _invalid(f"Timeout must be between 1 and 900 seconds (got {timeout}).")
    if not 128 <= memory <= 10240:
        raise _invalid(f"MemorySize must be between 128 and 10240 MB (got {memory}).")
    variables = (spec.get("Environment") or {}).get("Variables") or {}
    if reserved := sorted(RESERVED_VARIABLES & set(variables)):
        raise _invalid(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )


def _plain_storage(storage: Any) -> tuple[type, dict[str, Any]]:
    fields = dict(vars(storage))
    fields["_arns"] = dict(fields.get("_arns", {}))
    if "_aliases" in fields:
        fields["_aliases"] = dict(fields["_aliases"])
    return type(storage), fields


def _storage(saved: tuple[type, dict[str, Any]]) -> Any:
    kind, fields = saved
    storage: Any = object.__new__(kind)
    fields["_arns"] = weakref.WeakValueDictionary(fields["_arns"])
    if "_aliases" in fields:
        fields["_aliases"] = defaultdict(dict, fields["_aliases"])
    storage.__dict__.update(fields)
    return storage


class _Outside:
    """What `gate.parked` re-acquires: nothing (an invocation holds no queue lock)."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        return None


class QueueMapping(EventSourceMapping):
    """An SQS mapping with its statistics, shown by Get/ListEventSourceMappings."""

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.stats = MappingStats()

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""  # created through MappingResource, never by moto's parser

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    def is_created(self) -> bool:
        return True

    def get_configuration(self) -> dict[str, Any]:
        document: dict[str, Any] = super().get_configuration()
        document["LocalCloudStatistics"] = self.stats.document()
        return document


class LocalLambdaBackend(LambdaBackend):
    """moto's Lambda with local invocation and polling (see the module docstring)."""

    _url_module = moto_urls("awslambda")
    _RUNTIME: ClassVar[frozenset[str]] = frozenset(
        {"_runtimes", "_pollers", "_codes", "_runtime_lock", "_sqs"}
    )

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._runtimes: dict[str, FunctionRuntime] = {}
        self._pollers: dict[str, MappingPoller] = {}
        self._codes = CodeCache()
        self._runtime_lock = threading.Lock()
        self._sqs: SQSBackend | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in self._RUNTIME}
        # moto's function and layer storages hold a WeakValueDictionary and a
        # defaultdict of a lambda, which do not pickle: saved as plain dicts.
        state["_lambdas"] = _plain_storage(self._lambdas)
        state["_layers"] = _plain_storage(self._layers)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["_lambdas"] = _storage(state["_lambdas"])
        state["_layers"] = _storage(state["_layers"])
        self.__dict__.update(state)
        self._init_runtime()

    def after_restore(self) -> None:
        for mapping in list(self._event_source_mappings.values()):
            self._start_poller(mapping)

    # -- lookups used by the pollers --------------------------------------------------

    def sqs_backend(self) -> SQSBackend:
        # Looked up once: moto's BackendDict takes a process-wide lock on every lookup,
        # which the pollers' receives contended for. A reset clears the object in place
        # (the same SQS backend), and a restore starts a new runtime, so this stays true.
        if self._sqs is None:
            self._sqs = sqs_backends[self.account_id][self.region_name]
        return self._sqs

    def queue_of(self, arn: str) -> Queue | None:
        for queue in list(self.sqs_backend().queues.values()):
            if queue.queue_arn == arn:
                return queue
        return None

    def queue_mapping(self, uuid: str) -> QueueMapping | None:
        mapping = self.get_event_source_mapping(uuid)
        return mapping if isinstance(mapping, QueueMapping) else None

    def function_or_none(self, name_or_arn: str) -> LambdaFunction | None:
        try:
            return self.get_function(name_or_arn)
        except (UnknownFunctionException, JsonRESTError):
            return None

    def runtime_of(self, function_name: str) -> FunctionRuntime:
        with self._runtime_lock:
            if function_name not in self._runtimes:
                self._runtimes[function_name] = FunctionRuntime(self._codes)
            return self._runtimes[function_name]

    def _retire(self, function_name: str) -> None:
        with self._runtime_lock:
            runtime = self._runtimes.pop(function_name, None)
        if runtime is not None:
            runtime.close()

    # -- functions --------------------------------------------------------------------

    def create_function(self, spec: dict[str, Any]) -> LambdaFunction:
        # moto's checks first: AWS answers a malformed request (ValidationException)
        # before saying what it cannot do; what the local cloud cannot run is refused after.
        function = super().create_function(spec)
        try:
            check_function(spec)
            check_package(function.code_bytes)
        except PackageError as error:
            self._lambdas.del_function(function.function_name)
            raise _invalid(str(error)) from None
        except LambdaClientError:
            self._lambdas.del_function(function.function_name)
            raise
        function.log_group = (spec.get("LoggingConfig") or {}).get("LogGroup")  # type: ignore[attr-defined]
        return function

    def update_function_code(
        self, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        result = super().update_function_code(function_name, qualifier, body)
        check_package(self.get_function(function_name).code_bytes)
        self._retire(self.get_function(function_name).function_name)
        return result

    def update_function_configuration(
        self, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        function = self.get_function(function_name, qualifier)
        kept = ("Runtime", "Handler", "Timeout", "MemorySize", "Environment")
        current = {k: v for k, v in function.get_configuration().items() if k in kept}
        check_function({**current, **body})
        result = super().update_function_configuration(function_name, qualifier, body)
        if "LoggingConfig" in body:
            function.log_group = (body.get("LoggingConfig") or {}).get("LogGroup")  # type: ignore[attr-defined]
        self._retire(function.function_name)
        return result

    def delete_function(self, function_name: str, qualifier: str | None = None) -> None:
        name = self.get_function(function_name).function_name
        super().delete_function(function_name, qualifier)
        self._retire(name)

    def put_function_concurrency(self, function_name: str, reserved_concurrency: str) -> str:
        try:
            value = int(reserved_concurrency)
        except (TypeError, ValueError):
            raise _invalid("ReservedConcurrentExecutions must be an integer.") from None
        if value < 0:
            raise _invalid("ReservedConcurrentExecutions must be at least 0.")
        return super().put_function_concurrency(function_name, str(value))

    def invoke(
        self,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> str | bytes | None:
        """Run the function here (see `functions`); Lambda's headers and status codes."""
        function = self.get_function(function_name, qualifier)
        try:
            event = json.loads(body) if body else {}
        except ValueError as error:
            raise LambdaClientError(
                "InvalidRequestContentException", f"Could not parse request body into json: {error}"
            ) from None
        kind = headers.get("X-Amz-Invocation-Type", "RequestResponse")
        response_headers["x-amz-executed-version"] = "$LATEST"
        if kind == "DryRun":
            return b""
        config = FunctionConfig.of(function)
        runtime = self.runtime_of(config.name)
        if not runtime.try_acquire(config):
            raise TooManyRequestsError
        if kind == "Event":
            threading.Thread(
                target=self._run_async, args=(runtime, config, event), daemon=True
            ).start()
            return b""
        try:
            with gate.parked(_Outside()):  # the function's own requests must get in
                invocation = runtime.invoke(config, event)
        finally:
            runtime.release()
        self._answer(invocation, headers, response_headers)
        return invocation.payload

    @staticmethod
    def _run_async(runtime: FunctionRuntime, config: FunctionConfig, event: Any) -> None:
        try:
            invocation = runtime.invoke(config, event)
        finally:
            runtime.release()
        if not invocation.outcome.ok:
            logger.info("lambda %s: asynchronous invocation failed", config.name)

    @staticmethod
    def _answer(invocation: Invocation, headers: Any, response_headers: Any) -> None:
        if not invocation.outcome.ok:
            response_headers["x-amz-function-error"] = "Unhandled"
        if headers.get("X-Amz-Log-Type") == "Tail":
            tail = "\n".join(invocation.log_tail).encode("utf-8")[-TAIL_BYTES:]
            response_headers["x-amz-log-result"] = base64.b64encode(tail).decode("ascii")
        response_headers["Content-Length"] = str(len(invocation.payload))

    # -- event source mappings --------------------------------------------------------

    def create_event_source_mapping(self, spec: dict[str, Any]) -> EventSourceMapping:
        for required in ("EventSourceArn", "FunctionName"):
            if not spec.get(required):
                raise _invalid(f"Missing {required}")
        arn = str(spec["EventSourceArn"])
        if arn.split(":")[2:3] != ["sqs"]:
            raise _invalid(
                f"Only Amazon SQS event sources are supported by the local cloud (got {arn})."
            )
        if arn.endswith(".fifo"):
            raise _invalid("FIFO queue event sources are not supported by the local cloud.")
        queue = self.queue_of(arn)
        if queue is None:
            raise _invalid(
                "Error occurred while ReceiveMessage. SQS Error Code: "
                "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified "
                "queue does not exist."
            )
        check_mapping(spec)
        function = self.get_function(spec["FunctionName"])
        self._check_visibility(queue, function)
        for existing in self._event_source_mappings.values():
            if existing.event_source_arn == arn and existing.function_arn == function.function_arn:
                raise LambdaClientError(
                    "ResourceConflictException",
                    f'An event source mapping with SQS arn (" {arn} ") and function '
                    f'(" {function.function_name} ") already exists. Please update or delete '
                    f"the existing mapping with UUID {existing.uuid}",
                )
        spec = {**spec, "RegionName": self.region_name, "AccountId": self.account_id,
                "FunctionArn": function.function_arn}  # fmt: skip
        mapping = QueueMapping(spec)
        self._event_source_mappings[mapping.uuid] = mapping
        self._start_poller(mapping)
        return mapping

    @staticmethod
    def _check_visibility(queue: Queue, function: LambdaFunction) -> None:
        visibility = int(queue.visibility_timeout)  # type: ignore[attr-defined]  # moto setattr
        if visibility < int(function.timeout):
            raise _invalid(
                f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
                f"{function.timeout} seconds"
            )

    def update_event_source_mapping(
        self, uuid: str, spec: dict[str, Any]
    ) -> EventSourceMapping | None:
        mapping = self.get_event_source_mapping(uuid)
        if mapping is None:
            return None
        current = {
            "BatchSize": mapping.batch_size,
            "MaximumBatchingWindowInSeconds": mapping.max_batch_window,
            "FunctionResponseTypes": mapping.function_response_types,
            "ScalingConfig": mapping.scaling_config,
            "FilterCriteria": mapping.filter_criteria,
        }
        check_mapping(spec, current)
        if spec.get("FunctionName"):
            queue = self.queue_of(mapping.event_source_arn)
            if queue is not None:
                self._check_visibility(queue, self.get_function(spec["FunctionName"]))
        return super().update_event_source_mapping(uuid, spec)

    def delete_event_source_mapping(self, uuid: str) -> EventSourceMapping | None:
        mapping = super().delete_event_source_mapping(uuid)
        poller = self._pollers.pop(uuid, None)
        if poller is not None:
            # The API answers at once (State: Deleting); the pollers end on their own.
            threading.Thread(target=poller.stop, daemon=True).start()
        return mapping

    def _start_poller(self, mapping: EventSourceMapping) -> None:
        poller = MappingPoller(self, mapping.uuid)
        self._pollers[mapping.uuid] = poller
        poller.start()

    # -- lifecycle --------------------------------------------------------------------

    def shutdown(self, *, graceful: bool = True) -> None:
        """Stop every poller and every worker process.

        Graceful (the cloud stops): pollers first, so in-flight invocations finish while
        the cloud still serves their requests. Otherwise (a reset, which holds every
        request back): processes first, so nothing waits for a request that cannot run.
        """
        pollers, self._pollers = list(self._pollers.values()), {}
        with self._runtime_lock:
            runtimes, self._runtimes = list(self._runtimes.values()), {}
        if not graceful:
            for runtime in runtimes:
                runtime.kill_all()
        for poller in pollers:
            poller.signal()  # all at once: each ends its current wait or invocation
        for poller in pollers:
            # A reset runs under moto's backend lock, which a poller may be waiting for
            # (it looks up the SQS backend): joining it there would deadlock. Stopped, it
            # ends on its own once the reset is over.
            poller.stop(timeout=None if graceful else 0)
        for runtime in runtimes:
            runtime.kill_all()
        self._codes.clear()

    def reset(self) -> None:
        self.shutdown(graceful=False)
        super().reset()


def installed_backends() -> list[LocalLambdaBackend]:
    """Every Lambda backend built so far (for the server's stop)."""
    return [
        backend
        for _, _, backend in lambda_backends.iter_backends()
        if isinstance(backend, LocalLambdaBackend)
    ]


def install() -> None:
    """Make moto's Lambda BackendDict build our backend (idempotent)."""
    use_backend(lambda_backends, LocalLambdaBackend)
