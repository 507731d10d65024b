"""Scrapy settings of the project. Every value can be overridden with `-s NAME=VALUE`."""

from archive.ingest import ITEMS_KEY

BOT_NAME = "news-archiver"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"
ADDONS = {"crawler.distributed.DistributedMode": 0}

# Polite by default. A non-zero DOWNLOAD_DELAY also keeps Scrapy to
# CONCURRENT_REQUESTS_PER_DOMAIN: with a delay of 0 a slot can run more at once.
USER_AGENT = "news-archiver/0.1 (news archive crawler; +https://github.com/news-archiver)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# Secure defaults: no control server of any kind is opened by a crawl.
# REMOTE_CONTROL runs Python code posted to it; the telnet console gives a Python shell.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

ITEM_PIPELINES = {
    "crawler.pipelines.ValidateArticle": 100,
    "crawler.pipelines.NormaliseDates": 200,
    "crawler.pipelines.DeduplicateArticles": 300,
    "crawler.pipelines.ArchiveArticles": 900,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 100,
}

# The archive: an SQLite file, written in batches of ARCHIVE_BATCH_SIZE articles, and at
# least every ARCHIVE_FLUSH_SECONDS.
ARCHIVE_PATH = "archive.db"
ARCHIVE_BATCH_SIZE = 100
ARCHIVE_FLUSH_SECONDS = 5.0

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Distributed mode (crawler/distributed.py): off unless REDIS_URL is set. Workers push
# articles onto REDIS_ITEMS_KEY for `archive ingest`; a worker whose heartbeat is older
# than WORKER_HEARTBEAT_SECONDS counts as dead and its requests go back to the queue.
REDIS_URL = ""
REDIS_ITEMS_KEY = ITEMS_KEY
WORKER_ID = ""
WORKER_HEARTBEAT_SECONDS = 30.0
