"""Proof that a run delivered every event everywhere, exactly once: the report.

A simulation knows which events it produced (`ledger`). Afterwards every destination is
read back: both services' tables (each item records the event that created it, and when
it was stored) and the lake objects written since the run began (`LakeScan`: not the
lake's history, which on a real lake is months of objects). An event missing anywhere is
`lost`; an effect applied more than once (a second item for one event, or a run event a
service applied twice) is a `duplicate_effect`. Only the run's own events are judged:
what the services did with a backlog the stack held before is reported apart
(`backlog`). Latency is measured per event, from `occurred_at` (when the producer made
it, just before publishing) to the later of its two `stored_at` times.

Two rates, never mixed up: `events_per_second` is the producer's (published ÷ its own
producing time); `end_to_end_events_per_second` is the pipeline's (events stored in both
services ÷ the time from the first publish to the last store, read from the same
timestamps). Known limit: both ends are wall-clock times written by different processes
(the producer, the services): on one machine they share a clock; across machines their
skew is in the figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from messaging import lake
from messaging.core.metrics import percentile
from messaging.producer import ProducerStats
from messaging.simulation.cost import AwsCost
from messaging.simulation.ledger import Ledger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

__all__ = [
    "LakeScan",
    "Measured",
    "Report",
    "StoredEffects",
    "Throughput",
    "build_report",
    "end_to_end",
    "lost_events",
    "read_effects",
    "summary_lines",
]


@dataclass
class StoredEffects:
    """What one service's table says about the run's events."""

    stored_at: dict[str, datetime] = field(default_factory=dict)  # event_id -> first store
    items_per_event: Counter[str] = field(default_factory=Counter)

    @property
    def repeated(self) -> int:
        return sum(n - 1 for n in self.items_per_event.values() if n > 1)


def read_effects(client: DynamoDBClient, table: str, event_ids: set[str]) -> StoredEffects:
    """Scan the table for the items this run's events created."""
    effects = StoredEffects()
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression="event_id, stored_at",
    )
    for page in pages:
        for item in page["Items"]:
            event_id = item.get("event_id", {}).get("S")
            if event_id not in event_ids:
                continue
            effects.items_per_event[event_id] += 1
            stored = datetime.fromisoformat(item["stored_at"]["S"])
            if event_id not in effects.stored_at or stored < effects.stored_at[event_id]:
                effects.stored_at[event_id] = stored
    return effects


@dataclass
class LakeScan:
    """Event ids found in the lake objects a run may have written, each read once across
    repeated scans.

    Only objects written since `since` (the run's start, less a margin for the clocks
    of this machine and S3) are listed and read: a lake's history is not downloaded to
    prove one run. The run's objects (`objects`, what its report counts and its bill
    prices) are those holding one of its `wanted` events, so the last objects of a run
    just before are not counted as this one's.
    """

    since: datetime
    wanted: frozenset[str]
    read: set[str] = field(default_factory=set)
    event_ids: set[str] = field(default_factory=set)
    objects: list[lake.LakeObject] = field(default_factory=list)

    def scan(self, s3: S3Client, bucket: str) -> set[str]:
        for obj in lake.list_since(s3, bucket, self.since):
            if obj.key in self.read:
                continue
            body = lake.read_object(s3, bucket, obj.key)
            held = False
            for record in lake.parse_records(body, key=obj.key):
                event_id = record.get("event_id") if isinstance(record, dict) else None
                if isinstance(event_id, str):
                    self.event_ids.add(event_id)
                    held = held or event_id in self.wanted
            self.read.add(obj.key)
            if held:
                self.objects.append(obj)
        return self.event_ids


def lost_events(produced: Iterable[str], *destinations: Iterable[str]) -> set[str]:
    """Produced events missing from at least one destination."""
    present = [set(d) for d in destinations]
    return {event_id for event_id in produced if not all(event_id in d for d in present)}


class Backlog(BaseModel):
    """Events a service handled that the run did not produce: there before it started."""

    applied: int
    duplicates: int


