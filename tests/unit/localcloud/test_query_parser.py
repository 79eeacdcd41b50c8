"""moto's query parser made linear: the same answers, one pass over the names."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core import parse as moto_parse
from moto.core.utils import get_service_model
from werkzeug.datastructures import MultiDict

from messaging.localcloud import query_parser
from messaging.localcloud.query_parser import (
    LinearEC2QueryParser,
    LinearQueryParser,
    MalformedInputError,
)


class CountingParams(MultiDict[str, str]):
    """Query parameters that count how many names were read by scanning them."""

    scanned = 0

    def __iter__(self) -> Any:
        for key in super().__iter__():
            type(self).scanned += 1
            yield key

    def keys(self) -> Any:
        return iter(self)


def publish_batch(entries: int, attributes: int = 0) -> dict[str, str]:
    values = {"Action": "PublishBatch", "TopicArn": "arn:aws:sns:us-east-1:1:t"}
    for n in range(1, entries + 1):
        member = f"PublishBatchRequestEntries.member.{n}"
        values[f"{member}.Id"] = str(n)
        values[f"{member}.Message"] = f"message {n}"
        for a in range(1, attributes + 1):
            values[f"{member}.MessageAttributes.entry.{a}.Name"] = f"a{a}"
            values[f"{member}.MessageAttributes.entry.{a}.Value.DataType"] = "String"
            values[f"{member}.MessageAttributes.entry.{a}.Value.StringValue"] = "v"
    return values


def parse(parser: type, service: str, operation: str, values: dict[str, str]) -> Any:
    model = get_service_model(service).operation_model(operation)
    params = CountingParams(values)
    CountingParams.scanned = 0
    request = {"method": "POST", "values": params, "headers": {}, "body": b"", "url_path": "/",
               "url_params": {}}  # fmt: skip
    return parser(model).parse(request), CountingParams.scanned


@pytest.mark.parametrize(("entries", "attributes"), [(1, 0), (10, 3), (200, 2)])
def test_the_answer_is_moto_s_own(entries: int, attributes: int) -> None:
    values = publish_batch(entries, attributes)
    ours, _ = parse(LinearQueryParser, "sns", "PublishBatch", values)
    theirs, _ = parse(moto_parse.QueryParser, "sns", "PublishBatch", values)
    assert ours == theirs
    assert len(ours["PublishBatchRequestEntries"]) == entries


def test_names_are_scanned_once_not_once_per_structure() -> None:
    small, large = publish_batch(100, 2), publish_batch(1000, 2)
    _, ours_small = parse(LinearQueryParser, "sns", "PublishBatch", small)
    _, ours_large = parse(LinearQueryParser, "sns", "PublishBatch", large)
    assert (ours_small, ours_large) == (len(small), len(large))  # one pass: linear
    _, moto_small = parse(moto_parse.QueryParser, "sns", "PublishBatch", small)
    assert moto_small > 100 * len(small)  # moto: a scan per structure, n times n


@pytest.mark.parametrize(
    ("operation", "values"),
    [
        ("ReceiveMessage", {"QueueUrl": "q", "MaxNumberOfMessages": "ten"}),
        ("ReceiveMessage", {"QueueUrl": "q", "WaitTimeSeconds": "9" * 5000}),
        ("ChangeMessageVisibility",
         {"QueueUrl": "q", "ReceiptHandle": "h", "VisibilityTimeout": "1.5"}),
    ],
)  # fmt: skip
def test_a_value_that_does_not_parse_is_malformed_input_not_a_crash(
    operation: str, values: dict[str, str]
) -> None:
    with pytest.raises(MalformedInputError, match="Invalid integer"):
        parse(LinearQueryParser, "sqs", operation, {"Action": operation, **values})


def test_the_ec2_parser_is_linear_too_with_the_same_answers() -> None:
    values = {"Action": "DescribeInstances"}
    for n in range(1, 301):
        values[f"Filter.{n}.Name"] = "tag:k"
        values[f"Filter.{n}.Value.1"] = f"v{n}"
    ours, scanned = parse(LinearEC2QueryParser, "ec2", "DescribeInstances", values)
    theirs, _ = parse(moto_parse.EC2QueryParser, "ec2", "DescribeInstances", values)
    assert ours == theirs
    assert len(ours["Filters"]) == 300
    assert scanned == len(values)


def test_install_replaces_the_query_entries_only_and_uninstall_restores_them() -> None:
    json_entry = moto_parse.PROTOCOL_PARSERS["json"]  # json_parser's, or moto's
    try:
        query_parser.install()
        assert moto_parse.PROTOCOL_PARSERS["query"] is LinearQueryParser
        assert moto_parse.PROTOCOL_PARSERS["ec2"] is LinearEC2QueryParser
        assert moto_parse.PROTOCOL_PARSERS["json"] is json_entry
        query_parser.uninstall()
        assert moto_parse.PROTOCOL_PARSERS["query"] is moto_parse.QueryParser
        assert moto_parse.PROTOCOL_PARSERS["ec2"] is moto_parse.EC2QueryParser
    finally:
        query_parser.install()
