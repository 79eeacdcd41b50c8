"""SNS: delivery to Firehose subscriptions."""
