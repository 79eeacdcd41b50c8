"""The Python runtime inside one local Lambda worker process (an execution environment).

Run as a script (`python -I -u bootstrap.py CODE_DIR HANDLER`), never imported by the
local cloud, so the process imports nothing of ours before the handler. Standard library
only.

Where imports come from (what differs from Lambda, where CODE_DIR is first on
`sys.path`): the package's own `messaging` (pure Python) is imported from CODE_DIR,
before anything else; every other top-level name comes from the local cloud's
environment first and from CODE_DIR only if that environment lacks it (the handler's
own modules, pure-Python extras). The package's third-party dependencies are wheels
for Lambda's platform and Python, which this machine may not run: the local cloud's
own versions of them are used instead.

What it does, as Lambda's Python runtime does:

- Init: arranges the imports (above), resolves the handler string `module.function`
  (the module may be dotted, or a path with `/`), imports the module (its top-level code
  is the init phase) and reports `{"ready": true}` with the init duration, or the
  runtime's error (`Runtime.ImportModuleError`, `Runtime.HandlerNotFound`,
  `Runtime.MalformedHandlerName`) with the messages Lambda writes;
- Invoke: one JSON request per line on the protocol input; calls `handler(event,
  context)` and answers one JSON line: the result, or `errorMessage`, `errorType` and
  `stackTrace` (an exception also goes to the log as `[ERROR] Type: message` and its
  traceback); a result that is not JSON is `Runtime.MarshalError`;
- Output: the process's stdout and stderr are the function's log; the protocol runs on
  copies of the original stdin/stdout taken before they are redirected, so a `print`
  can never corrupt it. The root logger writes `[LEVEL]\\ttime\\trequest id\\tmessage`.

The parent (`workers`) enforces the timeout by killing this process, as Lambda freezes
and discards an environment whose invocation timed out.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, cast

__all__ = ["OWN_PACKAGES", "Context", "arrange_imports", "main"]


class Context:
    """The `context` argument: the attributes Lambda's Python runtime gives."""

    def __init__(self, request: dict[str, Any]) -> None:
        environ = os.environ
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = str(request.get("invoked_function_arn", ""))
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = str(request["request_id"])
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


_REQUEST_ID = _RequestIdFilter()


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    logging.Formatter.converter = time.gmtime
    handler.addFilter(_REQUEST_ID)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())


def _error(error_type: str, message: str, trace: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": trace or []}


def _log_error(error: dict[str, Any]) -> None:
    """An error as the runtime logs it: `[ERROR] Type: message`, then the trace."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in error["stackTrace"])
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def load_handler(handler: str) -> Callable[..., Any] | dict[str, Any]:
    """The handler function, or the runtime's error for a handler it cannot load."""
    try:
        module_path, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        return _error("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return _error(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        )
    except Exception as error:  # noqa: BLE001 - the function's init code: any error is its own
        trace = traceback.format_tb(error.__traceback__)
        return _error(type(error).__name__, str(error), trace)
    function: Any = getattr(module, function_name, None)
    if not callable(function):
        return _error(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return cast("Callable[..., Any]", function)


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, separators=(",", ":")) + "\n")
    channel.flush()


def _max_memory_mb() -> int:
    """Peak resident memory of this process (VmHWM; getrusage's maxrss survives exec,
    so it would report the parent's)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024 + 1  # kB
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024) + 1


def _invoke(function: Callable[..., Any], request: dict[str, Any]) -> dict[str, Any]:
    _REQUEST_ID.request_id = str(request["request_id"])
    try:
        result = function(request["event"], Context(request))
    except Exception as error:  # noqa: BLE001 - any error of the handler is reported, as Lambda does
        # The runtime's own frame is not part of the function's trace.
        frames = traceback.extract_tb(error.__traceback__)[1:]
        failure = _error(type(error).__name__, str(error), traceback.format_list(frames))
        _log_error(failure)
        return {"ok": False, "error": failure}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        payload = json.dumps(result)
    except (TypeError, ValueError) as error:
        failure = _error("Runtime.MarshalError", f"Unable to marshal response: {error}")
        _log_error(failure)
        return {"ok": False, "error": failure}
    return {"ok": True, "payload": payload}


OWN_PACKAGES = frozenset({"messaging"})  # imported from the package, never the cloud's


class _OwnPackages(importlib.abc.MetaPathFinder):
    """Finds the package's own top-level packages in CODE_DIR, ahead of `sys.path`
    (their submodules then follow the package's `__path__`)."""

    def __init__(self, code_dir: str) -> None:
        self._code_dir = code_dir

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in OWN_PACKAGES:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [self._code_dir])


def arrange_imports(code_dir: str) -> None:
    """The package's own `messaging` first; everything else the environment's, then
    CODE_DIR's. The script's directory (`-I` puts it first) is no place to import from."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.append(code_dir)
    sys.meta_path.insert(0, _OwnPackages(code_dir))


def main(argv: list[str]) -> int:
    code_dir, handler = argv[1], argv[2]
    # The protocol keeps the original pipes; the function's stdout goes to the log.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    arrange_imports(code_dir)
    os.chdir(code_dir)
    _configure_logging()
    started = time.monotonic()
    loaded = load_handler(handler)
    init_ms = (time.monotonic() - started) * 1000
    if isinstance(loaded, dict):
        _log_error(loaded)
        _send(replies, {"ready": False, "error": loaded, "init_ms": init_ms})
        return 1
    _send(replies, {"ready": True, "init_ms": init_ms})
    for line in requests:
        reply = _invoke(loaded, json.loads(line))
        reply["max_memory_mb"] = _max_memory_mb()
        _send(replies, reply)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
