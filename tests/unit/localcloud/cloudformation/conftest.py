"""In-process CloudFormation (moto's mock plus our plug-ins), with the clients tests use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from tests.support.moto_state import REGION

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient


@pytest.fixture
def mocked() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def cfn(mocked: None) -> CloudFormationClient:
    return boto3.client("cloudformation", region_name=REGION)


@pytest.fixture
def client(mocked: None) -> Any:
    """Any other service's client: client("sqs")."""
    return lambda service: boto3.client(service, region_name=REGION)
