"""What a million events cost on AWS: this design against the seed-style loop, metered.

Starts a local cloud in-process and deploys infra.yaml twice (services external, so
both loops run here and every call is metered by this process's sessions):

- `chosen`: the project's pipeline. The producer's PublishBatch (10 per request), both
  services' workers (long polls of 10, DeleteMessageBatch, the store's PartiQL INSERTs,
  up to 25 per BatchExecuteStatement);
- `seed`: the seed-style loop on its own stack: one Publish per event, per service one
  ReceiveMessage (one message) and one DeleteMessage per message, one PutItem per write.

Both are priced by the same model (`messaging.simulation.cost`) from the same meter
(`messaging.core.metering`); SNS -> Firehose and Firehose ingestion are metered from what
was published. Then the design table: commit strategies, receives and Firehose records,
priced per million events from the item sizes this run measured, and the capacity-mode
break-even.

    .venv/bin/python bench/cost.py [--events 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from boto3.dynamodb.types import TypeSerializer

from messaging.consumer.runner import Runner
from messaging.consumer.state import WorkerOptions
from messaging.core.events import decode, encode
from messaging.core.metering import Usage, merge
from messaging.core.services import SERVICES
from messaging.localcloud.server import LocalCloud
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings
from messaging.producer import Producer
from messaging.producer.fakes import ConsumerFactory
from messaging.simulation.cost import PRICES, AwsCost, price_usage
from messaging.simulation.cost.prices import PROVISIONED
from messaging.store import UnitOfWork

MILLION = 1_000_000
SessionMaker = Callable[[], Aws]


def deploy(make: SessionMaker, name: str, prefix: str) -> dict[str, str]:
    template = stack.default_template_path().read_text()
    parameters = {"ServicesHost": "external", "NamePrefix": prefix}
    cfn = make().cloudformation()
    result = stack.deploy(cfn, name, template, parameters, sleep=lambda _: None)
    return dict(result.outputs)


def run_chosen(make: SessionMaker, outputs: dict[str, str], events: int) -> dict[str, Usage]:
    """The project's pipeline: batched producer, long-polling workers, batched INSERTs."""
    producer = make()
    stats = Producer(producer.sns(), outputs["TopicArn"]).publish(
        ConsumerFactory(seed=1).events(events)
    )
    if stats.published != events:
        sys.exit(f"only {stats.published} of {events} events published")
    sessions: list[Aws] = []

    def session(_: str) -> Aws:
        sessions.append(make())
        return sessions[-1]

    options = WorkerOptions(concurrency=2, until_empty=True)
    runner = Runner(SERVICES.values(), outputs, session, options)
    runner.run()
    if runner.errors:
        sys.exit(f"a service stopped: {runner.errors}")
    usage: dict[str, Usage] = {}
    for aws in [producer, *sessions]:
        merge(usage, aws.usage.snapshot())
    return usage


def run_seed(make: SessionMaker, outputs: dict[str, str], events: int) -> dict[str, Usage]:
    """The seed-style loop: one publish per event; one receive, delete and put per message."""
    aws = make()
    sns, sqs, dynamodb = aws.sns(), aws.sqs(), aws.dynamodb()
    for event in ConsumerFactory(seed=2).events(events):
        sns.publish(
            TopicArn=outputs["TopicArn"],
            Message=encode(event),
            MessageAttributes={
                "event_type": {"DataType": "String", "StringValue": event.event_type}
            },
        )
    serializer = TypeSerializer()
    for spec in SERVICES.values():
        queue, table = outputs[spec.queue_output], outputs[spec.table_output]
        done = 0
        while done < events:
            received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, WaitTimeSeconds=1)
            for message in received.get("Messages", []):
                unit = UnitOfWork()
                spec.handle(decode(message["Body"]), unit)
                for key, item in unit.creates.items():
                    document = {
                        **item,
                        "consumer_id": key,
                        "stored_at": "2026-11-30T00:00:00+00:00",
                    }
                    dynamodb.put_item(
                        TableName=table,
                        Item={k: serializer.serialize(v) for k, v in document.items()},
                    )
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                done += 1
    return aws.usage.snapshot()


