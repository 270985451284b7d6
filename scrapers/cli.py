"""The `paywatch` command: it parses the command line and prints; the work is done elsewhere.

crawl → scrapers.crawl, diff → archive.diff, serve → archive.datasette, demo → scrapers.demo,
companies → the registry. Every command takes --db PATH (default paywatch.db; the demo's is
paywatch-demo.db). Bad input is one line on stderr and exit code 2; a crawl that failed for some
company exits 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

import click
from tabulate import tabulate

from archive.lock import ArchiveBusy, crawl_lock
from scrapers.registry import SECTORS, RegistryError
from scrapers.settings import PAYWATCH_VERSION

DEFAULT_DB = "paywatch.db"
DEMO_DB = "paywatch-demo.db"
BAD_INPUT = 2
CRAWL_FAILED = 1


def db_option(default: str = DEFAULT_DB):
    return click.option("--db", default=default, show_default=True, metavar="PATH", help="archive file")


registry_option = click.option("--registry", metavar="PATH",
                               help="companies registry file (default: $PAYWATCH_REGISTRY, else the one shipped)")


def existing_archive(db: str) -> None:
    if not Path(db).exists():
        raise click.ClickException(f"no archive at {db}")


def parse_settings(_ctx: Any, _param: Any, values: Sequence[str]) -> dict[str, str]:
    settings = {}
    for value in values:
        key, separator, setting = value.partition("=")
        if not separator or not key.strip():
            raise click.BadParameter(f"expects KEY=VALUE, got {value!r}")
        settings[key.strip()] = setting
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(PAYWATCH_VERSION, prog_name="paywatch")
def cli() -> None:
    """Track the pay ranges studios and tech companies publish, posting by posting, night after night."""


@cli.command()
@db_option()
@registry_option
@click.option("--platform", multiple=True, help="only this platform (repeatable)")
@click.option("--company", multiple=True, metavar="SLUG", help="only this company (repeatable)")
@click.option("--sector", multiple=True, type=click.Choice(SECTORS), help="only this sector (repeatable)")
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE", callback=parse_settings,
              help="a Scrapy setting, e.g. a platform's base URL (repeatable)")
@click.option("--log-level", help="Scrapy log level (default INFO)")
def crawl(db: str, registry: str | None, platform: tuple[str, ...], company: tuple[str, ...],
          sector: tuple[str, ...], settings: dict[str, str], log_level: str | None) -> int:
    """Crawl companies and append what they publish to the archive.

    Exits 1, naming them, when some company's crawl failed (a failed crawl closes nothing); names the
    companies whose closures are held (suspect) until the next complete crawl confirms them.

    Example: paywatch crawl --sector studio --db paywatch.db
    """
    from scrapers import crawl as night  # Scrapy is imported only by the command that crawls

    try:
        selected = night.select_companies(registry, platform, company, sector)
    except night.UnknownCompanies as error:
        raise click.ClickException(str(error)) from None
    if not selected:
        raise click.ClickException("no company matches that selection")
    scrapy_settings = night.project_settings(db, registry, settings, log_level)

    def progress(done: int, total: int, slug: str, status: str, reason: str) -> None:
        click.echo(f"[{done}/{total}] {slug}: {status} ({reason})", err=True)

    plural = "y" if len(selected) == 1 else "ies"
    try:
        with crawl_lock(db):
            click.echo(f"paywatch: crawling {len(selected)} compan{plural} into {db}", err=True)
            results = night.run_crawl(scrapy_settings, selected, progress)
    except ArchiveBusy as error:
        raise click.ClickException(str(error)) from None
    columns = ["seen", "new", "changed", "closed", "with_pay", "dropped", "unreadable"]
    click.echo(tabulate(
        [[r["company"], r["status"], *[r.get(c, "") for c in columns], r.get("failure_reason") or ""] for r in results],
        headers=["company", "status", "seen", "new", "changed", "closed", "with pay", "dropped", "unreadable",
                 "why not complete"],
        tablefmt="simple", disable_numparse=True,
    ))
    held = [r["company"] for r in results if r["status"] == "suspect"]
    if held:
        click.echo(f"paywatch: closures held until the next complete crawl for: {', '.join(held)}", err=True)
    failed = [r["company"] for r in results if r["status"] == "failed"]
    if failed:
        click.echo(f"paywatch: crawl failed for: {', '.join(failed)}", err=True)
        return CRAWL_FAILED
    return 0


@cli.command()
@db_option()
@click.option("--since", required=True, metavar="DATE", help="ISO date or time; crawls from then on are compared")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("--company", metavar="SLUG", help="only this company")
@click.option("--pay-only", is_flag=True, help="only pay-range changes")
def diff(db: str, since: str, output_format: str, company: str | None, pay_only: bool) -> int:
    """Show pay-range changes and openings/closings seen since a date.

    Example: paywatch diff --since 2026-11-01 --format csv
    """
    from archive.diff import changes_since, render
    from archive.schema import open_archive

    existing_archive(db)
    archive = open_archive(db)
    try:
        changes = changes_since(archive, since, company=company, pay_only=pay_only)
    finally:
        archive.close()
    click.echo(render(changes, output_format))
    return 0


@cli.command()
@db_option()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
def serve(db: str, port: int) -> int:
    """Serve the archive read-only with Datasette on 127.0.0.1.

    Example: paywatch serve --port 8001
    """
    from archive import datasette

    existing_archive(db)
    click.echo(f"paywatch: serving {db} read-only at http://{datasette.HOST}:{port}/", err=True)
    return datasette.serve(db, port)


@cli.command()
@db_option()
@registry_option
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def companies(db: str, registry: str | None, output_format: str) -> int:
    """List the companies in the registry.

    Example: paywatch companies --format json
    """
    from scrapers.platforms import load_registry

    rows = [{"slug": e.slug, "name": e.name, "sector": e.sector, "platform": e.platform}
            for e in load_registry(registry)]
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(tabulate(rows, headers="keys", tablefmt="simple", disable_numparse=True))
    return 0


@cli.command()
@db_option(DEMO_DB)
@click.option("--keep", is_flag=True, help="append to an existing demo archive instead of starting fresh")
def demo(db: str, keep: bool) -> int:
    """Replay two saved nights from 127.0.0.1 into a fresh archive; print summary and diff.

    Example: paywatch demo
    """
    from scrapers.demo import run_demo

    return run_demo(db=db, keep=keep)


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
    from archive.raw import CaptureError, NightRebuilt, RebuildRefused, rebuild_archive

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


if __name__ == "__main__":
    sys.exit(main())
