"""moto's query parser made linear: the same answers, one pass over the names."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    """Query parameters that count how many names were read by scanning them (by
    name, or with their values)."""

    scanned = 0

    def __iter__(self) -> Any:
        for key in super().__iter__():
            type(self).scanned += 1
            yield key

    def keys(self) -> Any:
        return iter(self)

    def items(self, multi: bool = False) -> Any:
        for key, value in super().items(multi):
            type(self).scanned += 1
            yield key, value


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


# Requests of several shapes: flattened lists named after their member's location
# (ReceiveMessage's AttributeName.N for AttributeNames), maps, nested structures, lists
# of structures. Each case is parsed whole and with names left out, as moto parses it.
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("sqs", "ReceiveMessage", {
        "QueueUrl": "q", "AttributeName.1": "All", "AttributeName.2": "SenderId",
        "MessageAttributeName.1": "kind", "MessageSystemAttributeName.1": "SentTimestamp",
        "MaxNumberOfMessages": "10", "WaitTimeSeconds": "2", "VisibilityTimeout": "30",
    }),
    ("sqs", "SendMessageBatch", {
        "QueueUrl": "q",
        "SendMessageBatchRequestEntry.1.Id": "a",
        "SendMessageBatchRequestEntry.1.MessageBody": "one",
        "SendMessageBatchRequestEntry.1.DelaySeconds": "3",
        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "kind",
        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "String",
        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "x",
        "SendMessageBatchRequestEntry.2.Id": "b",
        "SendMessageBatchRequestEntry.2.MessageBody": "two",
    }),
    ("sns", "Publish", {
        "TopicArn": "t", "Message": "m", "Subject": "s", "MessageStructure": "json",
        "MessageAttributes.entry.1.Name": "kind",
        "MessageAttributes.entry.1.Value.DataType": "String",
        "MessageAttributes.entry.1.Value.StringValue": "created",
        "MessageAttributes.entry.2.Name": "size",
        "MessageAttributes.entry.2.Value.DataType": "Number",
        "MessageAttributes.entry.2.Value.StringValue": "3",
    }),
    ("sns", "CreateTopic", {
        "Name": "t", "Attributes.entry.1.key": "FifoTopic", "Attributes.entry.1.value": "true",
        "Tags.member.1.Key": "team", "Tags.member.1.Value": "orders",
        "Tags.member.2.Key": "env", "Tags.member.2.Value": "",
    }),
    ("cloudformation", "CreateStack", {
        "StackName": "s", "TemplateBody": "{}", "TimeoutInMinutes": "5",
        "Parameters.member.1.ParameterKey": "A", "Parameters.member.1.ParameterValue": "1",
        "Parameters.member.2.ParameterKey": "B", "Parameters.member.2.UsePreviousValue": "true",
        "Capabilities.member.1": "CAPABILITY_IAM", "Tags.member.1.Key": "k",
        "Tags.member.1.Value": "v", "DisableRollback": "false",
    }),
]  # fmt: skip


@settings(max_examples=150)
@given(case=st.sampled_from(REQUESTS), data=st.data())
def test_any_part_of_a_request_parses_as_moto_parses_it(
    case: tuple[str, str, dict[str, str]], data: st.DataObject
) -> None:
    service, operation, values = case
    kept = data.draw(st.sets(st.sampled_from(sorted(values))))
    request = {"Action": operation, **{name: values[name] for name in sorted(kept)}}
    ours, _ = parse(LinearQueryParser, service, operation, request)
    theirs, _ = parse(moto_parse.QueryParser, service, operation, request)
    assert ours == theirs


def test_a_name_given_twice_reads_its_first_value_as_moto_does() -> None:
    model = get_service_model("sqs").operation_model("ReceiveMessage")
    pairs = [("Action", "ReceiveMessage"), ("QueueUrl", "first"), ("QueueUrl", "second"),
             ("AttributeName.1", "All"), ("AttributeName.1", "SenderId")]  # fmt: skip

    def parsed(parser: type) -> Any:
        request = {"method": "POST", "values": MultiDict(pairs), "headers": {}, "body": b"",
                   "url_path": "/", "url_params": {}}  # fmt: skip
        return parser(model).parse(request)

    assert parsed(LinearQueryParser) == parsed(moto_parse.QueryParser)
    assert parsed(LinearQueryParser)["QueueUrl"] == "first"
