"""Requests to an endpoint that checks no signature carry a placeholder one.

The gap it closes: SigV4 signing hashes every request body and derives a key for every
request. That was more than a third of a client's CPU for a PublishBatch of 10 events
(2.0 -> 1.3 ms with the network stubbed out, `bench/cheaper_events.py`: botocore
urlencodes a query body once more to sign it) and a share of every function's
BatchExecuteStatement: CPU that, on one machine, the local cloud needs (issue #21).

The local cloud has no secrets to check a signature with, and says so in a header of
every response (`SIGNATURES_HEADER`). A client that has read it from its endpoint sends
its later requests with a placeholder Authorization header instead of a signature. The
placeholder keeps what the endpoint reads from a signature: the access key id (moto's
account) and the credential scope (the region and the service). AWS sends no such
header, so against AWS every request stays signed, and the code has no `if local:`
branch. The first request of each client is signed: the client learns from its answer.

Left signed whatever the endpoint says: S3 (its signer also decides how payloads are
checksummed), presigned URLs and posts, and every signer other than SigV4.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Final

import botocore
from botocore.handlers import S3_SIGNING_NAMES

__all__ = ["PLACEHOLDER_SIGNATURE", "SIGNATURES_HEADER", "UNCHECKED", "SignatureWaiver"]

SIGNATURES_HEADER: Final = "x-localcloud-signatures"
UNCHECKED: Final = "unchecked"
PLACEHOLDER_SIGNATURE: Final = "0" * 64  # the form of a signature, and nothing of one
_SCOPE: Final = "messaging-placeholder-scope"  # request context key: (service, region)


class SignatureWaiver:
    """Per client: SigV4 requests unsigned, with a placeholder, once the endpoint says so.

    `access_key` gives the id of the credentials the client signs with (read per
    request: credentials may be refreshed).
    """

    def __init__(self, access_key: Callable[[], str | None]) -> None:
        self._access_key = access_key
        self._waived = threading.Event()

    @classmethod
    def of_session(cls, session: Any) -> SignatureWaiver:
        """For the clients of a boto3 session: the access key of its credentials."""

        def access_key() -> str | None:
            credentials = session.get_credentials()
            return None if credentials is None else str(credentials.access_key)

        return cls(access_key)

    def register(self, events: Any) -> None:
        """On a client's own emitter (`client.meta.events`): its endpoint, not others'."""
        events.register("after-call", self._learn)
        # Ahead of botocore's own chooser, which answers "v4" for most operations.
        events.register_first("choose-signer", self._choose)
        events.register("before-sign", self._placeholder)

    def _learn(self, http_response: Any = None, **_: Any) -> None:
        headers = getattr(http_response, "headers", None) or {}
        if headers.get(SIGNATURES_HEADER) == UNCHECKED:
            self._waived.set()

    def _choose(
        self,
        signature_version: Any = None,
        signing_name: str | None = None,
        region_name: str | None = None,
        context: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        if (
            not self._waived.is_set()
            or signature_version != "v4"
            or signing_name in S3_SIGNING_NAMES
            or context is None
        ):
            return None  # botocore chooses, as for any endpoint
        context[_SCOPE] = (signing_name, region_name)
        return botocore.UNSIGNED

    def _placeholder(self, request: Any = None, **_: Any) -> None:
        scope = getattr(request, "context", {}).get(_SCOPE)
        key = self._access_key() if scope is not None else None
        if scope is None or key is None:
            return
        service, region = scope
        date = time.strftime("%Y%m%d", time.gmtime())
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{service}/aws4_request, "
            f"SignedHeaders=host, Signature={PLACEHOLDER_SIGNATURE}"
        )
