"""Requests/s of the local cloud's cheapest call, against stock `moto_server`, same run.

Issue #6 gives the baseline: moto's HTTP server answers about 180 requests/s for its
cheapest call with 4 client processes. This measures that call (SQS GetQueueUrl) on
both servers, each in its own process, with the same client processes, one after the
other, and reports requests/s and the server's CPU per request (from /proc).

    .venv/bin/python bench/request_rate.py [--clients 4] [--seconds 10]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3

from proc_stat import cpu_seconds

BIN = Path(sys.executable).parent
QUEUE = "rate"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(command: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process and wait until it answers on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                url = f"http://127.0.0.1:{port}/moto-api/"  # always http on loopback
                with urllib.request.urlopen(url, timeout=1):
                    break
            except urllib.error.HTTPError:
                break  # an answer (the local cloud serves no dashboard): it is up
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"{command[0]} did not start")
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def client(endpoint: str) -> object:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",  # placeholders: neither server checks signatures
        aws_secret_access_key="bench",  # noqa: S106
    )


def hammer(endpoint: str, seconds: float, start: float, counts: multiprocessing.Queue[int]) -> None:
    """One client process: GetQueueUrl in a loop until the shared deadline."""
    sqs = client(endpoint)
    while time.time() < start:
        time.sleep(0.001)
    done = 0
    while time.time() < start + seconds:
        sqs.get_queue_url(QueueName=QUEUE)  # type: ignore[attr-defined]
        done += 1
    counts.put(done)


@dataclass
class Rate:
    name: str
    requests: int
    seconds: float
    server_cpu: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / self.requests * 1000


def measure(name: str, command: list[str], port: int, clients: int, seconds: float) -> Rate:
    endpoint = f"http://127.0.0.1:{port}"
    with server(command, port) as process:
        client(endpoint).create_queue(QueueName=QUEUE)  # type: ignore[attr-defined]
        counts: multiprocessing.Queue[int] = multiprocessing.Queue()
        start = time.time() + 2  # every client process imported and connected by then
        workers = [
            multiprocessing.Process(target=hammer, args=(endpoint, seconds, start, counts))
            for _ in range(clients)
        ]
        for worker in workers:
            worker.start()
        while time.time() < start:
            time.sleep(0.001)
        cpu = cpu_seconds(process.pid)
        total = sum(counts.get(timeout=seconds + 60) for _ in workers)
        cpu = cpu_seconds(process.pid) - cpu
        for worker in workers:
            worker.join()
    return Rate(name, total, seconds, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run")
    args = parser.parse_args()
    print(f"request rate: SQS GetQueueUrl, {args.clients} client processes, "
          f"{args.seconds:g} s per server, {os.cpu_count()} cores")  # fmt: skip
    port = free_port()
    stock = measure(
        "stock moto_server", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        port, args.clients, args.seconds,
    )  # fmt: skip
    port = free_port()
    ours = measure(
        "messaging up", [str(BIN / "messaging"), "up", "--port", str(port), "--no-deploy"],
        port, args.clients, args.seconds,
    )  # fmt: skip
    for rate in (stock, ours):
        print(f"  {rate.name:<18} {rate.per_second:>7,.0f} requests/s, "
              f"server {rate.cpu_ms:.2f} ms CPU/request")  # fmt: skip
    print(f"  ratio, ours / stock: {ours.per_second / stock.per_second:.2f}x requests/s")
    print(f"reproduce: python bench/request_rate.py --clients {args.clients} "
          f"--seconds {args.seconds:g}")  # fmt: skip


if __name__ == "__main__":
    main()
