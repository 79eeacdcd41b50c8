"""A form body decoded once: werkzeug takes the pairs the precheck already decoded.

The gap it closes: a query-protocol request (SNS PublishBatch, above all) has its form
body percent-decoded twice, once by the precheck (`wire.check_query`, which must refuse a
bad escape before moto sees it) and once by werkzeug when moto reads `request.form`. A
PublishBatch of ten events is mostly escaped JSON, and each decode was about 4.5% of the
local cloud's CPU end to end (issue #21).

moto's Flask apps build their requests from `BackendRequest`; the server gives them
`DecodedOnceRequest`, that class with a form parser that, for a urlencoded body equal
byte for byte to the one the precheck decoded, takes the precheck's pairs
(`Route.form_params`). Anything else (no precheck ran, another body, another content
type) is parsed by werkzeug, unchanged. The pairs are the same: both decode as
`parse_qsl(keep_blank_values=True)` does (the precheck's `wire.decoded_pairs` gives its
pairs, decoded in C), and the precheck refuses the bodies on which the two would differ
(bad escapes, bytes that are not UTF-8, which werkzeug would re-quote).

It also loads the form without Flask's debug-mode helper. moto runs its Flask apps with
`debug = True`, and in debug mode Flask gives each request's `files` a class of its own,
built for that request, whose method holds the request in a closure: a class and a
reference cycle (the request, its environ, its body) for every request, which only the
cycle collector can free. With full collections made rare in a serving cloud
(`collector`), the requests that lived long enough to reach the oldest generation
stayed in memory until the next one. The helper only rewords a KeyError on a file field
of a form that is not multipart, a field no AWS API has.
"""

from __future__ import annotations

import io
from typing import IO, Any

from moto.moto_server.werkzeug_app import BackendRequest
from werkzeug.formparser import FormDataParser
from werkzeug.wrappers import Request as WerkzeugRequest

from messaging.localcloud.route import ROUTE_KEY, Route

__all__ = ["DecodedOnceRequest"]


class _DecodedOnceParser(FormDataParser):
    """werkzeug's parser, given the pairs already decoded from `text`."""

    def __init__(self, text: bytes, pairs: list[tuple[str, str]], **options: Any) -> None:
        super().__init__(**options)
        self._text = text
        self._pairs = pairs

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        body = stream.read()
        if body != self._text:  # not the body the precheck saw: werkzeug's own decode
            return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)
        return stream, self.cls(self._pairs), self.cls()


class DecodedOnceRequest(BackendRequest):
    """moto's request class: the precheck's decoded pairs, and no class per request."""

    def _load_form_data(self) -> None:
        # werkzeug's loading; Flask's override would add a class per request
        WerkzeugRequest._load_form_data(self)  # noqa: SLF001 - the hook werkzeug offers

    def make_form_data_parser(self) -> FormDataParser:
        route = self.environ.get(ROUTE_KEY)
        if not isinstance(route, Route) or route.form_params is None or not route.form_text:
            return super().make_form_data_parser()
        return _DecodedOnceParser(
            route.form_text,
            route.form_params,
            stream_factory=self._get_file_stream,
            max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length,
            max_form_parts=self.max_form_parts,
            cls=self.parameter_storage_class,
        )
