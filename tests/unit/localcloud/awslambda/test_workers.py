from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.localcloud.awslambda.workers import (
    EncodedJson,
    Outcome,
    Worker,
    WorkerSpec,
    request_line,
)
from tests.support.lambdas import HANDLERS


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    (tmp_path / "broken.py").write_text("raise RuntimeError('init failed')\n")
    return tmp_path


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.discard()


def _worker(code_dir: Path, handler: str, workers: list[Worker]) -> Worker:
    env = {"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}
    worker = Worker(WorkerSpec("fn", code_dir, handler, env, "k"), code_dir)
    workers.append(worker)
    return worker


def _request(event: object) -> dict[str, object]:
    import time

    return {"request_id": "r-1", "event": event, "deadline_ms": int(time.time() * 1000) + 5000}


def test_a_warm_worker_answers_in_the_same_process_with_lambdas_context(
    code_dir: Path, workers: list[Worker]
) -> None:
    worker = _worker(code_dir, "handlers.echo", workers)
    assert worker.start() is None
    first = worker.invoke(_request({"n": 1}), timeout=5)
    second = worker.invoke(_request({"n": 2}), timeout=5)
    assert first.ok
    assert second.ok
    one, two = json.loads(first.payload or ""), json.loads(second.payload or "")
    assert one["pid"] == two["pid"] == worker.pid  # warm: the same environment
    assert one["name"] == "fn"
    assert one["memory"] == "256"
    assert 0 < one["remaining"] <= 5000
    assert first.init_ms is not None  # the cold start reports its init
    assert second.init_ms is None
    assert first.output == ['echo {"n": 1}']  # the function's stdout, not the protocol
    assert first.max_memory_mb > 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8).filter(lambda k: k != "event"), JSON, max_size=4), JSON)
def test_a_request_line_carries_an_encoded_event_as_the_event_itself(
    rest: dict[str, object], event: object
) -> None:
    line = request_line({**rest, "event": EncodedJson(json.dumps(event))})
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1  # one line: JSON escapes the newlines in strings
    assert json.loads(line) == json.loads(request_line({**rest, "event": event}))
    assert json.loads(line) == {**rest, "event": event}


def test_a_worker_gets_an_encoded_event_as_it_gets_the_same_event_unencoded(
    code_dir: Path, workers: list[Worker]
) -> None:
    worker = _worker(code_dir, "handlers.echo", workers)
    assert worker.start() is None
    encoded = worker.invoke(_request(EncodedJson('{"Records": [{"n": 1}, {"n": 2}]}')), timeout=5)
    plain = worker.invoke(_request({"Records": [{"n": 1}, {"n": 2}]}), timeout=5)
    assert encoded.ok
    assert encoded.output == plain.output == ['echo {"Records": [{"n": 1}, {"n": 2}]}']


def test_an_exception_is_the_functions_error_and_is_logged(
    code_dir: Path, workers: list[Worker]
) -> None:
    worker = _worker(code_dir, "handlers.boom", workers)
    assert worker.start() is None
    outcome = worker.invoke(_request({}), timeout=5)
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error["errorType"] == "ValueError"
    assert outcome.error["errorMessage"] == "boom for r-1"
    assert any("in boom" in frame for frame in outcome.error["stackTrace"])
    assert outcome.output[0] == "[ERROR] ValueError: boom for r-1"
    assert worker.alive  # a handled error keeps the environment


def test_a_timeout_kills_the_process(code_dir: Path, workers: list[Worker]) -> None:
    worker = _worker(code_dir, "handlers.sleepy", workers)
    assert worker.start() is None
    outcome = worker.invoke(_request({"seconds": 30}), timeout=0.5)
    assert outcome.status == "timeout"
    assert not worker.alive


def test_a_process_that_exits_mid_invocation_is_a_crash(
    code_dir: Path, workers: list[Worker]
) -> None:
    worker = _worker(code_dir, "handlers.crash", workers)
    assert worker.start() is None
    outcome: Outcome = worker.invoke(_request({}), timeout=5)
    assert outcome.status == "crash"
    assert outcome.error is not None
    assert "Runtime exited with error: exit status 3" in outcome.error["errorMessage"]
    assert outcome.output == ["about to exit"]  # printed just before the crash: kept


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("nomodule.handler", "Runtime.ImportModuleError", "Unable to import module 'nomodule'"),
        ("handlers.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module"),
        ("nohandler", "Runtime.MalformedHandlerName", "Bad handler 'nohandler'"),
        ("broken.handler", "RuntimeError", "init failed"),
    ],
)
def test_a_handler_that_cannot_load_fails_the_init_with_the_runtimes_error(
    code_dir: Path, workers: list[Worker], handler: str, error_type: str, message: str
) -> None:
    outcome = _worker(code_dir, handler, workers).start()
    assert outcome is not None
    assert outcome.status == "init"
    assert outcome.error is not None
    assert outcome.error["errorType"] == error_type
    assert message in outcome.error["errorMessage"]


def test_the_packages_own_messaging_comes_first_and_libraries_from_the_cloud(
    tmp_path: Path, workers: list[Worker]
) -> None:
    """The package's pure-Python `messaging` shadows the local cloud's; a dependency it
    holds built for Lambda's platform (here: one that cannot import) does not shadow
    the cloud's; what the cloud lacks comes from the package."""
    (tmp_path / "messaging").mkdir()
    (tmp_path / "messaging" / "__init__.py").write_text("FROM_THE_PACKAGE = True\n")
    (tmp_path / "messaging" / "own.py").write_text("WHERE = 'package'\n")
    (tmp_path / "boto3").mkdir()
    (tmp_path / "boto3" / "__init__.py").write_text("raise ImportError('built for Lambda')\n")
    (tmp_path / "extra_only_here.py").write_text("HERE = True\n")
    (tmp_path / "logs.py").write_text("OWN = True\n")  # a name the runtime's folder has
    (tmp_path / "which.py").write_text(
        "import boto3, extra_only_here, logs, messaging, messaging.own\n"
        "def handler(event, context):\n"
        "    return {'messaging': messaging.__file__, 'boto3': boto3.__file__,\n"
        "            'marked': messaging.FROM_THE_PACKAGE, 'own': messaging.own.WHERE,\n"
        "            'extra': extra_only_here.HERE, 'logs': logs.OWN}\n"
    )
    worker = _worker(tmp_path, "which.handler", workers)
    assert worker.start() is None
    answer = worker.invoke(_request({}), timeout=5)
    assert answer.ok, answer
    found = json.loads(answer.payload or "")
    assert Path(found["messaging"]).parent == tmp_path / "messaging"
    assert (found["marked"], found["own"], found["extra"], found["logs"]) == (
        True, "package", True, True,
    )  # fmt: skip
    assert not Path(found["boto3"]).is_relative_to(tmp_path)  # the local cloud's boto3
