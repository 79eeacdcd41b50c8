"""messaging: an event-driven microservice system on AWS messaging.

SNS fans `consumer.created` events out to two SQS-fed services and to a Firehose
stream that lands them in an S3 lake. The same code runs on AWS and on the
embedded local cloud in `messaging.localcloud`; only the endpoint differs.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
