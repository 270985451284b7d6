"""The `paywatch` command: crawl, diff, serve, demo, companies.

Every command takes --db PATH (default paywatch.db; the demo's default is paywatch-demo.db).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

DEFAULT_DB = "paywatch.db"
DEMO_DB = "paywatch-demo.db"


def project_settings(db: str | None, registry: str | None, overrides: Sequence[str] = (), log_level: str | None = None):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    if db is not None:
        settings.set("PAYWATCH_DB", db, priority="cmdline")
    if registry:
        settings.set("PAYWATCH_REGISTRY", registry, priority="cmdline")
        # Hand-written spiders look their entry up in the registry at init; they read the same file.
        os.environ["PAYWATCH_REGISTRY"] = registry
    if log_level:
        settings.set("LOG_LEVEL", log_level.upper(), priority="cmdline")
    for override in overrides:
        key, separator, value = override.partition("=")
        if not separator:
            raise SystemExit(f"paywatch: -s expects KEY=VALUE, got {override!r}")
        settings.set(key.strip(), value, priority="cmdline")
    return settings


def select_companies(registry: str | None, platforms=(), companies=(), sectors=()):
    from scrapers.platforms import load_registry

    entries = load_registry(registry)
    known = {entry.slug for entry in entries}
    unknown = [slug for slug in companies if slug not in known]
    if unknown:
        raise SystemExit(f"paywatch: not in the registry: {', '.join(unknown)}")
    return [
        entry for entry in entries
        if (not platforms or entry.platform in platforms)
        and (not companies or entry.slug in companies)
        and (not sectors or entry.sector in sectors)
    ]


def host_groups(selected, load_spider) -> dict[str, list[Any]]:
    """Companies grouped by the host their crawl talks to (see PlatformSpider.host_key)."""
    groups: dict[str, list[Any]] = {}
    for company in selected:
        groups.setdefault(load_spider(company.slug).host_key(company), []).append(company)
    return groups


def run_crawl(settings, selected) -> list[dict[str, Any]]:
    """Crawl the selected companies in one process; return one result dict per company."""
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    process = AsyncCrawlerProcess(settings)
    loader = process.spider_loader
    total = len(selected)
    finished: list[str] = []
    crawlers = {}

    def on_opened(spider):
        # Connected now, after the archive writer's own handler, so the status below is the archived one.
        spider.crawler.signals.connect(on_closed, signal=signals.spider_closed)

    def on_closed(spider, reason):
        finished.append(spider.name)
        status = spider.crawler.stats.get_value("paywatch/archive/status", "not archived")
        print(f"[{len(finished)}/{total}] {spider.name}: {status} ({reason})", file=sys.stderr, flush=True)

    queues = []
    for group in host_groups(selected, loader.load).values():
        queue = []
        for company in group:
            crawler = process.create_crawler(loader.load(company.slug))
            crawler.signals.connect(on_opened, signal=signals.spider_opened)
            crawlers[company.slug] = crawler
            queue.append(crawler)
        queues.append(queue)

    def crawl_next(queue: list[Any], _finished_task: Any = None) -> None:
        if queue:
            task = process.crawl(queue.pop(0))
            task.add_done_callback(partial(crawl_next, queue))

    # Hosts in parallel; the companies on one host one after another.
    for queue in queues:
        crawl_next(queue)
    print(f"paywatch: crawling {total} compan{'y' if total == 1 else 'ies'} into {settings.get('PAYWATCH_DB')}",
          file=sys.stderr, flush=True)
    process.start()

    results = []
    db_path = settings.get("PAYWATCH_DB")
    from archive.schema import open_archive

    db = open_archive(db_path)
    try:
        for company in selected:
            crawl_id = crawlers[company.slug].stats.get_value("paywatch/archive/crawl_id")
            row = db.execute("SELECT * FROM crawls WHERE id = ?", [crawl_id]).fetchone() if crawl_id else None
            if row is None:
                results.append({"company": company.slug, "platform": company.platform, "status": "failed",
                                "failure_reason": "crawl was not archived (see the log)"})
                continue
            columns = [c[0] for c in db.execute("SELECT * FROM crawls LIMIT 0").description]
            results.append(dict(zip(columns, row)))
    finally:
        db.close()
    return results


def print_summary(results: list[dict[str, Any]]) -> None:
    from archive.diff import format_table

    columns = ["seen", "new", "changed", "closed", "with_pay", "dropped"]
    rows = [
        [r["company"], r["status"], *[r.get(c, "") for c in columns], r.get("failure_reason") or ""]
        for r in results
    ]
    print(format_table(["company", "status", "seen", "new", "changed", "closed", "with pay", "dropped", "why failed"],
                       rows))


def command_crawl(args: argparse.Namespace) -> int:
    selected = select_companies(args.registry, args.platform, args.company, args.sector)
    if not selected:
        print("paywatch: no company matches that selection", file=sys.stderr)
        return 2
    settings = project_settings(args.db, args.registry, args.set, args.log_level)
    results = run_crawl(settings, selected)
    print_summary(results)
    failed = [r["company"] for r in results if r["status"] != "complete"]
    if failed:
        print(f"paywatch: crawl failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def command_diff(args: argparse.Namespace) -> int:
    from archive.diff import changes_since, render
    from archive.schema import open_archive

    if not Path(args.db).exists():
        print(f"paywatch: no archive at {args.db}", file=sys.stderr)
        return 2
    db = open_archive(args.db)
    try:
        changes = changes_since(db, args.since, company=args.company, pay_only=args.pay_only)
    finally:
        db.close()
    print(render(changes, args.format))
    return 0


def metadata_for(db: str) -> dict[str, Any]:
    """The shipped Datasette metadata, keyed by the database name Datasette gives this file."""
    import yaml  # a Datasette dependency

    metadata = yaml.safe_load(resources.files("archive").joinpath("metadata.yml").read_text(encoding="utf-8"))
    metadata["databases"] = {Path(db).stem: metadata["databases"]["archive"]}
    return metadata


def datasette_command(db: str, port: int, metadata_file: Path) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", db, "--host", "127.0.0.1", "--port", str(port),
            "--metadata", str(metadata_file), "--setting", "sql_time_limit_ms", "5000"]


def command_serve(args: argparse.Namespace) -> int:
    from archive.schema import open_archive

    if not Path(args.db).exists():
        print(f"paywatch: no archive at {args.db}", file=sys.stderr)
        return 2
    open_archive(args.db).close()  # apply pending migrations before serving it read-only
    with tempfile.TemporaryDirectory() as scratch:
        metadata_file = Path(scratch) / "metadata.json"
        metadata_file.write_text(json.dumps(metadata_for(args.db)), encoding="utf-8")
        print(f"paywatch: serving {args.db} read-only at http://127.0.0.1:{args.port}/", file=sys.stderr, flush=True)
        return subprocess.call(datasette_command(args.db, args.port, metadata_file))


def command_companies(args: argparse.Namespace) -> int:
    from archive.diff import format_table
    from scrapers.platforms import load_registry

    entries = load_registry(args.registry)
    rows = [{"slug": e.slug, "name": e.name, "sector": e.sector, "platform": e.platform} for e in entries]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(list(rows[0]), [list(row.values()) for row in rows]))
    return 0


def command_demo(args: argparse.Namespace) -> int:
    from scrapers.demo import run_demo

    return run_demo(db=args.db, keep=args.keep)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paywatch", description="Track the pay ranges studios and tech companies publish.")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str, example: str, db_default: str = DEFAULT_DB):
        sub = commands.add_parser(name, help=help_text, description=f"{help_text}\n\nExample: {example}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("--db", default=db_default, help=f"archive file (default {db_default})")
        return sub

    crawl = add("crawl", "Crawl companies and append what they publish to the archive.",
                "paywatch crawl --sector studio --db paywatch.db")
    crawl.add_argument("--registry", help="companies registry file (default: the one shipped with paywatch)")
    crawl.add_argument("--platform", action="append", default=[], help="only this platform (repeatable)")
    crawl.add_argument("--company", action="append", default=[], help="only this company slug (repeatable)")
    crawl.add_argument("--sector", action="append", default=[], choices=["studio", "tech"], help="only this sector")
    crawl.add_argument("-s", "--set", action="append", default=[], metavar="KEY=VALUE", help="a Scrapy setting")
    crawl.add_argument("--log-level", default=None, help="Scrapy log level (default INFO)")
    crawl.set_defaults(handler=command_crawl)

    diff = add("diff", "Show pay-range changes and openings/closings seen since a date.",
               "paywatch diff --since 2026-11-01 --format csv")
    diff.add_argument("--since", required=True, help="ISO date or time; crawls from then on are compared")
    diff.add_argument("--format", choices=["table", "csv", "json"], default="table")
    diff.add_argument("--company", help="only this company slug")
    diff.add_argument("--pay-only", action="store_true", help="only pay-range changes")
    diff.set_defaults(handler=command_diff)

    serve = add("serve", "Serve the archive read-only with Datasette on 127.0.0.1.", "paywatch serve --port 8001")
    serve.add_argument("--port", type=int, default=8001)
    serve.set_defaults(handler=command_serve)

    companies = add("companies", "List the companies in the registry.", "paywatch companies --format json")
    companies.add_argument("--registry", help="companies registry file")
    companies.add_argument("--format", choices=["table", "json"], default="table")
    companies.set_defaults(handler=command_companies)

    demo = add("demo", "Replay two saved nights from 127.0.0.1 into a fresh archive; print summary and diff.",
               "paywatch demo", db_default=DEMO_DB)
    demo.add_argument("--keep", action="store_true", help="append to an existing demo archive instead of starting fresh")
    demo.set_defaults(handler=command_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except Exception as error:  # a registry or archive problem: one clear line, not a traceback
        from scrapers.registry import RegistryError

        if isinstance(error, RegistryError):
            print(f"paywatch: {error}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
