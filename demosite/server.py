"""Serve a generated site on 127.0.0.1 with Twisted's static file server.

Two additions make it useful for testing a crawler's politeness: every response can be
held back by `delay` seconds without blocking the reactor (so concurrent requests stay
concurrent), and each finished request is logged as one JSON line with its arrival and
finishing times, from which a test can count requests per URL and the most requests in
flight at once.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import ClassVar

from twisted.web import pages, resource, server

with warnings.catch_warnings():
    # Importing twisted.web.static builds its error pages with a class Twisted itself
    # deprecates; the warning concerns Twisted's code, and warnings are errors in tests.
    warnings.simplefilter("ignore", DeprecationWarning)
    from twisted.web import static

HTML = "text/html; charset=utf-8"
HOST = "127.0.0.1"


class _SiteFile(static.File):
    """Static files as the real site serves them: extensionless article files are HTML."""

    contentTypes: ClassVar[dict[str, str]] = {**static.File.contentTypes, ".html": HTML}

    def directoryListing(self) -> resource.IResource:
        """A directory without index.html is not a page of the site."""
        return pages.notFound()


class _DelayedRequest(server.Request):
    """A request answered `site.delay` seconds after it arrived, via the reactor's clock."""

    received_at: float

    def process(self) -> None:
        self.received_at = time.time()
        site: DemoSite = self.channel.site
        site.reactor.callLater(site.delay, self._process_unless_gone)

    def _process_unless_gone(self) -> None:
        if self.channel is not None:  # None once the client has hung up while we waited
            super().process()


def _json_log_line(_timestamp: str, request: _DelayedRequest) -> str:
    return json.dumps(
        {
            "path": request.uri.decode("utf-8", "replace"),
            "method": request.method.decode("ascii", "replace"),
            "start": request.received_at,
            "end": time.time(),
            "status": request.code,
        }
    )


class DemoSite(server.Site):
    """The Twisted site for `directory`; `log`, if given, receives one JSON line a request.

    Twisted opens the log when the site starts listening (appending, line-buffered) and
    closes it when it stops. Requests whose client hung up before the answer are not logged.
    """

    def __init__(self, directory: Path, *, delay: float = 0.0, log: Path | None = None) -> None:
        super().__init__(
            _SiteFile(str(directory), defaultType=HTML),
            requestFactory=_DelayedRequest,
            logPath=None if log is None else str(log),
            logFormatter=_json_log_line,
        )
        self.delay = delay


def serve(directory: Path, *, port: int = 0, delay: float = 0.0, log: Path | None = None) -> None:
    """Serve until SIGINT or SIGTERM; print one line with the URL once listening.

    The reactor is imported here, not at module level, so that importing this module
    does not install a reactor before Scrapy chooses its own.
    """
    from twisted.internet import reactor

    listening = reactor.listenTCP(port, DemoSite(directory, delay=delay, log=log), interface=HOST)
    print(f"serving {directory} on http://{HOST}:{listening.getHost().port}/", flush=True)
    reactor.run()
