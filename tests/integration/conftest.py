"""A local cloud on 127.0.0.1 (free port) shared by the integration tests.

Tests isolate themselves with a unique stack name and `NamePrefix`, so they can
share one cloud the way several stacks share one AWS account.
"""

from __future__ import annotations

import itertools

import pytest

from messaging.localcloud.server import LocalCloud
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings

_names = itertools.count(1)


@pytest.fixture
def aws(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> Aws:
    for key, value in cloud.client_environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings = Settings(endpoint_url=cloud.endpoint_url, region=cloud.region)
    return Aws(settings, placeholder_credentials=cloud.placeholder_credentials)


@pytest.fixture
def name_prefix() -> str:
    """A NamePrefix (and stack name stem) no other test uses."""
    return f"t{next(_names)}-"


@pytest.fixture
def destroy_clients(aws: Aws) -> stack.DestroyClients:
    """The clients `stack.destroy` and `stack.inventory` need."""
    return stack.DestroyClients(
        aws.cloudformation(), aws.s3(), aws.dynamodb(), aws.sqs(), aws.client("kms")
    )
