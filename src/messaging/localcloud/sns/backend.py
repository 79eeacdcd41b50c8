"""SNS -> Firehose delivery for `firehose` subscriptions, raw and not raw.

The gap it closes: moto accepts a subscription with protocol `firehose` but never
delivers to it (`Subscription.publish` only knows sqs, http(s) and lambda). On AWS,
SNS puts each message into the delivery stream as one record followed by a newline,
so the objects Firehose writes hold one message per line:

- raw delivery: the message body only (message attributes are not sent);
- otherwise: the JSON envelope `Type`, `MessageId`, `TopicArn`, `Subject` (if any),
  `Message`, `Timestamp`, `UnsubscribeURL`, `MessageAttributes` (if any), unsigned.

Filter policies and `MessageStructure=json` apply as for every other protocol. A record
that cannot be delivered (unknown stream) goes to the subscription's redrive DLQ when
one is configured, as AWS does after its retries; otherwise it is logged and dropped.

It also fixes one moto quirk that changes delivery: `RawMessageDelivery` set to the
string "false" counted as raw (any non-empty string is truthy).

Memory: moto appends every publish (message body included) to its topic's
`sent_notifications` and never drops one (0.73 MB per 1,000 events in a soak run). Here
a topic keeps the last `NOTIFICATION_RING` of them, for debugging.

Known limits: no delivery retries or back-off, no `SubscriptionRoleArn` permission check.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import Any

from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.firehose.models import firehose_backends
from moto.sns import models as moto_sns
from moto.sns.exceptions import SNSInvalidParameter
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn

from messaging.localcloud.seams import moto_urls, use_backend
from messaging.localcloud.sqs.store import arriving_together

__all__ = ["NOTIFICATION_RING", "LocalSNSBackend", "envelope", "install"]

logger = logging.getLogger(__name__)

NOTIFICATION_RING = 256  # past publishes a topic keeps (moto: all of them)


def is_true(value: Any) -> bool:
    """SNS attribute values arrive as "true"/"false" strings or as booleans."""
    return str(value).lower() == "true"


def envelope(
    subscription: moto_sns.Subscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The non-raw JSON notification SNS sends to Firehose (no signature fields)."""
    topic_arn = subscription.topic.arn
    region = parse_arn(topic_arn).region
    body: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn}
    if subject:
        body["Subject"] = subject
    body["Message"] = message
    body["Timestamp"] = iso_8601_datetime_with_milliseconds()
    body["UnsubscribeURL"] = (
        f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}"
    )
    if message_attributes:
        body["MessageAttributes"] = {
            name: {"Type": value["Type"], "Value": value["Value"]}
            for name, value in message_attributes.items()
        }
    return body


class LocalSNSBackend(moto_sns.SNSBackend):
    """moto's SNS plus delivery to Firehose."""

    _url_module = moto_urls("sns")

    def create_topic(
        self,
        name: str,
        attributes: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> moto_sns.Topic:
        topic = super().create_topic(name, attributes, tags)
        sent: Any = topic.sent_notifications
        if not isinstance(sent, deque):
            topic.sent_notifications = deque(sent, maxlen=NOTIFICATION_RING)  # type: ignore[assignment]
        return topic

    def subscribe(self, topic_arn: str, endpoint: str, protocol: str) -> moto_sns.Subscription:
        if protocol == "firehose":
            try:
                arn = parse_arn(endpoint)
            except ValueError as error:
                raise SNSInvalidParameter("Invalid parameter: Endpoint") from error
            if arn.service != "firehose" or not arn.resource_id:
                raise SNSInvalidParameter("Invalid parameter: Endpoint")
        return super().subscribe(topic_arn, endpoint, protocol)

    def set_subscription_attributes(self, arn: str, name: str, value: Any) -> None:
        if name == "RawMessageDelivery":
            value = is_true(value)
        super().set_subscription_attributes(arn, name, value)

    def publish_batch(
        self, topic_arn: str, publish_batch_request_entries: list[dict[str, Any]]
    ) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
        # A batch's messages land in each subscribed queue together (see the store).
        with arriving_together():
            return super().publish_batch(topic_arn, publish_batch_request_entries)

    def publish(
        self,
        message: str,
        arn: str | None,
        phone_number: str | None = None,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> str:
        message_id = str(
            super().publish(
                message,
                arn,
                phone_number=phone_number,
                subject=subject,
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
                message_structure=message_structure,
            )
        )
        if arn is None or arn not in self.topics:
            return message_id
        for subscription in self._get_topic_subscriptions(self.topics[arn]):
            if subscription.protocol == "firehose":
                self._deliver_to_firehose(
                    subscription,
                    message,
                    message_id,
                    subject,
                    message_attributes,
                    message_structure,
                )
        return message_id

    def _deliver_to_firehose(
        self,
        subscription: moto_sns.Subscription,
        message: str,
        message_id: str,
        subject: str | None,
        message_attributes: dict[str, Any] | None,
        message_structure: str | None,
    ) -> None:
        matcher = subscription._filter_policy_matcher  # noqa: SLF001 - moto keeps it private
        if matcher is not None and not matcher.matches(message_attributes, message):
            return
        if message_structure == "json":
            message = subscription._parse_message_structure(message, "firehose")  # noqa: SLF001
        if is_true(subscription.attributes.get("RawMessageDelivery")):
            payload = message
        else:
            payload = json.dumps(
                envelope(subscription, message, message_id, subject, message_attributes),
                separators=(",", ":"),
            )
        record = {"Data": (payload + "\n").encode("utf-8")}
        stream_arn = parse_arn(subscription.endpoint)
        stream_name = stream_arn.resource_id
        try:
            backend = firehose_backends[stream_arn.account][stream_arn.region]
            backend.put_record_batch(stream_name, [record])
        except Exception as error:  # noqa: BLE001 - classified below: redrive or log
            self._undeliverable(subscription, payload, error)

    def _undeliverable(
        self, subscription: moto_sns.Subscription, payload: str, error: Exception
    ) -> None:
        redrive = subscription.attributes.get("RedrivePolicy")
        policy = json.loads(redrive) if isinstance(redrive, str) and redrive else redrive
        target = (policy or {}).get("deadLetterTargetArn")
        if target:
            dlq = parse_arn(target)
            sqs_backends[dlq.account][dlq.region].send_message(dlq.resource_id, payload)
            logger.warning(
                "sns: %s undeliverable (%s); sent to DLQ %s", subscription.arn, error, target
            )
            return
        logger.error(
            "sns: %s undeliverable (%s); message dropped (no redrive policy)",
            subscription.arn,
            error,
        )


def install() -> None:
    """Make moto's SNS BackendDict build our backend (idempotent)."""
    use_backend(moto_sns.sns_backends, LocalSNSBackend)
