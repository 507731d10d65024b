"""`scrapy crawl`, which checks a site definition (and Redis, when distributed) first.

Scrapy builds the spider inside its running event loop, where a bad definition surfaces
as a traceback; checked here first, it is one line naming the file and the key, with
exit status 2, and nothing has been started, requested or written.
"""

from __future__ import annotations

import argparse

from scrapy.commands import crawl
from scrapy.exceptions import UsageError

from crawler.distributed import redis_problem
from crawler.sitedef import DefinitionError
from crawler.spiders.site import SiteSpider


class Command(crawl.Command):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spider_class = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                message = f"no spider named {args[0]!r}; `scrapy list` shows them"
                raise UsageError(message, print_help=False) from None
            if issubclass(spider_class, SiteSpider):
                try:
                    spider_class.load_definition(opts.spargs.get("config"))
                except DefinitionError as error:
                    raise UsageError(str(error), print_help=False) from None
        if self.settings is not None and (problem := redis_problem(self.settings)):
            raise UsageError(problem, print_help=False)
        super().run(args, opts)
