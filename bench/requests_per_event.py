"""Requests per event, the AWS bill: producer and each worker, at saturation.

Starts a local cloud in-process, deploys infra.yaml, publishes N events at full speed,
then runs both services over the full queues until they are empty (saturation: every
poll returns 10 messages until the tail). Every HTTP request of each component is
counted by its own boto3 session (retries included), and broken down by operation.

    .venv/bin/python bench/requests_per_event.py [--events 5000] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from messaging.consumer.runner import Runner
from messaging.consumer.state import WorkerOptions
from messaging.core.services import SERVICES
from messaging.localcloud.server import LocalCloud
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings
from messaging.producer import Producer
from messaging.producer.fakes import ConsumerFactory

TARGETS = {"producer": 0.1, "worker": 0.25}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4, help="pollers per service")
    args = parser.parse_args()
    with LocalCloud(port=0) as cloud:
        settings = Settings(
            endpoint_url=cloud.endpoint_url, region=cloud.region, stack_name="bench"
        )

        def session() -> Aws:
            return Aws(settings, placeholder_credentials=cloud.placeholder_credentials)

        result = stack.deploy(
            session().cloudformation(),
            "bench",
            stack.default_template_path().read_text(),
            {"ServicesHost": "external"},  # the services run here, as workers (issue #17)
            sleep=lambda _: None,
        )
        outputs = result.outputs

        producer_aws = session()
        started = time.perf_counter()
        stats = Producer(producer_aws.sns(), outputs["TopicArn"]).publish(
            ConsumerFactory(seed=1).events(args.events)
        )
        publish_seconds = time.perf_counter() - started
        if stats.published != args.events:
            sys.exit(f"only {stats.published} of {args.events} events published: {stats}")

        options = WorkerOptions(concurrency=args.concurrency, until_empty=True)
        services = Runner(SERVICES.values(), outputs, lambda _: session(), options)
        started = time.perf_counter()
        services.run()
        consume_seconds = time.perf_counter() - started
        if services.errors:
            sys.exit(f"a service stopped: {services.errors}")

    print(f"requests per event, {args.events} events, {args.concurrency} pollers per service")
    print(f"{'component':<10} {'requests':>9} {'per event':>10} {'target':>7}   breakdown")
    rows = [("producer", producer_aws, stats.published, "producer")]
    rows += [(run.name, run.session, run.done, "worker") for run in services.runs]
    for name, aws, events, kind in rows:
        total = aws.requests.total
        breakdown = ", ".join(
            f"{op.split(':')[1]}={n}" for op, n in sorted(aws.requests.snapshot().items())
        )
        print(f"{name:<10} {total:>9} {total / events:>10.3f} {TARGETS[kind]:>7}   {breakdown}")
    print(
        f"publish: {args.events / publish_seconds:.0f} events/s; "
        f"consume (both services, in parallel): {args.events / consume_seconds:.0f} events/s"
    )
    print(
        f"reproduce: {Path(sys.executable).name} bench/requests_per_event.py "
        f"--events {args.events} --concurrency {args.concurrency}"
    )


if __name__ == "__main__":
    main()