def architecture_floor(usage: dict[str, Usage], events: int) -> float:
    """USD per million events if every request were full: the least this architecture bills.

    Per event: one put of the measured size per table, a tenth of a PublishBatch, one SNS
    -> Firehose delivery and its 5 KiB record, and per queue a tenth of a receive and of
    a delete (batches of 10); nothing empty, nothing retried.
    """
    puts = store_writes(usage)
    published = usage["sns:PublishBatch"]
    queues = len(SERVICES)
    return (
        per_million("dynamodb.write_units", puts.write_units / events)
        + per_million("sns.requests", 0.1)
        + per_million("sns.firehose_deliveries", 1)
        + per_million("firehose.ingested_gb", published.firehose_bytes / events / 1024**3)
        + per_million("sqs.requests", 2 * queues / 10)
    )


def store_writes(usage: dict[str, Usage]) -> Usage:
    """The store's one-item writes in this run: BatchExecuteStatement's INSERTs."""
    return usage.get("dynamodb:BatchExecuteStatement") or usage["dynamodb:PutItem"]


def show(name: str, cost: AwsCost) -> None:
    print(f"\n{name}: ${cost.usd_per_million_events:.3f} per million events")
    for line in sorted(cost.lines, key=lambda x: -x.usd):
        per_million = line.usd / cost.events * MILLION
        print(f"  {line.service:<9} {line.operation:<26} ${per_million:8.4f}/M events")


def per_million(price: str, units_per_event: float) -> float:
    return PRICES[price].unit_usd * units_per_event * MILLION


