"""The ceiling for bench/crawl.py: plain Scrapy following the demo site's links.

It requests what the project's spider requests (each section's listing pages by their
next link, and every article link on them) and yields one trivial item per article page,
with no pipeline, no extraction and none of the project's settings. Run it with
`scrapy runspider bench/bare_spider.py -a config=DEFINITION.toml` from outside the project,
so that Scrapy's defaults apply.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response


class BareSpider(Spider):
    name = "bare"

    def __init__(self, config: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        definition = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        self.start_urls = definition["start_urls"]
        self.article_url = re.compile(definition["article_url"])
        self.next_page = definition["next_page"]

    async def start(self) -> AsyncIterator[Request]:
        for url in self.start_urls:
            yield Request(url, self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if self.article_url.search(url):
                yield Request(url, self.parse_article)
        next_href = response.css(f"{self.next_page}::attr(href)").get()
        if next_href:
            yield Request(response.urljoin(next_href), self.parse_listing)

    def parse_article(self, response: Response) -> Iterator[dict[str, str]]:
        yield {"url": response.url}
