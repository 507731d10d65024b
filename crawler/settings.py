"""Scrapy settings of the project. Every value can be overridden with `-s NAME=VALUE`."""

BOT_NAME = "news-archiver"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"
ADDONS: dict[str, int] = {}

# Polite by default. A non-zero DOWNLOAD_DELAY also keeps Scrapy to
# CONCURRENT_REQUESTS_PER_DOMAIN: with a delay of 0 a slot can run more at once.
USER_AGENT = "news-archiver/0.1 (news archive crawler; +https://github.com/news-archiver)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5

# Faults (docs/RELIABILITY.md). A page larger than DOWNLOAD_MAXSIZE, before or after
# decompression, is dropped while it streams in, never held whole; heavy real pages (up
# to 10 MB) pass. A download that takes longer than DOWNLOAD_TIMEOUT (a hung or
# trickling server) is cut off. Error statuses and broken connections are retried
# RETRY_TIMES times: after the server's Retry-After (429, 503; at most RETRY_AFTER_MAX
# seconds), else after RETRY_BACKOFF_BASE seconds doubled on each attempt.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 12 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 120.0
REDIRECT_MAX_TIMES = 10
DOWNLOADER_MIDDLEWARES = {
    # Next to the download handler: sees each attempt before retry, redirect, decompression.
    "crawler.faults.FaultMiddleware": 950,
    # After decompression (590), before the spider.
    "crawler.charset.CharsetMiddleware": 580,
}

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
    # Only with -s JOBDIR=DIR: resume from it only after a clean stop (crawler/jobdir.py).
    "crawler.jobdir.JobDirGuard": 50,
}

# The archive: an SQLite file, written in batches of ARCHIVE_BATCH_SIZE articles, and at
# least every ARCHIVE_FLUSH_SECONDS.
ARCHIVE_PATH = "archive.db"
ARCHIVE_BATCH_SIZE = 100
ARCHIVE_FLUSH_SECONDS = 5.0

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
