"""JSON-protocol operations whose input shapes cover every kind of member the local
cloud's request walks meet (the precheck's check, moto's parse)."""

from __future__ import annotations

OPERATIONS = [
    ("dynamodb", "BatchExecuteStatement"),
    ("dynamodb", "TransactWriteItems"),
    ("dynamodb", "PutItem"),
    ("dynamodb", "Query"),
    ("dynamodb", "CreateTable"),  # bounded strings, lists and numbers
    ("dynamodb", "ExportTableToPointInTime"),  # a timestamp member
    ("sqs", "SendMessageBatch"),  # blobs in message attributes
    ("sqs", "ReceiveMessage"),
    ("firehose", "PutRecordBatch"),  # bounded blobs and lists
    ("logs", "PutLogEvents"),
]
