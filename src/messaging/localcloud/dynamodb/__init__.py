"""DynamoDB: transactions (`transactions`), request handling (`requests`), Scan (`scan`),
PartiQL INSERT (`partiql`)."""
