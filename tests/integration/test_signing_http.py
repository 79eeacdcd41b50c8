"""Against the local cloud, placeholder signatures keep each request's region and account."""

from __future__ import annotations

from typing import Any

from messaging.core.signing import PLACEHOLDER_SIGNATURE
from messaging.localcloud.server import LocalCloud
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings


def _aws(cloud: LocalCloud, region: str) -> tuple[Aws, list[str]]:
    aws = Aws(
        Settings(endpoint_url=cloud.endpoint_url, region=region),
        placeholder_credentials=cloud.placeholder_credentials,
    )
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(request.headers["Authorization"].decode())

    aws.session.events.register("before-send", record)
    return aws, sent


def test_placeholder_signed_requests_land_in_their_own_region(cloud: LocalCloud) -> None:
    west, sent = _aws(cloud, "eu-west-2")
    sqs = west.sqs()
    sqs.list_queues()  # signed: the answer says signatures go unchecked
    url = sqs.create_queue(QueueName="signing-placeholder")["QueueUrl"]
    listed = sqs.list_queues(QueueNamePrefix="signing-placeholder").get("QueueUrls", [])
    assert [PLACEHOLDER_SIGNATURE in header for header in sent] == [False, True, True]
    assert listed == [url]
    assert (
        ":eu-west-2:"
        in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    )
    east, _ = _aws(cloud, "us-east-1")
    assert east.sqs().list_queues(QueueNamePrefix="signing-placeholder").get("QueueUrls") is None
    sqs.delete_queue(QueueUrl=url)
