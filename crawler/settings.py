"""Scrapy settings of the project. Every value can be overridden with `-s NAME=VALUE`."""

from dataclasses import fields

from archive.ingest import ITEMS_KEY
from crawler.items import Article

BOT_NAME = "news-archiver"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"
ADDONS = {"crawler.distributed.DistributedMode": 0}

# Polite by default; a site definition's [settings] table or `-s` overrides each of these
# (crawler/site_settings.py lists what a site may override).
# Who we are: "{contact_url}" in USER_AGENT is replaced by CONTACT_URL, the page where a
# site's operator learns who runs the crawler and how to reach them. Set it to your own.
CONTACT_URL = "https://github.com/news-archiver/news-archiver"
USER_AGENT = "news-archiver/0.1 (news archive crawler; +{contact_url})"
ROBOTSTXT_OBEY = True
# At most this many requests in flight per host. A non-zero DOWNLOAD_DELAY also keeps
# Scrapy to it: with a delay of 0 a slot can run more at once.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
# AutoThrottle widens the delay when the server slows down (never below DOWNLOAD_DELAY).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Faults (docs/RELIABILITY.md): a page larger than DOWNLOAD_MAXSIZE, before or after
# decompression, is dropped while it streams in, never held whole; heavy real pages (up to
# 10 MB) pass. A download that takes longer than DOWNLOAD_TIMEOUT (a hung or trickling
# server) is cut off.
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 12 * 1024 * 1024
# Retries on 429 and 5xx, and after broken connections, wait before each attempt:
# Retry-After when the server sends one (up to RETRY_AFTER_MAX seconds, else the request
# is given up), otherwise RETRY_BACKOFF_BASE * 2 ** attempt seconds, at most
# RETRY_BACKOFF_MAX.
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0
REDIRECT_MAX_TIMES = 10
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 550,
    # Next to the download handler: sees each attempt before retry, redirect, decompression.
    "crawler.faults.FaultMiddleware": 950,
    # After decompression (590), before the spider.
    "crawler.charset.CharsetMiddleware": 580,
}
# A local cache of every response, for developing a site definition without asking the
# site again: `-s HTTPCACHE_ENABLED=True` (kept under .scrapy/httpcache/<spider>/).
# Never for scheduled crawls: a cached page hides edits.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [429, 500, 502, 503, 504]

# A run's verdict (exit status, last log line, crawl_runs): it fails when more than
# CRAWL_ERROR_THRESHOLD errors were logged, or, with CRAWL_EXPECT_ARTICLES, when the site
# yielded no article at all (neither archived nor found again).
CRAWL_ERROR_THRESHOLD = 10
CRAWL_EXPECT_ARTICLES = True
# One run per site and archive at a time (crawler/run_lock.py). False only for runs that
# are meant to overlap, such as several workers sharing one site's links.
RUN_LOCK_ENABLED = True

# Incremental crawling: archived articles are not fetched again unless published within
# the site's `recheck_days` (then conditionally). False fetches every article found.
INCREMENTAL_CRAWL = True
# Where the spider learns what the archive holds: the archive file (ARCHIVE_PATH) here;
# distributed mode switches it to what the archive writer publishes to Redis.
KNOWN_ARTICLES = "crawler.known_articles.KnownArticles"

# Secure defaults: no control server of any kind is opened by a crawl.
# REMOTE_CONTROL runs Python code posted to it; the telnet console gives a Python shell.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Items (and requests) of one response processed at once. Scrapy starts this many asyncio
# tasks for every response: with its default of 100 that is 0.67 ms of CPU per response,
# 6% of a crawl's (bench/README.md). An article page gives one item and every pipeline
# here is synchronous, so more than one buys nothing.
CONCURRENT_ITEMS = 1
# Python's garbage collector during a crawl (crawler/collector.py): the objects that exist
# when the spider opens (imports, settings) are left out of collections, and the youngest
# generation is collected after this many new objects (Python's default: 700; 0 keeps it).
GC_FREEZE_STARTUP = True
GC_YOUNG_THRESHOLD = 7000
# Scrapy reads a generator callback's source again (inspect, ast) whenever its small cache
# of callbacks misses, to warn about `return value` in it: 0.1 ms a page of a crawl
# (bench/README.md). The spider's callbacks are the project's, tested, and return nothing.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Article pages extracted in this many worker processes (crawler/extraction_processes.py),
# so a crawl can use more than one core; 0 extracts them in the crawl's own process.
EXTRACTION_PROCESSES = 0
# Seconds a worker may spend on one page before it is killed and the page recorded as an
# `extraction_timeout` fault (0: no limit). News pages take milliseconds, heavy ones up to
# seconds (pathological pages longer: docs/RELIABILITY.md); a page that hangs extraction
# (a pathological regex, a runaway loop in a library) would otherwise hang the crawl.
# Extraction in the crawl's own process (EXTRACTION_PROCESSES = 0) cannot be stopped and
# has no limit.
EXTRACTION_TIMEOUT = 60.0
# Bytes of responses waiting for their callbacks before downloads pause (Scrapy's default
# is 5 MB). Callbacks in the crawl's process never queue; pages waiting for extraction
# workers do, and 1 MB kept the crawl's peak RSS 15 MB lower at the same speed with one
# worker on 55 KB pages (bench/README.md). Downloads pause only while more than that
# waits, so with pages of 1 MB or more a worker may wait for its next page.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
ITEM_PIPELINES = {
    "crawler.pipelines.ValidateArticle": 100,
    "crawler.pipelines.NormaliseDates": 200,
    "crawler.pipelines.ArchiveArticles": 900,
}
EXTENSIONS = {
    "crawler.collector.CrawlCollector": 0,
    "crawler.extensions.CrawlRunRecorder": 100,
    # Only with -s JOBDIR=DIR: resume from it only after a clean stop (crawler/jobdir.py).
    "crawler.jobdir.JobDirGuard": 50,
}

# The archive: an SQLite file, written in batches of ARCHIVE_BATCH_SIZE articles, and at
# least every ARCHIVE_FLUSH_SECONDS.
ARCHIVE_PATH = "archive.db"
ARCHIVE_BATCH_SIZE = 100
ARCHIVE_FLUSH_SECONDS = 5.0

FEED_EXPORT_ENCODING = "utf-8"
# Feed exports (`scrapy crawl ... -o items.jsonl`) carry every item field but the raw page:
# its body is bytes, which feeds cannot hold, and the archive keeps it.
FEED_EXPORT_FIELDS = [field.name for field in fields(Article) if field.name != "raw_page"]
LOG_LEVEL = "INFO"

# Distributed mode (crawler/distributed.py): off unless REDIS_URL is set. Workers push
# articles onto REDIS_ITEMS_KEY for `archive ingest`; a worker whose heartbeat is older
# than WORKER_HEARTBEAT_SECONDS counts as dead and its requests go back to the queue.
REDIS_URL = ""
REDIS_ITEMS_KEY = ITEMS_KEY
WORKER_ID = ""
WORKER_HEARTBEAT_SECONDS = 30.0
