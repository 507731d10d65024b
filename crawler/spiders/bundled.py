"""One spider class per bundled site definition, so `scrapy list` shows them all.

The class only carries the definition's path and name (its file name); the file is read
and validated when the spider is created for a crawl, so one broken definition cannot
stop `scrapy list` or the other sites.
"""

from __future__ import annotations

from crawler.sitedef import bundled_sites
from crawler.spiders.site import SiteSpider

for _name, _path in bundled_sites().items():
    globals()[_name] = type(
        _name, (SiteSpider,), {"name": _name, "definition": _path, "__module__": __name__}
    )
