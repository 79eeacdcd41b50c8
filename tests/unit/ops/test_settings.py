"""Settings follow the AWS SDK conventions and never hold credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from messaging.ops.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in (
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "MESSAGING_STACK_NAME",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    settings = Settings()
    assert (settings.stack_name, settings.endpoint_url, settings.region) == (
        "messaging",
        None,
        None,
    )


def test_reads_the_sdk_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("MESSAGING_STACK_NAME", "messaging-dev")
    settings = Settings()
    assert settings.endpoint_url == "http://127.0.0.1:4566"
    assert settings.region == "eu-west-1"
    assert settings.profile == "dev"
    assert settings.stack_name == "messaging-dev"


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESSAGING_STACK_NAME", "from-env")
    assert Settings(stack_name="from-flag").stack_name == "from-flag"


def test_dotenv_is_read_but_keys_in_it_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "MESSAGING_STACK_NAME=from-dotenv\nAWS_ACCESS_KEY_ID=placeholder-key-id\n"
    )
    settings = Settings()
    assert settings.stack_name == "from-dotenv"
    assert "placeholder-key-id" not in repr(settings.model_dump())


@pytest.mark.parametrize("name", ["1abc", "has_underscore", "", "x" * 129])
def test_invalid_stack_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="stack name"):
        Settings(stack_name=name)


def test_endpoint_must_be_http() -> None:
    with pytest.raises(ValidationError, match="http"):
        Settings(endpoint_url="127.0.0.1:4566")
