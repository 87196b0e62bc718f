"""Scrapy settings for nianbao: polite by default, everything switchable with ``-s``.

Behaviour comes from settings (style.md §4): the incremental mode, OCR, the distributed mode
and the database path are settings, not flags in code.
"""
import eggenv

eggenv.ensure_unpacked()  # Scrapyd runs the project from a zipped egg: read data/ from real files

BOT_NAME = "nianbao"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "commands"

# --- where the archive lives (the spec's NIANBAO_DB)
NIANBAO_DB = "data/nianbao.db"

# --- politeness
USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao/nianbao; annual-report archiver; contact via issues)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5          # ±50 % around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's DEPTH_LIMIT counts every link hop, so a plain "下一页" chain of 40 list pages would hit
# it; the spider bounds structure instead: NIANBAO_MAX_HOPS column/article hops from a start page
# (pagination excluded), NIANBAO_MAX_LIST_PAGES pages per list chain, and a page budget per host.
DEPTH_LIMIT = 0
NIANBAO_MAX_HOPS = 6
NIANBAO_MAX_LIST_PAGES = 500
NIANBAO_SITE_PAGE_BUDGET = 5000
# titles that are clear decoys (网站年度报表, meeting news, pre-2019 reports) are not fetched
NIANBAO_FETCH_DECOYS = False
REDIRECT_MAX_TIMES = 10
# retries back off per host and honour Retry-After (middlewares/politeness.py)
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "middlewares.politeness.PoliteRetryMiddleware": 550,
    # conditional requests from the archive; sits under DownloaderStats (850) so the stats count
    # the 304 that came over the wire, above HttpCompression (590) which must not see replays
    "middlewares.incremental.IncrementalDownloaderMiddleware": 800,
    # hostile servers (issue 7): challenge pages → host blocked and recorded; lying charsets
    # decoded right (bytes untouched); calendar traps budgeted. Below HttpCompression (590).
    "middlewares.hostile.HostileServerMiddleware": 585,
    "middlewares.charset.CharsetRepairMiddleware": 586,
    "middlewares.urlspace.CalendarTrapMiddleware": 560,
    # no private/loopback/link-local addresses unless configured (issue 11; middlewares/address_guard.py)
    "middlewares.address_guard.AddressGuardMiddleware": 40,
}
NIANBAO_ALLOW_PRIVATE = False
NIANBAO_ALLOWED_ADDRESSES = ["127.0.0.0/8"]   # loopback: the demo portal, the tests' local servers (127.0.0.x); set empty in production
NIANBAO_CALENDAR_BUDGET = 60          # distinct query dates per calendar (host + path + params)
NIANBAO_CALENDAR_MIN_YEAR = 1990
NIANBAO_CALENDAR_FUTURE_DAYS = 366
NIANBAO_RETRY_BACKOFF_BASE = 2.0     # seconds; doubled per attempt, with jitter
NIANBAO_RETRY_BACKOFF_MAX = 120.0
NIANBAO_RETRY_AFTER_MAX = 600.0      # a longer Retry-After is recorded as the answer, not waited for
# name → address map for sites without DNS (the demo portal's *.demo.test hosts); see middlewares/resolve.py
TWISTED_DNS_RESOLVER = "middlewares.address_guard.GuardedResolver"  # StaticResolver + private-address guard
NIANBAO_RESOLVE = {}
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# --- the archive → extract → store path
ITEM_PIPELINES = {
    "pipelines.archive.ArchivePipeline": 100,
    "pipelines.extract.ExtractPipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

# --- extraction
NIANBAO_OCR = False
NIANBAO_EXTRACT_TIMEOUT = 60

# --- the archive (archive/, pipelines/, middlewares/incremental.py, extensions/crawl_history.py)
NIANBAO_DB_TIMEOUT = 60              # seconds a writer waits for another process's transaction
NIANBAO_ZSTD_LEVEL = 9               # snapshot compression (raw kept when it saves < 5 %)
NIANBAO_INCREMENTAL = True           # If-None-Match/If-Modified-Since from the last capture; 304 → replay
NIANBAO_SKIP_KNOWN_ATTACHMENTS = True  # attachments without validators are not downloaded twice
NIANBAO_CRAWL_HISTORY = True         # one `crawls` row per run; every capture names its crawl
NIANBAO_MARK_GONE = True             # a finished run marks reports its portals no longer list as gone
# resumable named crawls: `-a job=NAME` keeps a crash-safe frontier in NIANBAO_JOBS_DIR/NAME
# (or `-s JOBDIR=DIR`); without a job the stock in-memory scheduler runs (archive/scheduler.py)
SCHEDULER = "archive.scheduler.ResumableScheduler"
NIANBAO_JOBS_DIR = "data/jobs"
SPIDER_MIDDLEWARES = {
    "middlewares.incremental.IncrementalSpiderMiddleware": 950,
    "archive.scheduler.FrontierSpiderMiddleware": 5,
}
EXTENSIONS = {
    "extensions.crawl_history.CrawlHistory": 0,
    "extensions.progress.CrawlProgress": 500,   # pages, reports found, rate, ETA in the log
    "extensions.bodies.BodiesRefresh": 600,      # regroup reports into bodies, cross-check years
}
NIANBAO_BODIES_ON_CLOSE = True               # run `scrapy agencies` at the end of each crawl
NIANBAO_BODIES_TIMEOUT = 600                 # seconds for that run (a child process)
NIANBAO_PROGRESS_INTERVAL = 30               # seconds between progress lines (0 = off)

# --- distributed mode (distributed/addon.py, docs/distributed.md): inert unless NIANBAO_DISTRIBUTED=1
# or REDIS_URL is set; then workers share a scrapy-redis queue and `scrapy archive-writer` stores
ADDONS = {"distributed.addon.DistributedAddon": 0}
