"""The local cloud in a process of its own, for a command that starts one for itself.

`simulate` used to serve the local cloud from its own interpreter: the cloud, the
producer, the services' pollers and the live view shared one GIL, so the run used one
core (issue #21: 116 events/s). In a child process the cloud gets a core of its own.

The child never outlives its parent: it stops when its stdin closes, which happens when
the parent stops it, exits, or is killed (even by SIGKILL: the kernel closes the pipe).
It ignores SIGINT and SIGTERM: a Ctrl-C in a terminal reaches the whole process group,
and the parent, which still needs the cloud to drain and verify, decides when the cloud
stops. Stopping delivers every buffered Firehose record (`LocalCloud.stop`).

The protocol is one JSON object per line. The child prints `{"endpoint_url", "region",
"instance", "placeholder_credentials"}` once it serves, or `{"error"}` if it cannot
start; the parent writes `stop` (or closes stdin); the child prints
`{"faults_injected", "undelivered"}` and exits. Its log goes to a temporary file, so it
never writes over the parent's live view; a failure quotes the file's last line.

Known limit: if the parent is killed, the child still delivers its Firehose buffers
into its own memory before it exits, which nobody reads: the run was lost anyway.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from typing import IO, TYPE_CHECKING, Any, Self

from messaging.errors import MessagingError
from messaging.localcloud.collector import tune_for_serving

if TYPE_CHECKING:
    from messaging.localcloud.faults import FaultPlan

__all__ = ["CloudProcess", "CloudProcessError", "CloudStopped", "main"]

logger = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # importing moto and installing the plug-ins, on a loaded machine
STOP_TIMEOUT = 60.0  # stopping Lambda workers and flushing Firehose


class CloudProcessError(MessagingError):
    """The local cloud's process did not start, answer, or stop as it should."""


@dataclass(frozen=True)
class CloudStopped:
    """What the child said when it stopped."""

    faults_injected: int | None  # None: no fault injection was asked for
    undelivered: int  # Firehose records it could not deliver


class CloudProcess:
    """Start, address and stop a local cloud in a child process (`python -m` this module)."""

    def __init__(self, faults: FaultPlan | None = None) -> None:
        self._faults = faults
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._log: IO[bytes] | None = None
        self.endpoint_url = ""
        self.region = ""
        self.instance = ""
        # The local cloud ignores signatures; its clients sign with these placeholders.
        self.placeholder_credentials: tuple[str, str] = ("", "")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        self._log = tempfile.TemporaryFile(prefix="messaging-localcloud-")  # noqa: SIM115 - closed in stop
        plan = _plan_json(self._faults)
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", __name__, plan],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,  # a terminal's Ctrl-C is the parent's to handle
        )
        threading.Thread(target=self._pump, name="localcloud-process", daemon=True).start()
        try:
            ready = self._answer(timeout, "start")
        except CloudProcessError:
            self._kill()
            raise
        if "error" in ready:
            self._kill()
            raise CloudProcessError(f"the local cloud did not start: {ready['error']}")
        self.endpoint_url = str(ready["endpoint_url"])
        self.region = str(ready["region"])
        self.instance = str(ready.get("instance", ""))
        key, secret = ready["placeholder_credentials"]
        self.placeholder_credentials = (str(key), str(secret))
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> CloudStopped:
        """Ask the child to stop and wait for it; kill it if it does not in `timeout`."""
        process = self._process
        if process is None:
            return CloudStopped(faults_injected=None, undelivered=0)
        try:
            with contextlib.suppress(BrokenPipeError, OSError):  # it died: nothing to ask
                if process.stdin is not None:
                    process.stdin.write("stop\n")
                    process.stdin.close()
            answer = self._answer(timeout, "stop")
            process.wait(timeout=timeout)
        except (CloudProcessError, subprocess.TimeoutExpired):
            self._kill()
            raise
        finally:
            self._process = None
            self._close_log()
        faults = answer.get("faults_injected")
        return CloudStopped(
            faults_injected=int(faults) if faults is not None else None,
            undelivered=int(answer.get("undelivered", 0)),
        )

    def _pump(self) -> None:
        process = self._process
        if process is None or process.stdout is None:
            return
        for line in process.stdout:
            self._lines.put(line)
        self._lines.put(None)  # end of output: the child is gone

    def _answer(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise CloudProcessError(
                f"the local cloud's process did not answer {what} within {timeout:.0f} s"
                f"{self._last_log_line()}"
            ) from None
        if line is None:
            raise CloudProcessError(
                f"the local cloud's process ended before it answered {what}{self._last_log_line()}"
            )
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _last_log_line(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = [ln for ln in self._log.read().decode("utf-8", "replace").splitlines() if ln]
        return f" (its last log line: {lines[-1].strip()})" if lines else ""

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _plan_json(plan: FaultPlan | None) -> str:
    if plan is None:
        return "null"
    values = asdict(plan)
    values["operations"] = sorted(plan.operations) if plan.operations is not None else None
    values["kinds"] = list(plan.kinds)
    return json.dumps(values)


def _plan(text: str) -> FaultPlan | None:
    from messaging.localcloud.faults import FaultPlan  # noqa: PLC0415 - child only

    values = json.loads(text)
    if values is None:
        return None
    operations = values.pop("operations")
    kinds = tuple(values.pop("kinds"))
    return FaultPlan(
        **values, operations=frozenset(operations) if operations is not None else None, kinds=kinds
    )


def _say(**answer: object) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    """The child: serve until stdin says `stop` or closes, then stop and say so."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    from messaging.localcloud.server import LocalCloud  # noqa: PLC0415 - moto: child only

    try:
        cloud = LocalCloud(port=0, faults=_plan(argv[0])).start()
    except Exception as error:
        logger.exception("the local cloud did not start")
        _say(error=f"{type(error).__name__}: {error}")
        return 1
    tune_for_serving()
    _say(
        endpoint_url=cloud.endpoint_url,
        region=cloud.region,
        instance=cloud.instance_id,
        placeholder_credentials=cloud.placeholder_credentials,
    )
    for line in sys.stdin:  # until "stop", or end of input: the parent is gone
        if line.strip() == "stop":
            break
    report = cloud.stop()
    _say(
        faults_injected=cloud.faults.total() if cloud.faults is not None else None,
        undelivered=report.undelivered,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
