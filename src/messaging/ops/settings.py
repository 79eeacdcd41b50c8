"""Configuration: pydantic-settings over the environment, `.env` and CLI flags.

AWS settings follow the SDK conventions (`AWS_PROFILE`, `AWS_REGION`,
`AWS_ENDPOINT_URL`) so the same variables drive boto3, the `aws` CLI and us. There is
deliberately no field for credentials: boto3's credential chain finds them, and a
key written into `.env` is never read by this code.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_STACK_NAME", "Settings"]

DEFAULT_STACK_NAME = "messaging"


class Settings(BaseSettings):
    """Where the system lives. Flags override the environment, which overrides `.env`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    stack_name: str = Field(
        default=DEFAULT_STACK_NAME,
        validation_alias=AliasChoices("stack_name", "MESSAGING_STACK_NAME"),
    )
    endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("endpoint_url", "AWS_ENDPOINT_URL")
    )
    region: str | None = Field(
        default=None,
        validation_alias=AliasChoices("region", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    profile: str | None = Field(
        default=None, validation_alias=AliasChoices("profile", "AWS_PROFILE")
    )

    @field_validator("stack_name")
    @classmethod
    def _valid_stack_name(cls, value: str) -> str:
        # CloudFormation: letters, digits and hyphens, starting with a letter, <= 128.
        if (
            not value
            or len(value) > 128
            or not value[0].isalpha()
            or not all(c.isascii() and (c.isalnum() or c == "-") for c in value)
        ):
            raise ValueError(
                "a stack name starts with a letter and holds only letters, digits and "
                "hyphens (at most 128)"
            )
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _valid_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"endpoint URL must start with http:// or https://, got {value!r}")
        return value or None
