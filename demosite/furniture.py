"""The weight of a real news page around its article: menus, sidebars, ads, scripts.

A real article page weighs 30-80 KB of which the article is a few: the rest is a mega
menu, inline configuration and tracking scripts, style sheets, "most read" and tag
widgets, ad slots and a long footer. `dress` adds that to a generated page, so that a
crawl benchmark parses what a crawler of real sites parses. The scripts are drawn from a
small pool shared by every page, as a site ships the same bundles everywhere; the size of
each page is drawn from its own seeded `Random`, so the same page always has the same bytes.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from random import Random

#: The size of a dressed article page, in bytes.
PAGE_BYTES = (30_000, 80_000)
_WORDS = [
    "ads",
    "slot",
    "banner",
    "track",
    "viewport",
    "consent",
    "lazy",
    "render",
    "widget",
    "promo",
    "feed",
    "video",
    "player",
    "analytics",
    "session",
    "metric",
    "sticky",
    "header",
    "social",
    "share",
    "newsletter",
    "subscribe",
    "paywall",
    "region",
    "locale",
    "theme",
    "dark",
    "light",
    "mobile",
    "desktop",
    "tablet",
    "breakpoint",
    "carousel",
]
_MENU = {
    "Politics": ["Parliament", "Government", "Elections", "Diplomacy", "Regions", "Opinion"],
    "Economy": ["Markets", "Energy", "Banking", "Agriculture", "Trade", "Technology"],
    "Society": ["Health", "Education", "Culture", "Sport", "Transport", "Environment"],
    "World": ["Europe", "Asia", "Middle East", "Americas", "Africa", "Analysis"],
    "Multimedia": ["Photo", "Video", "Infographics", "Podcasts", "Live", "Archive"],
}


def dress(page: str, rng: Random) -> str:
    """The page with a site's furniture: scripts and styles in the head, a mega menu after
    the header, widgets after the main content, a long footer; PAGE_BYTES in all."""
    target = rng.randint(*PAGE_BYTES)
    page = page.replace("</head>", _style() + _head_scripts(rng) + "</head>", 1)
    page = page.replace("</header>", "</header>\n" + _mega_menu(), 1)
    page = page.replace("</main>", _widgets(rng) + "</main>", 1)
    page = page.replace("</body>", _footer() + "</body>", 1)
    missing = target - len(page.encode("utf-8"))
    bundles = []
    pool = _script_pool()
    while missing > 0:
        bundle = pool[rng.randrange(len(pool))][:missing]
        bundles.append(f"<script>{bundle}</script>\n")
        missing -= len(bundle) + len("<script></script>\n")
    return page.replace("</body>", "".join(bundles) + "</body>", 1)


@cache
def _script_pool() -> tuple[str, ...]:
    """Forty minified-looking bundles of 4-12 KB, the same for every page."""
    rng = Random(4242)
    return tuple(_bundle(rng, rng.randint(4_000, 12_000)) for _ in range(40))


def _bundle(rng: Random, size: int) -> str:
    parts = []
    length = 0
    while length < size:
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 3)))
        word = rng.choice(_WORDS)
        part = (
            f"function {name}(e,t){{var n=e.{word}||{rng.randint(0, 999)};"
            f'return t.push({{k:"{word}",v:n*{rng.randint(2, 64)}}}),n}}'
        )
        parts.append(part)
        length += len(part)
    return "!function(){" + ";".join(parts) + "}();"


def _head_scripts(rng: Random) -> str:
    config = {
        "site": "azeri-daily",
        "adSlots": [
            {"id": f"slot-{i}", "sizes": [[300, 250], [728, 90]], "lazy": i > 2}
            for i in range(rng.randint(6, 14))
        ],
        "experiments": {word: rng.random() < 0.5 for word in _WORDS},
    }
    return (
        f"<script>window.__SITE_CONFIG__ = {json.dumps(config)};</script>\n"
        '<script async src="https://ads.example/loader.js"></script>\n'
        '<script async src="https://analytics.example/tag.js?id=AD-1"></script>\n'
    )


@cache
def _style() -> str:
    rules = "".join(
        f".w-{word}{{display:block;margin:{i}px 0;padding:0 {i % 7}px;color:#{i:03x}}}"
        for i, word in enumerate(_WORDS * 6)
    )
    return f"<style>{rules}</style>\n"


@cache
def _mega_menu() -> str:
    columns = "".join(
        f'<li class="menu-column"><a href="/{escape(top.lower())}/">{escape(top)}</a><ul>'
        + "".join(
            f'<li><a href="/{top.lower()}/{sub.lower().replace(" ", "-")}/">{escape(sub)}</a></li>'
            for sub in subs
        )
        + "</ul></li>"
        for top, subs in _MENU.items()
    )
    return f'<nav class="mega-menu" aria-label="All sections"><ul>{columns}</ul></nav>\n'


def _widgets(rng: Random) -> str:
    tags = " ".join(
        f'<a class="tag-cloud" href="/tag/{word}">{word.capitalize()}</a>'
        for word in rng.sample(_WORDS, 20)
    )
    ads = "".join(
        f'<div class="ad-slot" id="slot-{i}" data-sizes="300x250"></div>' for i in range(4)
    )
    return (
        f'<aside class="widgets"><section class="popular-tags"><h3>Popular</h3>{tags}</section>'
        f'{ads}<section class="newsletter"><h3>Newsletter</h3><form action="/subscribe">'
        '<input type="email" name="email" placeholder="Your e-mail"><button>Subscribe</button>'
        "</form></section></aside>\n"
    )


@cache
def _footer() -> str:
    links = " ".join(
        f'<a href="/{top.lower()}/{sub.lower().replace(" ", "-")}/">{escape(sub)}</a>'
        for top, subs in _MENU.items()
        for sub in subs
    )
    return (
        f'<footer class="site-map"><nav aria-label="Site map">{links}</nav>'
        '<p class="legal">Reproduction only with a link to the source. '
        '<a href="/privacy">Privacy</a> <a href="/terms">Terms</a> '
        '<a href="/advertising">Advertising</a></p></footer>\n'
    )