class Report(BaseModel):
    """The run's result; `--report-json` writes exactly this."""

    produced: int
    publish_failed: int
    orders_stored: int
    payments_stored: int
    lake_distinct_events: int
    lake_objects: int
    partitions: list[str]
    dlq: dict[str, int]
    lost: int
    duplicate_effects: int
    events_per_second: float  # the producer's rate: published / producing_seconds
    producing_seconds: float  # how long the producer ran
    latency_ms: dict[str, float | None]
    api_requests: dict[str, int]
    api_requests_per_event: float
    pipeline_requests_per_event: float
    duration_seconds: float  # the whole run: deploy, produce, drain, flush, verify
    seed: int | None
    endpoint: str
    interrupted: bool = False  # producing stopped early (Ctrl-C); verified all the same
    dlq_added: dict[str, int] = {}  # DLQ depth at the end minus at the start
    backlog: dict[str, Backlog] = {}  # not the run's events; never judged
    retried_entries: int = 0  # producer: failed PublishBatch entries published again
    worker_failures: int = 0  # services: failed handlings/commits/invocations, API errors
    faults_injected: int | None = None  # local cloud only
    services: str = "workers"  # where the services ran: "lambda" or "workers"
    invocations: dict[str, int] | None = None  # per function, on Lambda
    # On Lambda: whether the event source mappings' polling is in api_requests (as
    # "<service>-mapping"); None for workers, whose polling is their own requests.
    mapping_requests_counted: bool | None = None
    # What the pipeline would cost on AWS (issue #20): by service and operation, the
    # run's total, USD per million events; an estimate from list prices (`cost`).
    aws_cost: AwsCost | None = None
    # The pipeline's rate (issue #21): run events stored in both services, and the time
    # from the first publish to the last store; None when no event was stored in both.
    stored_in_both: int = 0
    end_to_end_seconds: float | None = None
    end_to_end_events_per_second: float | None = None

    @property
    def ok(self) -> bool:
        """A run that produced nothing proved nothing: it is not a pass."""
        return self.produced > 0 and self.lost == 0 and self.duplicate_effects == 0


@dataclass(frozen=True)
class Measured:
    """What the run measured on its way, for the report."""

    producer: ProducerStats
    lake: LakeScan
    dlq_before: dict[str, int]
    dlq_after: dict[str, int]
    worker_failures: int
    requests: dict[str, int]  # HTTP requests per session role
    total_seconds: float
    # Services that count their applications instead of reporting each to the ledger
    # (Lambda functions, from their logs): applied per service, and each queue's depth
    # when the run started (its backlog).
    unattributed_applied: dict[str, int] | None = None
    backlog_before: dict[str, int] = field(default_factory=dict)


def build_report(
    dynamodb: DynamoDBClient,
    tables: dict[str, str],
    ledger: Ledger,
    measured: Measured,
    *,
    seed: int | None,
    endpoint: str,
    interrupted: bool,
) -> Report:
    """Read both tables back and judge the run's own events (`tables`: service -> table)."""
    ids = ledger.ids()
    effects = {name: read_effects(dynamodb, table, ids) for name, table in tables.items()}
    lost = lost_events(ids, *(e.stored_at for e in effects.values()), measured.lake.event_ids)
    duplicate_effects = sum(e.repeated for e in effects.values()) + sum(
        tally.applied_twice for tally in ledger.tallies.values()
    )
    if measured.unattributed_applied is not None:
        # More applications than the run's stored events plus the backlog there was to
        # apply can only be effects applied twice; fewer proves nothing more (a bound).
        duplicate_effects += sum(
            max(
                0,
                applied - len(effects[name].stored_at) - measured.backlog_before.get(name, 0),
            )
            for name, applied in measured.unattributed_applied.items()
        )
    summary = lake.summarize(measured.lake.objects)
    requests = measured.requests
    produced = max(len(ids), 1)
    pipeline = requests.get("producer", 0) + sum(
        requests.get(n, 0) + requests.get(f"{n}-mapping", 0) for n in tables
    )
    producer = measured.producer
    throughput = end_to_end(ledger.produced, *effects.values())
    return Report(
        produced=len(ids),
        publish_failed=producer.failed,
        orders_stored=len(effects["orders"].stored_at),
        payments_stored=len(effects["payments"].stored_at),
        lake_distinct_events=len(ids & measured.lake.event_ids),
        lake_objects=summary.objects,
        partitions=summary.partitions,
        dlq=measured.dlq_after,
        dlq_added={
            name: max(0, depth - measured.dlq_before.get(name, 0))
            for name, depth in measured.dlq_after.items()
        },
        lost=len(lost),
        duplicate_effects=duplicate_effects,
        events_per_second=round(producer.published / max(producer.elapsed_seconds, 1e-9), 1),
        producing_seconds=round(producer.elapsed_seconds, 1),
        latency_ms=latencies_ms(ledger.produced, *effects.values()),
        api_requests=requests,
        api_requests_per_event=round(sum(requests.values()) / produced, 4),
        pipeline_requests_per_event=round(pipeline / produced, 4),
        duration_seconds=round(measured.total_seconds, 1),
        seed=seed,
        endpoint=endpoint,
        interrupted=interrupted,
        backlog={  # unknown where results are counted, not attributed (Lambda)
            name: Backlog(applied=t.backlog_applied, duplicates=t.backlog_duplicates)
            for name, t in ledger.tallies.items()
        }
        if measured.unattributed_applied is None
        else {},
        retried_entries=producer.retried_entries,
        worker_failures=measured.worker_failures,
        stored_in_both=throughput.stored,
        end_to_end_seconds=_round(throughput.seconds, 3),
        end_to_end_events_per_second=_round(throughput.per_second),
    )


@dataclass(frozen=True)
class Throughput:
    """Events stored in every service, over first publish -> last store."""

    stored: int
    seconds: float | None

    @property
    def per_second(self) -> float | None:
        if not self.stored or not self.seconds:
            return None
        return self.stored / self.seconds


