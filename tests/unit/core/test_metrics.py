from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from messaging.core.metrics import Latencies, percentile


def test_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([], 50) is None


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1),
    st.floats(min_value=0, max_value=100),
)
def test_a_percentile_is_one_of_the_values_and_monotonic(values: list[float], q: float) -> None:
    result = percentile(values, q)
    assert result in values
    assert percentile(values, 0) == min(values)
    higher = percentile(values, min(100.0, q + 10))
    assert result is not None
    assert higher is not None
    assert higher >= result


def test_latencies_keep_the_most_recent() -> None:
    recorder = Latencies(keep=3)
    for value in (1.0, 2.0, 3.0, 4.0):
        recorder.add(value)
    assert recorder.snapshot() == [2.0, 3.0, 4.0]
