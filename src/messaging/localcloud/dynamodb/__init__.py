"""DynamoDB: transactions (`transactions`) and request handling (`requests`)."""
