"""The domain: the event contract (`events`), the services (`services`), measurements."""
