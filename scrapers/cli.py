"""The `paywatch` command: it parses the command line and prints; the work is done elsewhere.

crawl → scrapers.crawl, report → archive.report, diff → archive.diff, history → archive.history,
serve → archive.datasette,
demo → scrapers.demo, companies → the registry, discover → scrapers.discover. Every command takes --db PATH (default paywatch.db;
the demo's is paywatch-demo.db).

Exit codes: 0 all went well; 1 a crawl that failed or is suspect for some company (named); 2 bad
input or registry, one line on stderr; 3 an archive that is unusable (not a paywatch archive, cannot
be opened or migrated) or locked by another crawl, one line on stderr; 4 `discover` found no board (or
could not read the page). A crawl exits 2 or 3 before
it sends any request.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import sys
from contextlib import ExitStack, closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit

import click
from tabulate import tabulate

from archive.access import ArchiveUnusable
from archive.lock import ArchiveBusy, crawl_lock
from scrapers.registry import SECTORS, RegistryError, read_registry
from scrapers.settings import PAYWATCH_VERSION

DEFAULT_DB = "paywatch.db"
DEMO_DB = "paywatch-demo.db"
CRAWL_FAILED = 1  # some company's crawl failed or is suspect; `companies --check` found a bad entry
BAD_INPUT = 2
ARCHIVE_UNUSABLE = 3  # not a paywatch archive, cannot be opened or migrated, or another crawl holds it
NOTHING_FOUND = 4  # `discover` found no board on the page, or could not read the page


def db_option(default: str = DEFAULT_DB):
    return click.option("--db", default=default, show_default=True, metavar="PATH", help="archive file")


registry_option = click.option("--registry", metavar="PATH",
                               help="companies registry file (default: $PAYWATCH_REGISTRY, else the one shipped)")


def existing_archive(db: str) -> None:
    try:
        Path(db).stat()
    except FileNotFoundError:
        raise click.ClickException(f"no archive at {db}") from None
    except OSError as error:  # a directory on the way that this user may not enter, say
        raise ArchiveUnusable(f"cannot read {db}: {error.strerror or error}") from None


def parse_settings(_ctx: Any, _param: Any, values: Sequence[str]) -> dict[str, str]:
    """-s KEY=VALUE as a dict, every key one that Scrapy or paywatch reads and every value one its
    setting takes, checked before anything is opened or sent."""
    settings = {}
    for value in values:
        key, separator, setting = value.partition("=")
        if not separator or not key.strip():
            raise click.BadParameter(f"expects KEY=VALUE, got {value!r}")
        settings[key.strip()] = setting
    if settings:
        from scrapers.crawl import setting_problem

        for key, setting in settings.items():
            problem = setting_problem(key, setting)
            if problem:
                raise click.BadParameter(problem)
    return settings


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(PAYWATCH_VERSION, prog_name="paywatch")
def cli() -> None:
    """Track the pay ranges studios and tech companies publish, posting by posting, night after night."""


def report_path_option(_ctx: Any, _param: Any, value: str | None) -> Path | None:
    """The report's path, checked before the crawl so a typo never costs a night's report."""
    if value is None:
        return None
    path = Path(value)
    if path.is_dir() or not path.absolute().parent.is_dir():
        raise click.BadParameter(f"{value} is a directory or in a directory that does not exist")
    return path


def on_failure_command(_ctx: Any, _param: Any, value: str | None) -> list[str] | None:
    """COMMAND split as a shell would (no shell runs it); its program must exist now, not at 3 a.m."""
    if value is None:
        return None
    try:
        argv = shlex.split(value)
    except ValueError as error:
        raise click.BadParameter(f"cannot split {value!r}: {error}") from None
    if not argv or shutil.which(argv[0]) is None:
        raise click.BadParameter(f"no program {argv[0] if argv else value!r} to run")
    return argv


def node_urls(_ctx: Any, _param: Any, value: str | None) -> list[str] | None:
    """--nodes as a list of Scrapyd URLs (http://host:port), checked before anything is sent."""
    if value is None:
        return None
    urls = []
    for url in (part.strip() for part in value.split(",")):
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
            raise click.BadParameter(f"{url!r} is not a Scrapyd node URL (like http://10.0.0.2:6800)")
        urls.append(url.rstrip("/"))
    if importlib.util.find_spec("scrapyd_client") is None:  # the nodes are driven through it
        raise click.BadParameter("needs scrapyd-client: pip install -e '.[scale]'")
    return list(dict.fromkeys(urls))


# Settings that say where this machine's archive and logs are: a node has its own, set by the cluster.
ARCHIVE_MACHINE_SETTINGS = frozenset({"PAYWATCH_DB", "PAYWATCH_RAW_DIR", "PAYWATCH_RAW_CAPTURE", "PAYWATCH_REGISTRY",
                                      "PAYWATCH_CAPTURE_ONLY", "PAYWATCH_DETAIL_HISTORY_DIR", "LOG_FILE"})


def cluster_night(db: str, registry: str | None, selected: list[Any], nodes: list[str], shared_dir: str | None,
                  overrides: dict[str, str], log_level: str | None, scrapy_settings: Any, progress: Any) -> list[Any]:
    """`crawl --nodes`: the night on the Scrapyd nodes, their captures ingested here (scrapers.cluster)."""
    from archive.raw import raw_dir_for
    from scrapers.cluster import run_cluster_crawl

    job_settings = [f"{key}={value}" for key, value in overrides.items() if key not in ARCHIVE_MACHINE_SETTINGS]
    if log_level:
        job_settings.append(f"LOG_LEVEL={log_level.upper()}")
    wait = scrapy_settings.getfloat("PAYWATCH_NODE_WAIT") or scrapy_settings.getfloat("PAYWATCH_NIGHT_HOURS") * 3600 + 900
    keep_dir = None
    if scrapy_settings.getbool("PAYWATCH_RAW_CAPTURE"):
        keep_dir = raw_dir_for(db, scrapy_settings.get("PAYWATCH_RAW_DIR"))
    return run_cluster_crawl(db, selected, nodes, shared_dir or f"{db}.cluster", job_settings, timeout=wait,
                             registry=registry, keep_dir=keep_dir, code_version=scrapy_settings.get("PAYWATCH_VERSION"),
                             progress=progress)


@cli.command()
@db_option()
@registry_option
@click.option("--platform", multiple=True, help="only this platform (repeatable)")
@click.option("--company", multiple=True, metavar="SLUG", help="only this company (repeatable)")
@click.option("--sector", multiple=True, type=click.Choice(SECTORS), help="only this sector (repeatable)")
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE", callback=parse_settings,
              help="a Scrapy setting, e.g. a platform's base URL (repeatable)")
