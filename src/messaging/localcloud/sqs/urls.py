"""SQS routes: moto's URL patterns, dispatched to `LocalSQSResponse`."""

from __future__ import annotations

from moto.sqs.urls import url_bases

from messaging.localcloud.sqs.responses import LocalSQSResponse

__all__ = ["url_bases", "url_paths"]

dispatch = LocalSQSResponse().dispatch

url_paths = {
    "{0}/$": dispatch,
    r"{0}/(?P<account_id>\d+)/(?P<queue_name>[a-zA-Z0-9\-_\.]+)": dispatch,
}
