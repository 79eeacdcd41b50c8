"""The main job: produce, consume, land in the lake, and prove nothing was lost.

A simulation uses an existing stack as it is (it changes a parameter only when asked,
and says so) or creates one, then runs the producer and both services at once while a
sampler records the system every second (for the live view and the chart). When the
duration is over, or when it is interrupted (`stop`), it stops producing, waits for the
queues to drain and for Firehose to flush (there is no flush call on AWS: it waits out
the buffer interval, and says so), stops the services, and reads every destination back
(`verify`; the lake from the partitions and objects written since the run began). An
interrupted run is verified all the same and says `interrupted`; only the caller can
abort one without verifying. It accounts only for its own events (`ledger`): a backlog
the stack held before is reported apart. It does not know whether it talks to AWS or to
the local cloud: only the endpoint differs.

The services run where `services` says (`hosts`): as the stack's Lambda functions
(`lambda`, the default: the stack gets `ServicesHost=lambda` and the current function
code), or as long-running workers in this process (`workers`: `ServicesHost=external`).
The proof, the latency and the requests per event are measured the same way in both.

Known limit: the workers report each result by event id to the ledger; the functions
log counts per invocation, not ids. On Lambda an effect applied twice is therefore found
as two items for one event, or as more applications logged than the run's stored events
plus the queue's backlog at the start (a sound bound: never a false duplicate), and a
backlog's events count in the live view's progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from messaging import lake
from messaging.consumer.state import WorkerOptions
from messaging.core.events import ConsumerCreated
from messaging.core.metering import Usage, merge
from messaging.core.metrics import percentile
from messaging.core.services import SERVICES
from messaging.errors import MessagingError
from messaging.ops import hosting, stack, status
from messaging.ops.aws import DEPLOY_ATTEMPTS, Aws, default_config
from messaging.ops.settings import Settings
from messaging.producer import Producer, ProducerStats
from messaging.producer.fakes import ConsumerFactory
from messaging.simulation.cost import AwsCost, Extras, price_usage
from messaging.simulation.hosts import (
    FunctionSample,
    HostError,
    LambdaHost,
    MappingMeter,
    ServiceHost,
    WorkersHost,
    stack_host,
)
from messaging.simulation.ledger import Ledger
from messaging.simulation.mapping_meter import lambda_api_meter
from messaging.simulation.verify import LakeScan, Measured, Report, build_report

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["SAMPLER_THREAD", "Sample", "Simulation", "SimulationError", "SimulationOptions"]

logger = logging.getLogger(__name__)


class SimulationError(MessagingError):
    """The run could not finish: a service stopped (its error says why)."""


NEW_STACK_BUFFER_INTERVAL = 10  # a stack created for a run flushes the lake quickly
LAKE_GRACE = 30  # seconds past the buffer interval to wait for the last lake object
SAMPLER_THREAD = "simulation-sampler"
# Lake objects written this long before the run are not its own (clocks of this machine
# and S3 may differ a little); what they hold is read, but they are not counted.
LAKE_CLOCK_MARGIN = timedelta(minutes=1)
USABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}


@dataclass(frozen=True)
class SimulationOptions:
    rate: float = 50.0
    duration: float = 30.0
    seed: int | None = None
    # Stack parameters; None keeps an existing stack's value (new stack: 10 s, 5 MiB).
    buffer_interval: int | None = None
    buffer_size_mb: int | None = None
    concurrency: int = 4
    drain_timeout: float = 300.0  # queues must empty within this, after producing stops
    sample_every: float = 1.0
    name_prefix: str = ""  # the stack's NamePrefix, so runs can share an account
    visibility_timeout: int | None = None  # the stack's VisibilityTimeoutSeconds (None: keep)
    poll_seconds: int = 5  # long poll; also bounds how long stopping the services takes
    services: str = "lambda"  # where the services run: "lambda" or "workers" (`hosts`)
    stall_timeout: float = 60.0  # a backlog nobody works on this long stops the run


@dataclass(frozen=True)
class Sample:
    """The system at one moment, as the live view and the chart show it."""

    elapsed: float
    published: int
    done: dict[str, int]  # events handled or found duplicate, per service
    queues: dict[str, status.QueueStatus]
    lake_objects: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    phase: str  # deploying, producing, draining, flushing, verifying
    functions: dict[str, FunctionSample] = field(default_factory=dict)  # on Lambda only


class Simulation:
    def __init__(
        self,
        settings: Settings,
        options: SimulationOptions,
        *,
        placeholder_credentials: tuple[str, str] | None = None,
        on_sample: Callable[[Sample], None] = lambda _: None,
        on_event: Callable[[stack.StackEvent], None] = lambda _: None,
        on_note: Callable[[str], None] = lambda _: None,
        artifacts: hosting.ArtifactSource | None = None,
        mapping_meter: MappingMeter | None = None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.artifacts = artifacts or hosting.ArtifactSource()
        self.mapping_meter = mapping_meter
        self.on_sample = on_sample
        self.on_event = on_event
        self.on_note = on_note
        self.buffer_interval = NEW_STACK_BUFFER_INTERVAL  # the stack's, once deployed
        self.samples: list[Sample] = []
        self.lake_objects: list[lake.LakeObject] = []
        # The run's lake objects: what the samples count, and from when the proof reads
        # (`since`); set again when a run starts.
        self._lake_view = lake.ObjectsSince(datetime.now(UTC) - LAKE_CLOCK_MARGIN)
        self.ledger = Ledger(list(SERVICES))
        self.interrupted = False  # producing stopped early (`stop`); still verified
        self.phase = "deploying"
        self._credentials = placeholder_credentials
        self._sessions: dict[str, Aws] = {}

    def _aws(self, role: str) -> Aws:
        """One session per role, so every request is attributed to who made it."""
        if role not in self._sessions:
            self._sessions[role] = Aws(self.settings, placeholder_credentials=self._credentials)
        return self._sessions[role]

    def run(self, stop: threading.Event | None = None) -> Report:
        """Run, then verify. `stop` ends producing early; the run still drains, waits for
        the lake and verifies, and its report says `interrupted`."""
        stop = stop or threading.Event()
        started = time.monotonic()
        self._lake_view = lake.ObjectsSince(datetime.now(UTC) - LAKE_CLOCK_MARGIN)
        outputs = self._deploy()
        dlq_before = self._depths(outputs, "dlq_output")
        backlog_before = self._depths(outputs, "queue_output")
        try:
            services = self._host(outputs)
            services.start()
        except HostError as error:
            raise SimulationError(str(error)) from error
        sampling = threading.Event()
        sampler = threading.Thread(
            target=self._sample_loop,
            args=(outputs, services, started, sampling),
            name=SAMPLER_THREAD,
        )
        sampler.start()
        try:
            self.phase = "producing"
            producer_stats = self._produce(outputs, stop)
            self.interrupted = stop.is_set()
            if self.interrupted:
                self._note_interrupted(producer_stats, time.monotonic() - started)
            self.phase = "draining"
            self._drain(outputs, services)
            lake_scan = LakeScan(since=self._lake_view.since, wanted=frozenset())  # none read
            if not services.errors:  # a run that failed has nothing to wait for
                self.phase = "flushing"
                lake_scan = self._wait_for_lake(outputs)
        finally:
            # The sampler first: a host whose last read fails (the endpoint went away)
            # must not leave it sampling, and the process alive, after the error.
            sampling.set()
            try:
                services.stop()
            finally:
                sampler.join()
        if services.errors:
            raise SimulationError("; ".join(services.errors))
        self.phase = "verifying"
        self.lake_objects = lake_scan.objects
        # The functions' own requests and their mappings', read before the sessions are
        # totalled: reading the mappings' counts is itself counted ("lambda", apart).
        hosted = services.requests()
        requests = {role: aws.requests.total for role, aws in self._sessions.items()}
        requests.update(hosted)
        lambda_host = services if isinstance(services, LambdaHost) else None
        measured = Measured(
            producer=producer_stats,
            lake=lake_scan,
            dlq_before=dlq_before,
            dlq_after=self._depths(outputs, "dlq_output"),
            worker_failures=services.failures(),
            requests=requests,
            total_seconds=time.monotonic() - started,
            # Lambda's applications are counted, not attributed (see the module's limit).
            unattributed_applied=services.applied() if lambda_host else None,
            backlog_before=backlog_before,
        )
        control = self._aws("control")
        report = build_report(
            control.dynamodb(),
            {name: getattr(outputs, spec.table_output) for name, spec in SERVICES.items()},
            self.ledger,
            measured,
            seed=self.options.seed,
            endpoint=self.settings.endpoint_url or "AWS",
            interrupted=self.interrupted,
        )
        return report.model_copy(
            update={
                "services": services.name,
                "invocations": {n: f.invocations for n, f in services.functions().items()} or None,
                "mapping_requests_counted": lambda_host.mappings_metered if lambda_host else None,
                "aws_cost": self._cost(services, report.produced),
            }
        )

    def _note_interrupted(self, producer: ProducerStats, elapsed: float) -> None:
        self.on_note(
            f"Interrupted after {elapsed:.0f} s: producing stopped at {producer.published} "
            "events. Draining the queues, then waiting up to "
            f"{self.buffer_interval + LAKE_GRACE} s for Firehose to flush its buffer (it "
            f"flushes every {self.buffer_interval} s; there is no flush call), then verifying. "
            "Ctrl-C again aborts without verifying."
        )

    def _depths(self, outputs: stack.StackOutputs, queue_output: str) -> dict[str, int]:
        """Per service, messages in its queue or DLQ (visible and in flight)."""
        control, values = self._aws("control"), outputs.model_dump()
        return {
            name: sum(status.queue_depth(control, values[getattr(spec, queue_output)]))
            for name, spec in SERVICES.items()
        }

    def _host(self, outputs: stack.StackOutputs) -> ServiceHost:
        if self.options.services == "workers":
            options = WorkerOptions(
                concurrency=self.options.concurrency, wait_seconds=self.options.poll_seconds
            )
            return WorkersHost(
                SERVICES.values(), outputs.model_dump(), self._aws, options, self.ledger
            )
        return LambdaHost(
            SERVICES.values(),
            {k: v for k, v in outputs.model_dump().items() if v},
            self._aws("logs"),  # reading the functions' logs is counted apart
            stall_timeout=self.options.stall_timeout,
            mapping_meter=self.mapping_meter
            or lambda_api_meter(self._aws("lambda").client("lambda")),
        )

    # -- phases --------------------------------------------------------------------

    def _asked(self) -> dict[str, str]:
        """The stack parameters this run was explicitly asked for."""
        asked = {
            "NamePrefix": self.options.name_prefix or None,
            "BufferIntervalSeconds": self.options.buffer_interval,
            "BufferSizeMB": self.options.buffer_size_mb,
            "VisibilityTimeoutSeconds": self.options.visibility_timeout,
            "ServicesHost": stack_host(self.options.services),
        }
        return {key: str(value) for key, value in asked.items() if value is not None}

    def _deploy(self) -> stack.StackOutputs:
        """Use an existing stack as it is; create one, or change a parameter, only if asked."""
        if "deploy" not in self._sessions:  # counted with the run's other requests
            self._sessions["deploy"] = Aws(
                self.settings,
                config=default_config(max_attempts=DEPLOY_ATTEMPTS),
                placeholder_credentials=self._credentials,
            )
        cfn = self._sessions["deploy"].cloudformation()
        name, asked = self.settings.stack_name, self._asked()
        template = stack.default_template_path().read_text(encoding="utf-8")
        existing = stack.describe_stack(cfn, name)
        if existing is not None and existing["StackStatus"] in USABLE:
            current = stack.stack_parameters(existing)
            changing = {key: value for key, value in asked.items() if current.get(key) != value}
            code = self._hosting(template, changing, existing)
            new_code = {k: v for k, v in code.items() if current.get(k) != v}
            if changing or new_code:
                said = [f"{k} {current.get(k)} -> {v}" for k, v in changing.items()]
                if new_code:
                    said.append("the functions get the current code (a new artifact)")
                self.on_note(
                    f"Changing stack {name}{', as asked' if changing else ''}: "
                    + ", ".join(said)
                    + " (it stays that way after the run)"
                )
                parameters = {**changing, **new_code}
                stack.deploy(cfn, name, template, parameters, on_event=self.on_event)
            else:
                self.on_note(f"Using stack {name} as it is ({existing['StackStatus']})")
        else:
            parameters = {"BufferIntervalSeconds": str(NEW_STACK_BUFFER_INTERVAL), **asked}
            parameters |= self._hosting(template, parameters, None)
            self.on_note(f"Deploying stack {name} for this run")
            stack.deploy(cfn, name, template, parameters, on_event=self.on_event)
        found = stack.stack_parameters(stack.describe_stack(cfn, name) or {})
        self.buffer_interval = int(found.get("BufferIntervalSeconds", NEW_STACK_BUFFER_INTERVAL))
        self.on_note(
            f"Firehose buffering: {self.buffer_interval} s or {found.get('BufferSizeMB', '?')} "
            "MiB, whichever comes first; after producing, the run waits up to "
            f"{self.buffer_interval + LAKE_GRACE} s for the lake"
        )
        return stack.stack_outputs(cfn, name)

    def _hosting(
        self, template: str, given: dict[str, str], existing: dict[str, Any] | None
    ) -> dict[str, str]:
        """The artifact's location when the services run on Lambda (built and uploaded)."""
        aws = self._sessions["deploy"]
        try:
            plan = hosting.prepare(
                aws.s3(),
                aws.client("sts"),
                aws.region,
                template,
                given,
                existing,
                source=self.artifacts,
            )
        except hosting.HostingError as error:
            raise SimulationError(f"{error}; nothing was changed") from error
        for note in plan.notes:
            self.on_note(note)
        return plan.parameters

    def _produce(self, outputs: stack.StackOutputs, stop: threading.Event) -> ProducerStats:
        factory = ConsumerFactory(seed=self.options.seed)

        def events() -> Iterator[ConsumerCreated]:
            # The duration is of producing: it starts when the producer asks for its first
            # event, not before its client is made (seconds on a loaded machine).
            deadline = time.monotonic() + self.options.duration
            for event in factory.stream():
                if time.monotonic() >= deadline:
                    return
                self.ledger.produce(event)
                yield event

        producer = Producer(
            self._aws("producer").publisher(),
            outputs.TopicArn,
            rate=self.options.rate,
            concurrency=self.options.concurrency,
            linger=0.2,
        )
        return producer.publish(events(), on_published=self.ledger.count_published, stop=stop)

    def _drain(self, outputs: stack.StackOutputs, services: ServiceHost) -> None:
        """Wait until both services have taken every event and their queues are empty."""
        deadline = time.monotonic() + self.options.drain_timeout
        values = outputs.model_dump()
        sqs = self._aws("control").sqs()
        while time.monotonic() < deadline and services.alive:
            published = self.ledger.published
            caught_up = all(done >= published for done in services.done().values())
            queues = [values[spec.queue_output] for spec in SERVICES.values()]
            if caught_up and all(_empty(sqs, queue) for queue in queues):
                return
            time.sleep(0.5)

    def _wait_for_lake(self, outputs: stack.StackOutputs) -> LakeScan:
        """Poll the lake until every produced event is there, or the buffer surely flushed."""
        produced = self.ledger.ids()
        scan = LakeScan(since=self._lake_view.since, wanted=frozenset(produced))
        s3 = self._aws("control").s3()
        deadline = time.monotonic() + self.buffer_interval + LAKE_GRACE
        while True:
            found = scan.scan(s3, outputs.LakeBucketName)
            if produced <= found or time.monotonic() > deadline:
                return scan
            time.sleep(1.0)

    def _sample_loop(
        self,
        outputs: stack.StackOutputs,
        services: ServiceHost,
        started: float,
        done: threading.Event,
    ) -> None:
        aws = self._aws("monitor")
        while True:
            try:
                self._sample(aws, outputs, services, started)
            except (BotoCoreError, ClientError) as error:  # a missed sample, not a failed run
                logger.warning("simulation: a sample failed (%s); sampling goes on", error)
            if done.wait(self.options.sample_every):
                return

    def _sample(
        self, aws: Aws, outputs: stack.StackOutputs, services: ServiceHost, started: float
    ) -> None:
        values = outputs.model_dump()
        queues = {}
        for name, spec in SERVICES.items():
            visible, in_flight = status.queue_depth(aws, values[spec.queue_output])
            dlq = sum(status.queue_depth(aws, values[spec.dlq_output]))
            queues[name] = status.QueueStatus(visible=visible, in_flight=in_flight, dlq=dlq)
        latencies = services.latencies()
        sample = Sample(
            elapsed=time.monotonic() - started,
            published=self.ledger.published,
            done=services.done(),
            queues=queues,
            lake_objects=len(self._lake_view.list(aws.s3(), outputs.LakeBucketName)),
            latency_p50_ms=percentile(latencies, 50),
            latency_p95_ms=percentile(latencies, 95),
            phase=self.phase,
            functions=services.functions(),
        )
        self.samples.append(sample)
        self.on_sample(sample)

    def _cost(self, services: ServiceHost, events: int) -> AwsCost:
        """The pipeline's bill: the producer's and the services' metered usage.

        Deploying, monitoring and the proof (reading every table and lake object back)
        are the simulation's own calls, not the pipeline's, and are left out.
        """
        usage: dict[str, Usage] = {}
        for role, aws in self._sessions.items():
            if role == "producer" or role in SERVICES:
                merge(usage, aws.usage.snapshot())
        functions, extras = services.billing()
        merge(usage, functions)
        objects = self.lake_objects
        extras = Extras(
            lambda_invocations=extras.lambda_invocations,
            lambda_gb_seconds=extras.lambda_gb_seconds,
            log_bytes=extras.log_bytes,
            lake_objects=len(objects),
            lake_bytes=sum(o.size for o in objects),
        )
        return price_usage(usage, events, extras)


def _empty(sqs: SQSClient, queue_url: str) -> bool:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return all(int(v) == 0 for v in attributes.values())