@click.option("--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False),
              help="Scrapy log level (default: WARNING on the terminal, so progress and problems show; "
                   "INFO in --log-dir's log)")
@click.option("--log-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="write Scrapy's log, the progress and the report table to DIR/crawl-YYYY-MM-DD.log (one file "
                   "a night); only problems are printed, so a good night is silent (cron mails only problems)")
@click.option("--log-keep", type=click.IntRange(min=1), default=30, show_default=True, metavar="N",
              help="with --log-dir: keep the newest N nightly logs, delete older crawl-*.log there")
@click.option("--report", "report_file", metavar="FILE", callback=report_path_option,
              help="write the night's report (JSON) to FILE")
@click.option("--on-failure", metavar="COMMAND", callback=on_failure_command,
              help="when a company failed or is suspect, run COMMAND with the report's path as its last argument "
                   "(default report path: <db>.reports/<start time>.json)")
@click.option("--nodes", metavar="URL[,URL...]", callback=node_urls,
              help="crawl on these Scrapyd nodes (paywatch deployed on each, docs/SCALE.md) and ingest what they "
                   "capture into the archive here")
@click.option("--shared-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="with --nodes: a directory every node sees at the same path, for what they read and capture "
                   "(default: <db>.cluster, for nodes on this machine)")
def crawl(db: str, registry: str | None, platform: tuple[str, ...], company: tuple[str, ...],
          sector: tuple[str, ...], settings: dict[str, str], log_level: str | None, log_dir: str | None,
          log_keep: int, report_file: Path | None, on_failure: list[str] | None, nodes: list[str] | None,
          shared_dir: str | None) -> int:
    """Crawl companies and append what they publish to the archive; print the night's report.

    Exit codes: 0 every company's crawl complete; 1 some company's crawl failed (it closes nothing) or
    is suspect (its closures or openings held until a next crawl confirms them), naming them; 2 bad
    usage or registry; 3 the archive is unusable or another crawl is writing it. 2 and 3 come before
    any request is sent.

    Example: paywatch crawl --sector studio --db paywatch.db --report night.json
    """
    from archive.access import prepare_archive, refuse_unusable
    from archive.clock import parse_crawl_time
    from archive.report import night_report, render_table, write_report
    from archive.schema import open_archive
    from scrapers import crawl as night  # Scrapy is imported only by the command that crawls

    try:
        selected = night.select_companies(registry, platform, company, sector)
    except night.UnknownCompanies as error:
        raise click.ClickException(str(error)) from None
    if not selected:
        raise click.ClickException("no company matches that selection")
    scrapy_settings = night.project_settings(db, registry, settings, log_level, terminal=log_dir is None)
    try:
        parse_crawl_time(scrapy_settings.get("PAYWATCH_CRAWL_TIME"))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    started = datetime.now(timezone.utc).replace(microsecond=0)

    log_file: Path | None = None

    def say(line: str) -> None:
        """What a good night prints: to the night's log with --log-dir (cron mails only problems), else stderr."""
        if log_file is None:
            click.echo(line, err=True)
        else:
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(line + "\n")

    def progress(done: int, total: int, slug: str, status: str, why: str | None) -> None:
        say(night.progress_line(done, total, slug, status, why))

    plural = "y" if len(selected) == 1 else "ies"
    refuse_unusable(db)  # before the lock: a refused file gets no <db>.lock beside it
    with ExitStack() as held_lock:
        try:
            held_lock.enter_context(crawl_lock(db))
        except OSError as error:  # ArchiveBusy is not one: main() tells it apart
            raise ArchiveUnusable(f"cannot lock {db}: {error.strerror or error}") from None
        prepare_archive(db)
        if log_dir is not None:
            try:
                log_file = night.night_log(Path(log_dir), started.astimezone().date(), log_keep)
            except OSError as error:
                raise click.ClickException(f"cannot write logs in {log_dir}: {error.strerror or error}") from None
            scrapy_settings.set("LOG_FILE", str(log_file), priority="cmdline")
        if nodes:
            say(f"paywatch: crawling {len(selected)} compan{plural} on {len(nodes)} Scrapyd "
                f"node{'' if len(nodes) == 1 else 's'} into {db}")
            results = cluster_night(db, registry, selected, nodes, shared_dir, settings, log_level, scrapy_settings,
                                    progress)
        else:
            say(f"paywatch: crawling {len(selected)} compan{plural} into {db}")
            results = night.run_crawl(scrapy_settings, selected, progress)
        archive = open_archive(db)
        try:
            tonight = {"archive": db, **night_report(archive, results)}
        finally:
            archive.close()
    if log_file is None:
        click.echo(render_table(tonight))
    else:
        say(render_table(tonight))
    held = [entry["company"] for entry in tonight["companies"] if entry["status"] == "suspect"]
    if held:
        click.echo(f"paywatch: closures or openings held until a next crawl confirms them for: {', '.join(held)}",
                   err=True)
    failed = [entry["company"] for entry in tonight["companies"] if entry["status"] == "failed"]
    if failed:
        click.echo(f"paywatch: crawl failed for: {', '.join(failed)}", err=True)
    code = 0 if tonight["ok"] else CRAWL_FAILED
    if report_file is None and on_failure and code:
        report_file = Path(f"{db}.reports") / f"{started.strftime('%Y-%m-%dT%H%M%SZ')}.json"
    if report_file is not None:
        try:
            write_report(tonight, report_file)
        except OSError as error:
            click.echo(f"paywatch: could not write the report to {report_file}: {error.strerror or error}", err=True)
            return CRAWL_FAILED
        say(f"paywatch: report written to {report_file}")
    if on_failure and code:
        problem = night.run_on_failure(on_failure, report_file)
        if problem:
            click.echo(f"paywatch: --on-failure {shlex.join(on_failure)}: {problem}", err=True)
    return code


