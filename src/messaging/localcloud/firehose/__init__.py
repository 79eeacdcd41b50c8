"""Firehose: buffering (`buffer`), prefix expressions (`prefix`), delivery (`backend`)."""
