"""Pages whose bytes are not in the charset they declare, or that declare none.

A windows-1251 page served as UTF-8 decodes to replacement characters, and an unlabelled
one is guessed as windows-1252 (Scrapy's fallback): either way the archive would keep
mojibake. A declared charset is kept whenever the bytes are valid in it; otherwise the
charset is detected from the bytes (charset-normalizer) and the fault is recorded.
"""

from __future__ import annotations

import codecs
from typing import Self

from charset_normalizer import from_bytes
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawler.faults import record_fault

#: Bytes read to detect a charset: enough for any page's text to show its alphabet.
DETECT_BYTES = 64 * 1024


def declared_charset(response: HtmlResponse) -> str | None:
    """The charset the HTTP header or else the page itself names, if Python knows it."""
    content_type = response.headers.get("Content-Type", b"").decode("latin-1")
    name = http_content_type_encoding(content_type) or html_body_declared_encoding(response.body)
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def decodes(body: bytes, charset: str) -> bool:
    try:
        body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect_charset(body: bytes) -> str | None:
    """The most likely charset of `body`, from its first DETECT_BYTES."""
    best = from_bytes(body[:DETECT_BYTES]).best()
    return best.encoding if best else None


class CharsetMiddleware:
    """Downloader middleware: HTML responses are decoded with the charset their bytes are in."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse) or response.status != 200:
            return response
        declared = declared_charset(response)
        if decodes(response.body, declared or "utf-8"):
            return response  # valid as declared, or unlabelled and valid UTF-8
        detected = detect_charset(response.body)
        if detected is None or detected == declared:
            return response
        if declared:
            kind, detail = "charset_mislabelled", f"declared {declared}, bytes are {detected}"
        else:
            kind, detail = "charset_missing", f"no charset declared, bytes are {detected}"
        record_fault(self.crawler, kind, request.url, detail)
        return response.replace(encoding=detected)