def end_to_end(occurred: dict[str, datetime], *stores: StoredEffects) -> Throughput:
    """The pipeline's throughput from the run's own timestamps (`occurred`: event_id ->
    occurred_at, i.e. just before publishing; `stores`: each service's first stores).

    Only the run's events count; an event stored in one service only is not stored
    end to end, but its store still ends the window (the pipeline worked until then).
    """
    both = [e for e in occurred if all(e in s.stored_at for s in stores)]
    if not both:
        return Throughput(stored=0, seconds=None)
    first = min(occurred.values())
    last = max(at for s in stores for e, at in s.stored_at.items() if e in occurred)
    return Throughput(stored=len(both), seconds=max((last - first).total_seconds(), 0.0))


def latencies_ms(occurred: dict[str, datetime], *stores: StoredEffects) -> dict[str, float | None]:
    """Per event, occurred_at -> stored in every service; p50/p95/p99 over the run."""
    values = []
    for event_id, at in occurred.items():
        times = [s.stored_at.get(event_id) for s in stores]
        if all(t is not None for t in times):
            values.append((max(t for t in times if t is not None) - at).total_seconds() * 1000)
    return {f"p{q}": _round(percentile(values, q)) for q in (50, 95, 99)}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def summary_lines(report: Report) -> list[str]:
    """The human report, one fact per line."""
    if report.ok:
        verdict = "OK: every event reached every destination, once"
    elif report.produced == 0:
        verdict = "FAILED: no event was produced, so nothing was verified"
    else:
        verdict = f"FAILED: {report.lost} lost, {report.duplicate_effects} duplicate effects"
    if report.interrupted:
        verdict += " (interrupted: producing stopped early; every produced event was verified)"
    latency = ", ".join(f"{k} {v} ms" for k, v in report.latency_ms.items())
    lines = [
        verdict,
        f"produced {report.produced} events in {report.producing_seconds:.1f} s of producing "
        f"(producer rate {report.events_per_second:.1f}/s); publish failures "
        f"{report.publish_failed}; the whole run took {report.duration_seconds:.1f} s",
        _end_to_end_line(report),
        f"stored: orders {report.orders_stored}, payments {report.payments_stored}; "
        f"lake: {report.lake_distinct_events} distinct events in {report.lake_objects} objects "
        f"({', '.join(report.partitions) or 'no partitions'})",
        f"lost {report.lost}; duplicate effects {report.duplicate_effects}; "
        f"DLQ orders {report.dlq['orders']}, payments {report.dlq['payments']} "
        f"({_added(report.dlq_added)} during the run)",
    ]
    backlog = {name: b for name, b in report.backlog.items() if b.applied or b.duplicates}
    if backlog:
        lines.append(
            "backlog (events there before the run, not judged): "
            + "; ".join(
                f"{name} applied {b.applied}, found already applied {b.duplicates}"
                for name, b in backlog.items()
            )
        )
    return [
        *lines,
        f"latency publish -> stored in both services: {latency}",
        f"AWS requests: {sum(report.api_requests.values())} in all "
        f"({report.api_requests_per_event:.3f} per event; pipeline alone "
        f"{report.pipeline_requests_per_event:.3f})",
        f"survived: {report.faults_injected if report.faults_injected is not None else 'no'} "
        f"injected faults; {report.retried_entries} entries republished; "
        f"{report.worker_failures} worker failures retried",
        _hosted_line(report),
        *cost_lines(report.aws_cost),
    ]


def cost_lines(cost: AwsCost | None) -> list[str]:
    """The bill in two lines: per million events and by service, and what it rests on."""
    if cost is None:
        return []
    services = ", ".join(
        f"{name} ${usd / max(cost.events, 1) * 1e6:.2f}"
        for name, usd in sorted(cost.by_service.items(), key=lambda kv: -kv[1])
    )
    return [
        f"AWS cost: ${cost.usd_per_million_events:.2f} per million events "
        f"(${cost.total_usd:.6f} for this run); per million events: {services}",
        f"  {cost.note}",
    ]


def _end_to_end_line(report: Report) -> str:
    if report.end_to_end_events_per_second is None or report.end_to_end_seconds is None:
        return "end to end: no event was stored in both services"
    return (
        f"end to end: {report.end_to_end_events_per_second:.1f} events/s "
        f"({report.stored_in_both} events stored in both services, "
        f"{report.end_to_end_seconds:.1f} s from the first publish to the last store)"
    )


def _hosted_line(report: Report) -> str:
    if report.services != "lambda":
        return "services: long-running workers in this process"
    invoked = ", ".join(f"{k} {v}" for k, v in (report.invocations or {}).items())
    polling = (
        "counted as <service>-mapping (this run's only)"
        if report.mapping_requests_counted
        else "not counted (not exposed by this endpoint; free on AWS)"
    )
    return (
        f"services: Lambda functions ({invoked} invocations); "
        f"the event source mappings' polling {polling}"
    )


def _added(dlq_added: dict[str, int]) -> str:
    total = sum(dlq_added.values())
    return f"+{total}" if total else "none added"