def design_table(usage: dict[str, Usage], events: int, chosen_cost: AwsCost) -> None:
    """Each alternative priced per million events from this run's measured sizes."""
    puts = store_writes(usage)
    wru_per_item = puts.write_units / max(puts.records, 1)  # 1 for items under 1 KiB
    items_per_event = puts.records / events
    dynamo = chosen_cost.by_service.get("dynamodb", 0.0) / events * MILLION
    rest = chosen_cost.usd_per_million_events - dynamo
    wru = "dynamodb.write_units"
    # (name, WRU per item, RRU per item, requests per item in commits of 10, create-once)
    rows = [
        ("TransactWriteItems (<=100 items), conditional", 2 * wru_per_item, 0.0, 0.1, "yes"),
        ("PutItem per item, conditional", wru_per_item, 0.0, 1.0, "yes"),
        ("BatchExecuteStatement INSERT (25) (chosen)", wru_per_item, 0.0, 0.1, "yes"),
        ("BatchWriteItem (25), overwrites", wru_per_item, 0.0, 0.1, "no: last write wins"),
        ("BatchGetItem check + BatchWriteItem", wru_per_item, 0.5, 0.2, "no: check-write race"),
    ]
    print(
        f"\ncommit strategy ({items_per_event:.2f} items per event, {wru_per_item:.2f} WRU per put;"
        " requests per item for commits of 10 units)"
    )
    print(
        f"  {'strategy':<48} {'DynamoDB $/M':>12} {'total $/M':>10} {'req/item':>8}  "
        f"{'create-once':<22} nothing lost"
    )
    for name, wru_item, rru_item, requests, once in rows:
        d = items_per_event * (
            per_million(wru, wru_item) + per_million("dynamodb.read_units", rru_item)
        )
        print(f"  {name:<48} {d:>12.3f} {rest + d:>10.3f} {requests:>8.1f}  {once:<22} yes")

    sqs = PRICES["sqs.requests"].unit_usd
    month = 730 * 3600
    print("\nreceives: an idle queue per month, per poller (an SQS event source mapping keeps 5)")
    for wait in (20, 5, 1, 0):
        polls = month / max(wait, 0.1)  # a short poll (0 s) answers at once; ~10 per second
        print(f"  wait {wait:>2} s: {polls:>12,.0f} empty receives  ${polls * sqs:8.3f}")
    print(
        "\nbatching window at a low rate (modelled, not measured: batches of rate x window, at"
        " least 1,\n  since a long poll answers as soon as one message is there): SQS receive +"
        " delete and invocations, per event"
    )
    for rate in (1, 5, 50):
        for window in (0, 1, 5):
            batch = min(10.0, max(1.0, rate * window))
            requests = 2 / batch * len(SERVICES)
            usd = per_million("sqs.requests", requests) + per_million(
                "lambda.requests", len(SERVICES) / batch
            )
            print(
                f"  {rate:>3} events/s, window {window} s: batches of {batch:4.1f}: "
                f"${usd:7.3f}/M events"
            )

    published = usage["sns:PublishBatch"]
    record = published.record_bytes / max(published.records, 1)
    firehose_now = per_million("firehose.ingested_gb", published.firehose_bytes / events / 1024**3)
    sns_fh = per_million("sns.firehose_deliveries", 1)
    aggregated = per_million("firehose.ingested_gb", record / 1024**3)
    print(f"\nFirehose records ({record:.0f} bytes per event)")
    print(
        f"  SNS subscription, one record per event (5 KiB billed): ${sns_fh + firehose_now:.3f}/M "
        f"(deliveries ${sns_fh:.3f} + ingestion ${firehose_now:.3f})"
    )
    print(f"  producer aggregates into PutRecordBatch records (no rounding): ${aggregated:.3f}/M")

    od = PRICES[wru].unit_usd * 3600  # one write per second for an hour, on demand
    wcu, rcu = PROVISIONED["dynamodb.wcu_hour"].unit_usd, PROVISIONED["dynamodb.rcu_hour"].unit_usd
    target = 0.7  # autoscaling's usual target utilisation
    floor_rate = (wcu + rcu) / (od * items_per_event / len(SERVICES))
    print("\ncapacity mode, per table (1 write per event, steady rate)")
    print(
        f"  on demand: ${od:.5f} per hour per write/s; provisioned at {target:.0%}: "
        f"${wcu / target:.5f} (-{1 - wcu / target / od:.0%})"
    )
    print(
        f"  the minimum table (1 WCU + 1 RCU, ${wcu + rcu:.5f}/h) pays from "
        f"{floor_rate:.2f} events/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    with LocalCloud(port=0) as cloud:
        settings = Settings(
            endpoint_url=cloud.endpoint_url, region=cloud.region, stack_name="bench"
        )

        def make() -> Aws:
            return Aws(settings, placeholder_credentials=cloud.placeholder_credentials)

        started = time.perf_counter()
        ours = run_chosen(make, deploy(make, "bench", ""), args.events)
        seed = run_seed(make, deploy(make, "seed", "seed-"), args.events)
        seconds = time.perf_counter() - started
    chosen_cost, seed_cost = price_usage(ours, args.events), price_usage(seed, args.events)
    show(
        "chosen design (batched publish, long polls, batch deletes, batched PartiQL INSERTs)",
        chosen_cost,
    )
    show(
        "seed-style loop (Publish, ReceiveMessage(1), DeleteMessage, PutItem per message)",
        seed_cost,
    )
    ratio = chosen_cost.usd_per_million_events / seed_cost.usd_per_million_events
    print(f"\nratio chosen / seed-style: {ratio:.1%} (goal: at most 50%)")
    requests = {
        name: sum(u.requests for u in used.values()) / args.events
        for name, used in (("chosen", ours), ("seed-style", seed))
    }
    print(
        "requests per event (the proxy): " + ", ".join(f"{k} {v:.3f}" for k, v in requests.items())
    )
    floor = architecture_floor(ours, args.events)
    above = chosen_cost.usd_per_million_events / floor - 1
    print(
        f"floor of this architecture: ${floor:.3f}/M events; chosen is {above:+.1%} (goal: <= +10%)"
    )
    design_table(ours, args.events, chosen_cost)
    print(f"\n{args.events} events per loop, {seconds:.0f} s; {chosen_cost.note}")
    print(f"reproduce: {Path(sys.executable).name} bench/cost.py --events {args.events}")


if __name__ == "__main__":
    main()
