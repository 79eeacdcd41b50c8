"""SQS: constant-cost standard queues (`backend`) over their message store (`store`)."""
