"""DynamoDB: transactions (`transactions`), request handling (`requests`), Scan (`scan`),
PartiQL INSERT (`partiql`) and its answers (`statement_answers`), each request atomic
(`one_at_a_time`)."""
