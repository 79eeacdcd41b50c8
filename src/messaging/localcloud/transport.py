"""The HTTP transport's budgets: body size before reading, connections, threads.

The gaps it closes (waitress as `server` configured it before): bodies up to 1 GiB were
read in full before anything looked at them; 1,000 half-open connections filled the
connection limit and locked every new client out for the 120 s idle timeout; 128 long
polls took every thread, and quick calls waited 8-10 s behind them.

- **Body size before reading.** Our request parser (a waitress `HTTPRequestParser`
  subclass, waitress's own seam: `HTTPChannel.parser_class`) looks at the headers as
  soon as they end. A `Content-Length` over the service's cap (`limits.body_cap`) is
  answered 413 at once and the connection closed, so the body is never read; a chunked
  body is cut off as soon as it passes the cap.
- **Connections.** Beyond `connections` open connections, each new one closes the
  connection that has been idle longest (nothing received, or a request still
  incomplete); a connection with a request in progress is never closed. However many
  connections one client opens, a new client gets in at once. Idle and half-open
  connections also close after `idle_timeout` seconds. waitress's own limit is set above
  ours, for connections that are all busy at once.
- **Threads.** `long_polls` threads serve long polls and `quick_threads` more are kept
  for everything else; `longpoll.LongPollGate` admits at most `long_polls` concurrent
  ReceiveMessage calls, so quick calls always find a thread.

The defaults are the documented maximum: 256 concurrent long polls, 1,024 connections.
"""

from __future__ import annotations

import logging
import resource
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.utilities import Error

from messaging.localcloud.aws_errors import Protocol, RefusalError, render
from messaging.localcloud.limits import body_cap

__all__ = ["ServerLimits", "configure"]

logger = logging.getLogger(__name__)

_FILES_RESERVED = 256  # descriptors kept for files, pipes and the server's own sockets


@dataclass(frozen=True)
class ServerLimits:
    long_polls: int = 256
    quick_threads: int = 32
    connections: int = 1024
    idle_timeout: int = 30  # seconds; waitress counts in whole seconds

    def __post_init__(self) -> None:
        if min(self.long_polls, self.quick_threads, self.connections, self.idle_timeout) < 1:
            raise ValueError("server limits must be positive")

    @property
    def threads(self) -> int:
        return self.long_polls + self.quick_threads

    @property
    def hard_connection_limit(self) -> int:
        """waitress stops accepting here: every connection is busy, none can be closed."""
        return self.connections + self.threads

    def waitress_options(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "connection_limit": self.hard_connection_limit,
            "channel_timeout": self.idle_timeout,
            "cleanup_interval": max(1, min(5, self.idle_timeout // 2)),
            # select() cannot watch descriptors above 1023; poll() can.
            "asyncore_use_poll": True,
        }


def _protocol_of(headers: Mapping[str, str]) -> tuple[str | None, Protocol]:
    scope = headers.get("AUTHORIZATION", "").split("Credential=", 1)[-1].split(",")[0]
    parts = scope.split("/")
    service = parts[3].lower() if len(parts) == 5 else None
    if "X_AMZ_TARGET" in headers:
        return service, "json"
    return service, "rest-xml" if service == "s3" else "query"


class _RefusalError(Error):  # waitress's error-response base
    """A waitress error answered in the service's AWS format."""

    def __init__(self, refused: RefusalError, protocol: Protocol) -> None:
        super().__init__(refused.message)
        self.refused = refused
        self.protocol = protocol
        self.code = refused.status

    def to_response(  # type: ignore[override]  # the stubs say str; waitress writes bytes
        self, ident: str | None = None
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        status, headers, body = render(self.protocol, self.refused)
        return status, [(k, v) for k, v in headers if k != "Content-Length"], body


class BoundedRequestParser(HTTPRequestParser):
    """waitress's parser, refusing a body over the service's cap before reading it."""

    _cap: int | None = None

    def received(self, data: bytes) -> int:
        consumed = int(super().received(data))
        if self.error is not None or not self.headers_finished:
            return consumed
        if self._cap is None:
            service, protocol = _protocol_of(self.headers)
            self._cap = body_cap(service)
            self._protocol: Protocol = protocol
        receiver: Any = self.body_rcv  # chunked: the decoded length so far
        size = len(receiver) if self.chunked and receiver is not None else self.content_length
        if size > self._cap:
            self.error = _RefusalError(
                RefusalError(
                    413,
                    "RequestEntityTooLarge",
                    f"The request body is {size} bytes or more; the limit is {self._cap}",
                ),
                self._protocol,
            )
            self.completed = True
        return consumed


def _evict_idlest(server: Any, keep: int) -> None:
    """Close the longest-idle connection once more than `keep` are open."""
    channels = server.active_channels
    if len(channels) <= keep:
        return
    idle = [
        c
        for c in channels.values()
        if not c.requests and not c.will_close and not c.total_outbufs_len
    ]
    if idle:
        oldest = min(idle, key=lambda c: c.last_activity)
        oldest.will_close = True  # closed by the server loop on its next turn


def configure(server: Any, limits: ServerLimits) -> None:
    """Install our channel (parser, eviction) on a waitress server before it accepts."""

    class Channel(HTTPChannel):
        parser_class = BoundedRequestParser

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            _evict_idlest(self.server, limits.connections)

    server.channel_class = Channel
    _raise_file_limit(limits.hard_connection_limit + limits.threads + _FILES_RESERVED)


def _raise_file_limit(wanted: int) -> None:
    """Each connection is a descriptor; raise the soft limit toward the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        logger.warning(
            "open-file limit %d is below the %d the connection limits need; "
            "raise it (ulimit -n) or expect refused connections under load",
            hard,
            wanted,
        )
