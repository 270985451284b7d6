"""Scrapy settings for paywatch.

Every platform base URL is a setting so tests, the demo and benchmarks can point the spiders at a
local server on 127.0.0.1; the defaults are the real public endpoints.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    PAYWATCH_VERSION = version("paywatch")
except PackageNotFoundError:  # running from a checkout that was not pip-installed
    PAYWATCH_VERSION = "0+unknown"

BOT_NAME = "paywatch"
SPIDER_MODULES = ["scrapers.spiders"]
SPIDER_LOADER_CLASS = "scrapers.loader.RegistrySpiderLoader"
NEWSPIDER_MODULE = "scrapers.spiders"

USER_AGENT = (
    f"paywatch/{PAYWATCH_VERSION} (+https://github.com/paywatch/paywatch; "
    "archives publicly posted pay ranges; one request at a time per host)"
)

# Politeness: obey robots.txt, one request at a time per host, adaptive throttling, retries with backoff.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Just after RetryMiddleware (550): sees a 429/503 first and slows the host as Retry-After asks.
# The offsite filter also compares ports (scrapers/middlewares.py), in the stock one's place.
DOWNLOADER_MIDDLEWARES = {
    "scrapers.middlewares.RetryAfterMiddleware": 560,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapers.middlewares.HostOffsiteMiddleware": 50,
    # robots.txt read once a host a night, not once a company (in the stock one's place, 100).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scrapers.middlewares.NightRobotsTxtMiddleware": 100,
    # Record mode: next to the downloader, so it keeps the replies as sent (scrapers/web_archive.py).
    "scrapers.web_archive.WebArchiveMiddleware": 950,
}
# Record mode (issue 24): every request and reply of the night as a WARC file under the raw directory,
# <raw>/<night>/web/. Off by default.
PAYWATCH_WEB_ARCHIVE = False
# Details are read incrementally (scrapers/platforms/details.py): a company may send this many detail
# requests a night (None: what its share of PAYWATCH_NIGHT_HOURS on its host allows at what a request
# costs there, assuming PAYWATCH_EXPECTED_LATENCY seconds a reply). Besides the new and list-changed
# postings it re-reads the least recently read known ones: PAYWATCH_DETAIL_REFRESH_AT_LEAST of them, or
# 1/N of the board if more (N = PAYWATCH_DETAIL_REFRESH_DAYS), so a small board is re-read nightly and
# a change only a large board's detail shows is seen within N nights (the version says since when).
PAYWATCH_DETAIL_BUDGET: int | None = None  # the type: what `-s` checks a value against
PAYWATCH_NIGHT_HOURS = 5.0
PAYWATCH_EXPECTED_LATENCY = 1.0
PAYWATCH_DETAIL_REFRESH_DAYS = 7
PAYWATCH_DETAIL_REFRESH_AT_LEAST = 50
# A crawl of one company must end: a ceiling on wall time and pages. Each platform spider sets the
# time from its detail budget (details stop on their own before it; the rest is the listing's
# allowance, 30 min); this value holds for spiders that are not platform spiders.
CLOSESPIDER_TIMEOUT = 6 * 3600
CLOSESPIDER_PAGECOUNT = 20000
# Duplicate requests are judged per company, also when one crawler crawls a host group's companies in turn.
DUPEFILTER_CLASS = "scrapers.middlewares.CompanyDupeFilter"
# Counted per company, also when one crawler crawls a host group's companies in turn.
EXTENSIONS = {
    "scrapy.extensions.closespider.CloseSpider": None,
    "scrapers.middlewares.CompanyCloseSpider": 0,
}

LOG_LEVEL = "INFO"
# Nothing listens that need not: no telnet console, no RemoteControl endpoint (on by default in 2.19).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# Real public endpoints; override these to replay saved responses from 127.0.0.1.
GREENHOUSE_API_URL = "https://boards-api.greenhouse.io"
LEVER_API_URL = "https://api.lever.co"
LEVER_EU_API_URL = "https://api.eu.lever.co"
LEVER_PAGE_SIZE = 100
EIGHTFOLD_BASE_URL = ""  # empty: https://{host} from the registry entry
AMAZON_JOBS_URL = "https://www.amazon.jobs"
ASHBY_API_URL = "https://api.ashbyhq.com"
SMARTRECRUITERS_API_URL = "https://api.smartrecruiters.com"
APPLE_JOBS_URL = "https://jobs.apple.com"
ORACLE_BASE_URL = ""  # empty: https://{host}; else {ORACLE_BASE_URL}/{host}
ORACLE_PAGE_SIZE = 200
GOOGLE_CAREERS_URL = "https://www.google.com"
SUCCESSFACTORS_BASE_URL = ""  # empty: https://{host}; else {SUCCESSFACTORS_BASE_URL}/{host}
SMARTRECRUITERS_PAGE_SIZE = 100
WORKDAY_BASE_URL = ""  # empty: https://{host}; else {WORKDAY_BASE_URL}/{host}
PHENOM_BASE_URL = ""  # empty: the entry's site_url; else {PHENOM_BASE_URL}/{host}
PHENOM_PAGE_SIZE = 50
JSONLD_BASE_URL = None  # None: use the registry URLs as they are

# The companies registry the spider loader reads; None: $PAYWATCH_REGISTRY, else the one shipped with
# paywatch (`paywatch crawl --registry PATH` sets it).
PAYWATCH_REGISTRY = None

# Where the archive writer appends crawls; None disables archiving (e.g. `scrapy crawl x -O out.jsonl`).
PAYWATCH_DB = "paywatch.db"

ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.clean.CleanPipeline": 200,
    "pipelines.pay_range.PayRangePipeline": 300,
    "pipelines.role_type.RoleTypePipeline": 400,
    "pipelines.archive_writer.ArchiveWriterPipeline": 900,
}

# Raw captures (archive/raw.py): each company crawl's extracted postings as gzipped JSON lines in
# <PAYWATCH_RAW_DIR>/<date>/<company>.jsonl.gz, which `paywatch rebuild` replays into a new archive.
# None: beside the archive, <PAYWATCH_DB>.raw.
PAYWATCH_RAW_CAPTURE = True
PAYWATCH_RAW_DIR = None
# A replay of saved responses dated to the night they stand for (the demo's nights): an ISO time that
# the crawl's clock starts from instead of the wall clock's (archive/clock.py); each crawl row keeps
# when it really ran (crawls.replayed_at). None: a crawl of the live sites, at its own time.
PAYWATCH_CRAWL_TIME = None
# A Scrapyd node of a cluster (docs/SCALE.md): write each company crawl's capture to PAYWATCH_RAW_DIR
# and archive nothing; the archive machine ingests the captures (archive.raw.ingest_captures).
PAYWATCH_CAPTURE_ONLY = False
# ... and where the archive machine put each company's detail history for it (archive/handoff.py).
PAYWATCH_DETAIL_HISTORY_DIR = None
# How long `paywatch crawl --nodes` waits for the nodes' jobs, in seconds; None: the night
# (PAYWATCH_NIGHT_HOURS, which every crawl's own limits keep to) and a quarter of an hour more.
PAYWATCH_NODE_WAIT: float | None = None
