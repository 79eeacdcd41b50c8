"""DynamoDB: transactions (`transactions`), request handling (`requests`), Scan (`scan`),
PartiQL INSERT (`partiql`), each request atomic (`one_at_a_time`)."""
