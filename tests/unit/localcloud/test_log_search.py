"""FilterLogEvents by bisection gives moto's answers, page by page, token by token."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.logs import models as moto_logs
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.utils import EventMessageFilter

from messaging.localcloud.log_search import LocalLogsBackend, in_time_order
from tests.support.moto_state import ACCOUNT, REGION

GROUP = "/aws/lambda/orders-service"
NOW = int(time.time() * 1000)  # moto refuses events older than 14 days
WORDS = ("START", "END", "REPORT", "orders", "applied")

Call = dict[str, Any]


def backend_with(streams: list[list[tuple[int, str]]]) -> LocalLogsBackend:
    """A fresh backend of ours; stream n holds `streams[n]` (offset in ms, message)."""
    backend = moto_logs.logs_backends[ACCOUNT][REGION]
    assert isinstance(backend, LocalLogsBackend)
    backend.create_log_group(GROUP, {})
    for number, events in enumerate(streams):
        name = f"2026/11/30/[$LATEST]{number:04d}"
        backend.create_log_stream(GROUP, name)
        for offset, message in events:  # one put per event: a stream may be out of order
            backend.put_log_events(GROUP, name, [{"timestamp": NOW + offset, "message": message}])
    return backend


def both(backend: LocalLogsBackend, call: Call) -> tuple[Any, Any]:
    """Ours and moto's own method, on the same backend, for the same arguments."""
    arguments: tuple[Any, ...] = (  # moto's signature says int where None is passed
        GROUP,
        call.get("streams", []),
        call.get("start"),
        call.get("end"),
        call.get("limit"),
        call.get("token"),
        call.get("pattern", ""),
        call.get("interleaved", False),
    )
    ours = backend.filter_log_events(*arguments)
    theirs = moto_logs.LogsBackend.filter_log_events(backend, *arguments)
    return ours, theirs


def read_all(backend: LocalLogsBackend, call: Call) -> list[tuple[Any, Any]]:
    """Every page, following each side's own tokens; the pairs of pages."""
    pages = []
    ours_token = theirs_token = None
    for _ in range(200):
        ours, _unused = both(backend, {**call, "token": ours_token})
        _unused, theirs = both(backend, {**call, "token": theirs_token})
        pages.append((ours, theirs))
        ours_token, theirs_token = ours[1], theirs[1]
        if ours_token is None or theirs_token is None:
            break
    return pages


events = st.lists(st.tuples(st.integers(-5_000, 5_000), st.sampled_from(WORDS)), max_size=25)
calls = st.fixed_dictionaries(
    {},
    optional={
        "start": st.one_of(st.none(), st.integers(-6_000, 6_000).map(lambda o: NOW + o)),
        "end": st.one_of(st.none(), st.integers(-6_000, 6_000).map(lambda o: NOW + o)),
        "limit": st.one_of(st.none(), st.integers(1, 12)),
        "pattern": st.sampled_from(["", "orders", "REPORT", '"applied"']),
        "interleaved": st.booleans(),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams=st.lists(events, min_size=1, max_size=4), call=calls, data=st.data())
def test_every_page_is_moto_s_page(
    streams: list[list[tuple[int, str]]], call: Call, data: st.DataObject
) -> None:
    moto_logs.logs_backends.reset()
    backend = backend_with(streams)
    names = list(backend.groups[GROUP].streams)
    call["streams"] = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=2))
    for ours, theirs in read_all(backend, call):
        assert ours == theirs


def test_a_stream_in_time_order_is_searched_by_bisection_and_one_out_of_order_is_not() -> None:
    backend = backend_with([[(0, "START"), (5, "END"), (5, "REPORT")], [(9, "START"), (1, "END")]])
    ordered, shuffled = backend.groups[GROUP].streams.values()
    assert in_time_order(ordered)
    assert not in_time_order(shuffled)
    backend.put_log_events(GROUP, ordered.log_stream_name, [{"timestamp": NOW - 1, "message": "x"}])
    assert not in_time_order(ordered)  # checked again as events arrive


def test_tokens_it_cannot_place_give_moto_s_answer() -> None:
    backend = backend_with([[(n, "START") for n in range(30)], [(n, "END") for n in range(30)]])
    first, _ = both(backend, {"limit": 7, "interleaved": True})
    stream_name, event_id = first[1].split("@")[1:]
    for token in (
        "not a token",
        f"/other@{stream_name}@{event_id}",  # another group's
        f"{GROUP}@{stream_name}@999999999",  # no such event
        f"{GROUP}@no-such-stream@{event_id}",
        f"{GROUP}@{stream_name}@abc",
        f"{GROUP}@{stream_name}@{event_id}@more",
    ):
        for interleaved in (False, True):
            ours, theirs = both(backend, {"limit": 7, "token": token, "interleaved": interleaved})
            assert ours == theirs
            assert ours[0] == []


def test_a_page_of_a_large_group_reads_the_page_not_the_group() -> None:
    # 20,000 events; the last second of them: the page only, not every event filtered
    backend = backend_with([])
    for number in range(4):
        name = f"s{number}"
        backend.create_log_stream(GROUP, name)
        backend.put_log_events(
            GROUP,
            name,
            [{"timestamp": NOW - 20_000 + i, "message": "START"} for i in range(5_000)],
        )
    filtered = 0
    original = EventMessageFilter.matches

    def counting(self: Any, message: str) -> bool:
        nonlocal filtered
        filtered += 1
        return bool(original(self, message))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EventMessageFilter, "matches", counting)
        page, token, _searched = backend.filter_log_events(
            GROUP, [], NOW - 15_100, None, 50, None, "START", True
        )
    assert len(page) == 50
    assert token is not None
    assert filtered <= 51 + 4  # the page, one more to know there is a next one


def test_moto_s_errors_are_kept() -> None:
    backend = backend_with([[(0, "START")]])
    with pytest.raises(ResourceNotFoundException):
        backend.filter_log_events("/no/such/group", [], None, None, None, None, "", False)
    with pytest.raises(InvalidParameterException):
        backend.filter_log_events(GROUP, [], None, None, 10_001, None, "", False)