FORMATS = ("table", "csv", "json")


def format_option():
    return click.option("--format", "output_format", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="table for reading; csv and json carry numbers in their own fields")


def read_archive(db: str):
    """``with read_archive(db) as archive:`` the archive at ``db`` opened read-only, closed after: a
    read command never migrates or writes the file, and refuses (exit 3) a file that is not a paywatch
    archive."""
    from archive.access import open_read_only

    existing_archive(db)
    return closing(open_read_only(db))


class When(click.ParamType):
    """A date or time as a person writes it, as the archive's UTC ISO text (``2026-11-01T03:00:00+00:00``).

    ISO dates and times are read strictly (``2026-13-45`` is an error, not a guess); one without an
    offset is UTC, the archive's time. Anything else goes to dateparser ("yesterday", "7 days ago",
    "1 November 2026 3am"), relative to now."""

    name = "DATE"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        from archive.diff import utc_iso

        text = str(value).strip()
        moment = None
        if re.match(r"\d{4}-", text):
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                pass
        elif re.search(r"[a-z]", text, re.I):  # a bare number ("3") is no date, whatever dateparser makes of it
            import dateparser

            moment = dateparser.parse(text, languages=["en"], settings={
                "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True, "PREFER_DATES_FROM": "past"})
        if moment is None:
            self.fail(f"cannot read {value!r} as a date or time (e.g. 2026-11-01, 2026-11-01T03:00:00+02:00, "
                      "yesterday, '7 days ago')", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return utc_iso(moment)


def flat_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for CSV: lists joined by "; ", nested values as JSON."""
    def flat(value: Any) -> Any:
        if isinstance(value, list) and all(not isinstance(item, (dict, list)) for item in value):
            return "; ".join(str(item) for item in value)
        return json.dumps(value) if isinstance(value, (dict, list)) else value
    return [{key: flat(value) for key, value in row.items()} for row in rows]


@cli.command()
@db_option()
@format_option()
def report(db: str, output_format: str) -> int:
    """Print the report of the archive's last night (read-only: the archive is not modified).

    The last night is the latest crawl of each company among those started within 24 hours of the
    newest crawl in the archive; each is compared with its company's recent nights. CSV has one row
    a company.

    Example: paywatch report --db paywatch.db --format json
    """
    from archive.diff import write_csv
    from archive.report import last_night, night_report, render_table

    with read_archive(db) as archive:
        night_of = {"archive": db, **night_report(archive, last_night(archive))}
    if output_format == "csv":
        rows = flat_rows(night_of["companies"])
        click.echo(write_csv(list(rows[0]) if rows else ["company"], rows), nl=False)
    else:
        click.echo(json.dumps(night_of, indent=2) if output_format == "json" else render_table(night_of))
    return 0


@cli.command()
@db_option()
@registry_option
@click.option("--since", required=True, type=When(), help="from this date or time on (ISO with or without an "
              "offset, or words: yesterday, '7 days ago'); a time without an offset is UTC")
@click.option("--until", type=When(), help="before this date or time (same forms as --since)")
@click.option("--company", multiple=True, metavar="SLUG", help="only this company (repeatable)")
@click.option("--sector", multiple=True, type=click.Choice(SECTORS),
              help="only companies of this sector (repeatable; from the archive's companies table, else the registry)")
@click.option("--role-type", "role_types", multiple=True, metavar="TYPE",
              help="only postings of this role type, e.g. engineering, research, product (repeatable)")
@click.option("--min-change", type=click.FloatRange(min=0), metavar="PCT",
              help="only pay changes where a range's min or max moved by at least PCT percent (no openings "
                   "or closings; a range added or removed has no percent and is left out)")
@click.option("--pay-only", is_flag=True, help="only pay-range changes, no openings or closings")
@format_option()
def diff(db: str, registry: str | None, since: str, until: str | None, company: tuple[str, ...],
         sector: tuple[str, ...], role_types: tuple[str, ...], min_change: float | None, pay_only: bool,
         output_format: str) -> int:
    """Show pay-range changes and openings/closings seen between two times (read-only).

    A pay change is dated by the crawl that saw it; its changed_after (JSON, CSV) is when the posting's
    detail was read before, so the change happened in between.

    Example: paywatch diff --since "7 days ago" --sector tech --min-change 5 --format csv
    """
    from archive.diff import BadSelection, changes_since, check_selection, company_sectors, render

    if until is not None and until <= since:
        raise click.BadParameter(f"{until} is not after --since {since}", param_hint="'--until'")
    with read_archive(db) as archive:
        # The archive's own companies table (when it has one) wins; the registry fills in what it lacks.
        in_archive = company_sectors(archive) or {}
        try:
            sector_of = {**{entry.slug: entry.sector for entry in read_registry(registry)}, **in_archive}
        except RegistryError:
            if sector and not in_archive:
                raise
            sector_of = in_archive  # without --sector, sectors are only shown: the changes do not need them
        selected = list(company)
        try:
            check_selection(archive, company, role_types)
            if sector:
                in_sector = sorted(slug for slug, of in sector_of.items() if of in sector)
                selected = [slug for slug in (company or in_sector) if slug in in_sector]
                known = {row[0] for row in archive.execute("SELECT DISTINCT company FROM crawls").fetchall()}
                if not set(selected) & known:
                    raise BadSelection(f"no company of sector {', '.join(sector)} in the archive"
                                       + (f" among {', '.join(company)}" if company else ""))
        except BadSelection as error:
            raise click.ClickException(str(error)) from None
        changes = changes_since(archive, since, until, companies=selected, role_types=role_types,
                                min_change=min_change, pay_only=pay_only, sector_of=sector_of)
    click.echo(render(changes, output_format), nl=output_format != "csv")
    return 0


@cli.command()
@db_option()
@click.argument("company")
@click.argument("ref")
@format_option()
def history(db: str, company: str, ref: str, output_format: str) -> int:
    """Print one posting's history: each version (when observed, what changed, its ranges) and its
    openings and closings (read-only).

    A version with "changed after" was first read at its time but can have changed any time since
    the detail read it names.

    Example: paywatch history netflix 790313385518 --db paywatch.db
    """
    from archive.history import NoSuchPosting, posting_history, render

    with read_archive(db) as archive:
        try:
            postings = posting_history(archive, company, ref)
        except NoSuchPosting as error:
            raise click.ClickException(f"{error} {db}") from None
    click.echo(render(postings, output_format), nl=output_format != "csv")
    return 0


@cli.command()
@db_option()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--immutable", is_flag=True,
              help="serve a copy nobody writes (e.g. on a read-only share): no locks, no files beside it")
def serve(db: str, port: int, immutable: bool) -> int:
    """Serve the archive read-only with Datasette on 127.0.0.1 (the file is never migrated or written).

    Exit codes: 0 stopped by Ctrl-C or SIGTERM (Datasette stops with it); 1 Datasette stopped by itself
    with an error; 2 the port is in use (naming a free one) or cannot be listened on; 3 not a paywatch
    archive. 2 and 3 come before anything is served.

    Example: paywatch serve --db paywatch.db --port 8001
    """
    from archive import datasette

    existing_archive(db)
    try:
        return datasette.serve(db, port, immutable=immutable, started=lambda: click.echo(
            f"paywatch: serving {db} read-only{' (immutable)' if immutable else ''} at http://{datasette.HOST}:{port}/",
            err=True))
    except datasette.PortUnavailable as error:
        raise click.ClickException(str(error)) from None
    except datasette.DatasetteFailed as error:
        click.echo(f"paywatch: {error}", err=True)
        return CRAWL_FAILED


@cli.command()
@db_option()
@registry_option
@click.option("--sector", multiple=True, type=click.Choice(SECTORS), help="only this sector (repeatable)")
@click.option("--check", is_flag=True,
              help="check every entry offline (identifiers well-formed for its platform, sector known, a source "
                   "comment above it, no slug or board twice); exit 1 naming each bad entry")
@format_option()
def companies(db: str, registry: str | None, sector: tuple[str, ...], check: bool, output_format: str) -> int:
    """List the companies in the registry, or check it.

    Example: paywatch companies --sector games --format json

    Example: paywatch companies --check
    """
    from archive.diff import write_csv
    from scrapers.platforms import check_entries, load_registry

    if check:
        problems = check_entries(registry)
        for problem in problems:
            click.echo(f"paywatch: {problem}", err=True)
        if problems:
            click.echo(f"paywatch: {len(problems)} problem(s) in the registry", err=True)
            return CRAWL_FAILED
        click.echo(f"registry OK: {len(read_registry(registry))} companies")
        return 0
    rows = [{"slug": e.slug, "name": e.name, "sector": e.sector, "platform": e.platform}
            for e in load_registry(registry) if not sector or e.sector in sector]
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
    elif output_format == "csv":
        click.echo(write_csv(["slug", "name", "sector", "platform"], rows), nl=False)
    else:
        click.echo(tabulate(rows, headers="keys", tablefmt="simple", disable_numparse=True))
    return 0


@cli.command()
@click.argument("source", metavar="URL-or-FILE")
@click.option("--url", "page_url", metavar="URL",
              help="for a saved FILE: the address it was saved from (else its canonical link, if it has one)")
@click.option("--name", help="the company's name for the entry (default: the page's site name or title)")
@click.option("--slug", help="the entry's slug (default: from the name)")
@click.option("--sector", type=click.Choice(SECTORS), help="the entry's sector (else left for you to fill in)")
@registry_option
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE", callback=parse_settings,
              help="a Scrapy setting for the fetch (repeatable)")
def discover(source: str, page_url: str | None, name: str | None, slug: str | None, sector: str | None,
             registry: str | None, settings: dict[str, str]) -> int:
    """Find which careers platform a page embeds or links to, and print a registry entry for it.

    URL-or-FILE is a careers page: fetched once (robots.txt obeyed, the crawl's User-Agent), or a
    saved HTML file. Exit codes: 0 a board was found (its entry printed); 4 none was found, or the
    page could not be read; 2 bad usage.

    Example: paywatch discover https://a24films.com/jobs --sector studio
    """
    from scrapers import discover as finder

    if page_url is not None and not re.match(r"https?://[^\s/]+", page_url):
        raise click.ClickException(f"--url must be an http(s) URL, got {page_url!r}")
    if slug is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", slug):
        raise click.ClickException(f"--slug must be lower snake case, got {slug!r}")
    try:
        page = finder.read_page(source, page_url, settings)
    except finder.PageUnavailable as error:
        click.echo(f"paywatch: {error}", err=True)
        return NOTHING_FOUND
    boards = finder.discovered_boards(page, registry)
    where = page.url or source
    if not boards:
        click.echo(f"paywatch: no careers platform found on {where} (looked for {finder.LOOKED_FOR})", err=True)
        return NOTHING_FOUND
    chosen = next((board for board in boards if not board.problem), None)
    if chosen is None:
        click.echo(f"paywatch: found only boards paywatch cannot use on {where}:", err=True)
        for board in boards:
            click.echo(f"paywatch:   {finder.describe(board)}", err=True)
        return NOTHING_FOUND
    if chosen.registered_as:
        click.echo(f"# already in the registry as {chosen.registered_as}: {finder.describe(chosen, registry=False)}")
    else:
        click.echo(finder.registry_entry(chosen, page, name=name, slug=slug, sector=sector), nl=False)
    for board in boards:
        if board is not chosen:
            click.echo(f"# also found: {finder.describe(board)}")
    return 0


@cli.command()
@db_option(DEMO_DB)
@click.option("--keep", is_flag=True, help="append to an existing demo archive instead of starting fresh")
@click.option("--nodes", type=click.IntRange(1, 8), metavar="N",
              help="crawl on N Scrapyd nodes started on 127.0.0.1 for the demo (needs pip install -e '.[scale]')")
def demo(db: str, keep: bool, nodes: int | None) -> int:
    """Replay two saved nights from 127.0.0.1 into a fresh archive; print summary and diff.

    With --nodes N the nights are crawled on N local Scrapyd nodes, as `crawl --nodes` crawls on a
    cluster, and the archive is the same as without.

    Example: paywatch demo, or paywatch demo --nodes 2
    """
    from scrapers.cluster import ClusterError
    from scrapers.demo import run_demo

    try:
        return run_demo(db=db, keep=keep, nodes=nodes or 0)
    except ClusterError as error:
        raise click.ClickException(str(error)) from None


@cli.command()
@click.option("--from", "raw_dir", required=True, metavar="DIR",
              help="raw captures to replay (an archive's <archive>.raw, or PAYWATCH_RAW_DIR)")
@click.option("--db", required=True, metavar="PATH", help="the new archive file (must not exist)")
def rebuild(raw_dir: str, db: str) -> int:
    """Rebuild an archive from raw captures, night by night, in the order they were first archived.

    Each capture is replayed with the arguments its crawl gave the archive, so the new archive has the
    same crawls, postings, versions, ranges and events, written by this paywatch's schema and code.
    Nothing is left at PATH unless every capture replays.

    Example: paywatch rebuild --from paywatch.db.raw --db paywatch-rebuilt.db
    """
    from archive.raw import PENDING_DIR, CaptureError, NightRebuilt, RebuildRefused, rebuild_archive

    def plural(count: int, noun: str) -> str:
        return f"{count} {noun}{'' if count == 1 else 's'}"

    def night_done(night: NightRebuilt) -> None:
        totals = {name: sum(getattr(crawl, name) for crawl in night.summaries)
                  for name in ("seen", "new", "changed", "closed")}
        statuses = sorted({crawl.status for crawl in night.summaries})
        verdicts = ", ".join(f"{sum(crawl.status == status for crawl in night.summaries)} {status}"
                             for status in statuses)
        click.echo(f"{night.night}: {plural(len(night.summaries), 'crawl')} ({verdicts}); "
                   + ", ".join(f"{name} {count}" for name, count in totals.items()), err=True)

    try:
        summary = rebuild_archive(raw_dir, db, night_done)
    except (RebuildRefused, CaptureError) as error:
        raise click.ClickException(f"{error}; nothing written to {db}" if isinstance(error, CaptureError)
                                   else str(error)) from None
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(summary.statuses.items()))
    click.echo(f"paywatch: rebuilt {db} from {raw_dir}: {plural(summary.nights, 'night')}, {plural(summary.crawls, 'crawl')} "
               f"({statuses}), {summary.items} postings replayed in {summary.seconds:.1f} s")
    if summary.pending:
        click.echo(f"paywatch: {plural(summary.pending, 'capture')} pending in {Path(raw_dir) / PENDING_DIR} (a crawl killed "
                   "while it was archived) not replayed; the archive's next crawl settles them", err=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; its exit code. Errors a user can fix are one line, not a traceback."""
    try:
        return cli.main(args=argv, prog_name="paywatch", standalone_mode=False) or 0
    except click.exceptions.NoArgsIsHelpError as error:  # plain `paywatch`: the help is the answer
        click.echo(error.format_message(), err=True)
        return BAD_INPUT
    except click.exceptions.Abort:
        click.echo("paywatch: aborted", err=True)
        return CRAWL_FAILED
    except click.ClickException as error:  # usage errors and the commands' own one-line errors
        click.echo(f"paywatch: {error.format_message()}", err=True)
        return BAD_INPUT
    except RegistryError as error:
        click.echo(f"paywatch: {error}", err=True)
        return BAD_INPUT
    except (ArchiveUnusable, ArchiveBusy) as error:
        click.echo(f"paywatch: {error}", err=True)
        return ARCHIVE_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
