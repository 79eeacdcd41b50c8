"""boto3 sessions and clients, configured once, with every call counted.

One endpoint setting switches everything between AWS and any compatible endpoint.

Retries of whole calls are configured once, in `messaging.core.retry.default_config`
(re-exported here): botocore's standard mode (throttling, 5xx and connection errors,
exponential back-off with full jitter, and a retry quota that stops retrying when most
calls fail), `MAX_ATTEMPTS` attempts per call. The application never retries a whole
call on top; it retries only the failed entries of batch calls
(`messaging.core.retry.EntryRetry`).

Every HTTP request an SDK call makes, retries included, is counted once, from
botocore's `before-send` event, because on AWS requests are the bill. This is the only
request count: workers, stores and the producer keep none (`RequestCounter`, in
`messaging.core.metrics` so that the Lambda handler counts its calls the same way).
Next to it, `usage` meters what AWS bills for (64 KiB chunks, records and their sizes,
DynamoDB write and read units) on the same events (`messaging.core.metering`), which
`messaging.simulation.cost` prices.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from messaging.core import form_encoding
from messaging.core.metering import UsageMeter
from messaging.core.metrics import RequestCounter
from messaging.core.retry import MAX_ATTEMPTS, default_config
from messaging.core.signing import SignatureWaiver
from messaging.ops.instance import InstanceCheck
from messaging.ops.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_firehose import FirehoseClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

__all__ = ["DEPLOY_ATTEMPTS", "MAX_ATTEMPTS", "Aws", "RequestCounter", "default_config"]

DEFAULT_REGION = "us-east-1"
# Deploys run rarely, CloudFormation throttles, and a deploy that gives up midway
# leaves work for a human: its calls retry harder.
DEPLOY_ATTEMPTS = 10


@dataclass
class Aws:
    """A configured session: the one place clients are made."""

    settings: Settings
    config: Config = field(default_factory=default_config)
    requests: RequestCounter = field(default_factory=RequestCounter)
    usage: UsageMeter = field(default_factory=UsageMeter)
    # Only for the local cloud's placeholders (it ignores signatures); on AWS the
    # credential chain always decides, and nothing here reads keys from anywhere.
    placeholder_credentials: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        key, secret = self.placeholder_credentials or (None, None)
        self.session = boto3.Session(
            profile_name=None if key else self.settings.profile,
            region_name=self.settings.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )
        self.region = self.session.region_name or DEFAULT_REGION
        # `before-send` fires once per HTTP attempt, so retries are counted too.
        self.session.events.register("before-send", self._count)
        self.usage.register(self.session.events)  # billing units, on the same events
        self.session.events.register("after-call", InstanceCheck())  # a restarted local cloud
        self._clients: dict[tuple[str, bool], Any] = {}
        self._clients_lock = threading.Lock()

    def _count(self, event_name: str, request: Any = None, **kwargs: Any) -> None:
        self.requests.on_before_send(event_name, request, **kwargs)

    def client(self, service: str, *, validate: bool = True) -> Any:
        """One client per service, made on first use and shared.

        Making a client costs 30-50 ms of CPU (botocore loads and builds its model);
        a live view that asked for a new one per queue per second spent a tenth of a
        core on it. botocore's clients are thread-safe, and this session's counters
        and meters are registered on the session, so every client counts the same.
        """
        key = (service, validate)
        with self._clients_lock:
            if key not in self._clients:
                config = self.config
                if not validate:
                    config = config.merge(Config(parameter_validation=False))
                client = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=self.region,
                    endpoint_url=self.settings.endpoint_url,
                    config=config,
                )
                SignatureWaiver.of_session(self.session).register(client.meta.events)
                form_encoding.register(client)
                self._clients[key] = client
            return self._clients[key]

    def cloudformation(self) -> CloudFormationClient:
        return self.client("cloudformation")  # type: ignore[no-any-return]

    def sns(self) -> SNSClient:
        return self.client("sns")  # type: ignore[no-any-return]

    def publisher(self) -> SNSClient:
        """The producer's SNS client: without botocore's client-side parameter validation.

        Walking a PublishBatch of 10 events once more before serialising it cost 0.3 of
        the 1.45 ms of CPU its client spent (issue #21). The producer builds every entry
        itself from a validated event, and SNS validates every request too
        (InvalidParameter, per entry in `Failed`), which the producer reports.
        """
        return self.client("sns", validate=False)  # type: ignore[no-any-return]

    def sqs(self) -> SQSClient:
        return self.client("sqs")  # type: ignore[no-any-return]

    def s3(self) -> S3Client:
        return self.client("s3")  # type: ignore[no-any-return]

    def firehose(self) -> FirehoseClient:
        return self.client("firehose")  # type: ignore[no-any-return]

    def dynamodb(self) -> DynamoDBClient:
        """A DynamoDB client without botocore's client-side parameter validation.

        The store's transactions carry every attribute of up to 100 items, and walking
        them once more before serialising cost 0.10 ms of CPU per item, 60% on top of
        serialising them. DynamoDB validates every request itself (ValidationException),
        and the store builds its items with boto3's TypeSerializer, which rejects what
        DynamoDB cannot hold.
        """
        return self.client("dynamodb", validate=False)  # type: ignore[no-any-return]
