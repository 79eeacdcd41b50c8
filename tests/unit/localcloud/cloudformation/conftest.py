"""In-process CloudFormation (moto's mock plus our plug-ins), with the clients tests use.

Clients are made once per session: making a boto3 client costs about 0.2 s, and moto's
mock intercepts every client's requests while it is active, whenever the client was
made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from tests.support.moto_state import REGION

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient


@functools.cache
def _client(service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=REGION, aws_access_key_id="mock", aws_secret_access_key="mock"
    )


@pytest.fixture
def mocked() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def cfn(mocked: None) -> CloudFormationClient:
    return _client("cloudformation")  # type: ignore[no-any-return]


@pytest.fixture
def client(mocked: None) -> Callable[[str], Any]:
    """Any other service's client: client("sqs")."""
    return _client
