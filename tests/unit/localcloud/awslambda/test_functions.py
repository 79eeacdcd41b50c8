"""Where functions call back: the latest local cloud still serving in this process."""

from __future__ import annotations

from messaging.localcloud.awslambda.functions import Endpoint


def test_a_stopped_cloud_hands_the_functions_back_to_one_still_serving() -> None:
    endpoint = Endpoint()
    assert endpoint.url == ""
    endpoint.serve("http://127.0.0.1:1000")  # a session's cloud
    endpoint.serve("http://127.0.0.1:2000")  # a module's, started later
    assert endpoint.url == "http://127.0.0.1:2000"
    endpoint.release("http://127.0.0.1:2000")  # the module's stops
    assert endpoint.url == "http://127.0.0.1:1000"
    endpoint.release("http://127.0.0.1:3000")  # never served: nothing changes
    assert endpoint.url == "http://127.0.0.1:1000"
    endpoint.release("http://127.0.0.1:1000")
    assert endpoint.url == ""
