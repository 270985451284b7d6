"""Raw captures: every company crawl's ``ingest_crawl`` arguments kept as gzipped JSON lines, and the
rebuild that replays them into a new archive, so a schema change or a better parser never costs history.

A capture is ``<raw dir>/<YYYY-MM-DD>/<company>.jsonl.gz`` (the UTC date the crawl started; a second
crawl of the company that day is ``<company>.2.jsonl.gz``, and so on). Its first line is a header:

    {"format": "paywatch-raw-capture", "version": 1, "sequence": 3, "items": 120,
     "sets": ["listed_refs"], "datetimes": [], "crawl": {<every ingest_crawl keyword argument but items>}}

then one line per item, exactly as the archive was given it. The capture stores the arguments
generically, so a keyword argument ``ingest_crawl`` gains later is captured and replayed with no
change here. A set argument is written as a sorted list and a datetime as an ISO string; the header
names them so they are read back as what they were.

Each night directory also keeps the registry entries that night's crawls wrote into the ``companies``
table (``_companies.json``, a JSON list of rows; no capture is named so, as a slug starts with a letter),
so a rebuild restores that table too: its rows are upserted night by night, as the crawls upserted them.

Captures are replayed in the order the archive wrote them: by ``finished_at`` (the writer stamps it
just before it writes the capture and the archive), then the night, then ``sequence`` (captures already
in that night's directory, plus one), which orders crawls that finished within the same second.
Ordering by ``started_at`` instead would keep each company's own order but interleave companies
crawled side by side differently from the archive, so its ids would differ.
"""

from __future__ import annotations

import gzip
import inspect
import json
import os
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping

from sqlite_utils import Database

from archive.companies import COMPANY_COLUMNS, sync_companies
from archive.schema import open_archive
from archive.store import CrawlSummary, ingest_crawl

FORMAT = "paywatch-raw-capture"
FORMAT_VERSION = 1
SUFFIX = ".jsonl.gz"
# Level 6 (zlib's default) compresses captures almost as well as 9 in well under half the time.
COMPRESS_LEVEL = 6
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def raw_dir_for(db_path: str | os.PathLike, configured: str | None = None) -> str:
    """Where an archive's raw captures go: ``configured`` (``PAYWATCH_RAW_DIR``), else beside it."""
    return configured or f"{db_path}.raw"


def safe_file_stem(name: str) -> str:
    """``name`` with every character a file name should not hold as "_" (a company slug is already safe)."""
    return _UNSAFE_IN_NAME.sub("_", name)


class CaptureError(ValueError):
    """A capture that cannot be read or replayed; the message names the file."""


class RebuildRefused(ValueError):
    """A rebuild that would overwrite an archive, or has nothing to replay."""


@dataclass(frozen=True)
class CaptureInfo:
    """Where a capture is and where it falls in the replay order (from its header alone)."""
    path: Path
    night: str
    finished_at: datetime
    sequence: int

    @property
    def order(self) -> tuple[datetime, str, int, str]:
        return self.finished_at, self.night, self.sequence, self.path.name


@dataclass
class Capture:
    path: Path
    sequence: int
    crawl: dict[str, Any]
    items: list[dict[str, Any]]


@dataclass
class NightRebuilt:
    night: str
    summaries: list[CrawlSummary] = field(default_factory=list)


@dataclass
class RebuildSummary:
    nights: int = 0
    crawls: int = 0
    items: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    pending: int = 0  # captures a killed crawl left pending: not replayed until a night's start settles them


def capture_night(started_at: str | datetime) -> str:
    """The UTC date a crawl started, YYYY-MM-DD: the directory its capture goes in."""
    moment = started_at if isinstance(started_at, datetime) else datetime.fromisoformat(started_at)
    if moment.tzinfo is None:  # the archive's times are UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).date().isoformat()


def write_capture(directory: str | os.PathLike, crawl_kwargs: Mapping[str, Any],
                  items: Iterable[Mapping[str, Any]]) -> Path:
    """Write one crawl's capture under ``directory`` and return its path.

    ``crawl_kwargs`` are the ``ingest_crawl`` keyword arguments but ``items``, and must include
    ``started_at`` and ``finished_at`` (rebuild needs them to reproduce the crawl row and the order).
    The file appears whole or not at all: it is written to a hidden temporary name, flushed to disk
    and renamed. An earlier capture is never overwritten. (The archive's own captures are written
    with ``write_pending_capture`` instead, and appear only once their crawl is committed.)
    """
    _night_dir, path, sequence = _capture_place(directory, crawl_kwargs)
    _write_capture_file(path, path.name, sequence, crawl_kwargs, items)
    return path


def _capture_place(directory: str | os.PathLike, crawl_kwargs: Mapping[str, Any]) -> tuple[Path, Path, int]:
    """(the night directory, the first free capture name in it, the capture's sequence there)."""
    missing = [name for name in ("company", "started_at", "finished_at") if not crawl_kwargs.get(name)]
    if missing:
        raise ValueError(f"a capture needs {', '.join(missing)}")
    night_dir = Path(directory) / capture_night(crawl_kwargs["started_at"])
    night_dir.mkdir(parents=True, exist_ok=True)
    taken = {entry.name for entry in os.scandir(night_dir) if entry.name.endswith(SUFFIX)}
    stem = safe_file_stem(str(crawl_kwargs["company"]))
    path = next(night_dir / name for name in _capture_names(stem) if name not in taken)
    return night_dir, path, len(taken) + 1


def _write_capture_file(path: Path, name: str, sequence: int, crawl_kwargs: Mapping[str, Any],
                        items: Iterable[Mapping[str, Any]]) -> None:
    items = list(items)
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "sequence": sequence,
        "items": len(items),
        "sets": sorted(name for name, value in crawl_kwargs.items() if isinstance(value, (set, frozenset))),
        "datetimes": sorted(name for name, value in crawl_kwargs.items() if isinstance(value, datetime)),
        "crawl": dict(crawl_kwargs),
    }
    def write(raw_file: BinaryIO) -> None:
        with gzip.GzipFile(filename=name, mode="wb", fileobj=raw_file, compresslevel=COMPRESS_LEVEL,
                           mtime=0) as compressed:
            compressed.write(_json_line(header))
            for item in items:
                compressed.write(_json_line(item))

    _write_whole(path, write)


# The archive's own captures are written here first and moved into their night only once the crawl they
# describe is committed, so the captures are the archive's history exactly: a crawl killed before its
# commit leaves no capture a rebuild would replay. A capture whose archive write failed is moved to
# SET_ASIDE_DIR (the evidence is kept, but is not history). Hidden, so no night is ever named so.
PENDING_DIR = ".pending"
SET_ASIDE_DIR = ".unarchived"


@dataclass(frozen=True)
class PendingCapture:
    """A crawl's capture written whole, waiting for the crawl's commit (``publish``) or its failure
    (``set_aside``)."""
    path: Path
    raw_dir: Path
    crawl: Mapping[str, Any]

    def publish(self) -> Path:
        """Into the crawl's night directory, under the first free name there."""
        _night_dir, final, _sequence = _capture_place(self.raw_dir, self.crawl)
        os.replace(self.path, final)
        self._leave_no_empty_pending_dir()
        return final

    def _leave_no_empty_pending_dir(self) -> None:
        try:
            self.path.parent.rmdir()
        except OSError:  # another capture is pending there (or it is gone already)
            pass

    def set_aside(self) -> Path:
        aside = self.raw_dir / SET_ASIDE_DIR
        aside.mkdir(exist_ok=True)
        target = aside / self.path.name
        os.replace(self.path, target)
        self._leave_no_empty_pending_dir()
        return target


def write_pending_capture(directory: str | os.PathLike, crawl_kwargs: Mapping[str, Any],
                          items: Iterable[Mapping[str, Any]]) -> PendingCapture:
    """The capture of a crawl about to be archived, written whole (as ``write_capture``) but not yet
    in its night: ``publish`` it once the crawl is committed, ``set_aside`` it if the write fails."""
    raw_dir = Path(directory)
    night_dir, final, sequence = _capture_place(raw_dir, crawl_kwargs)
    pending = raw_dir / PENDING_DIR
    pending.mkdir(exist_ok=True)
    path = pending / f"{night_dir.name}.{final.name}.{os.getpid()}{SUFFIX}"
    _write_capture_file(path, final.name, sequence, crawl_kwargs, items)
    return PendingCapture(path, raw_dir, dict(crawl_kwargs))


def settle_pending_captures(raw_dir: str | os.PathLike, db: Database) -> tuple[int, int]:
    """The captures a killed crawl left pending: published if the archive holds their crawl (killed
    after its commit), set aside if not (killed before). Run before a night writes anything; (published,
    set aside)."""
    pending_dir = Path(raw_dir) / PENDING_DIR
    if not pending_dir.is_dir():
        return 0, 0
    published = set_aside = 0
    for path in sorted(pending_dir.iterdir()):
        if path.name.startswith(".") or not path.name.endswith(SUFFIX):
            path.unlink(missing_ok=True)  # a write that never finished: no whole capture to keep
            continue
        try:
            crawl = read_capture(path).crawl
        except CaptureError:
            path.unlink(missing_ok=True)
            continue
        pending = PendingCapture(path, Path(raw_dir), crawl)
        committed = db.execute(
            "SELECT 1 FROM crawls WHERE company = ? AND platform = ? AND started_at = ? AND finished_at = ?",
            [crawl.get("company"), crawl.get("platform"), _iso(crawl.get("started_at")),
             _iso(crawl.get("finished_at"))]).fetchone()
        if committed:
            pending.publish()
            published += 1
        else:
            pending.set_aside()
            set_aside += 1
    return published, set_aside


def ingest_kept(db: Database, keep_dir: str | os.PathLike | None, crawl: Mapping[str, Any],
                items: list[dict[str, Any]], ingest: Callable[..., CrawlSummary] = ingest_crawl) -> CrawlSummary:
    """``ingest(db, **crawl, items=items)``, its capture kept under ``keep_dir`` (when given) exactly
    when the crawl is committed."""
    pending = write_pending_capture(keep_dir, crawl, items) if keep_dir is not None else None
    try:
        summary = ingest(db, **crawl, items=items)
    except BaseException:
        if pending is not None:
            pending.set_aside()
        raise
    if pending is not None:
        pending.publish()
    return summary


def _write_whole(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """``path`` written by ``write`` to a hidden temporary name, flushed to disk and renamed: it appears
    whole or not at all. The archive commits durably right after a capture; one lost to a power cut
    would be the one night a rebuild could not replay."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(temporary, "wb") as raw_file:
            write(raw_file)
            raw_file.flush()
            os.fsync(raw_file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


COMPANIES_FILE = "_companies.json"


def record_companies(db: Database, entries: Iterable[Mapping[str, Any]], keep_dir: str | os.PathLike | None,
                     at: str | datetime) -> None:
    """The night's registry entries upserted into ``db``'s ``companies`` table and, with ``keep_dir``
    (the archive's raw captures), kept in the directory of the night ``at`` falls in, merged with any
    kept there earlier that night, so ``rebuild`` restores the table."""
    entries = [{column: entry.get(column) for column in COMPANY_COLUMNS} for entry in entries]
    sync_companies(db, entries)
    if keep_dir is None or not entries:
        return
    path = Path(keep_dir) / capture_night(at) / COMPANIES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {row["slug"]: row for row in _read_companies(path)} if path.exists() else {}
    kept.update((entry["slug"], entry) for entry in entries)
    rows = sorted(kept.values(), key=lambda row: row["slug"])
    _write_whole(path, lambda kept_file: kept_file.write(json.dumps(rows, indent=0).encode("utf-8")))


def begin_night(db: Database, entries: Iterable[Mapping[str, Any]], keep_dir: str | os.PathLike | None,
                at: str | datetime) -> tuple[int, int]:
    """What the archive machine does before a night writes anything: settle the captures a killed
    crawl left pending (``settle_pending_captures``: (published, set aside)) and record the night's
    companies (``record_companies``)."""
    settled = settle_pending_captures(keep_dir, db) if keep_dir is not None else (0, 0)
    record_companies(db, entries, keep_dir, at)
    return settled


def _read_companies(path: Path) -> list[dict[str, Any]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CaptureError(f"{path} is unreadable: {error}") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) and row.get("slug") for row in rows):
        raise CaptureError(f"{path} is not a list of companies rows")
    return rows


def restore_companies(raw_dir: str | os.PathLike, db: Database) -> int:
    """Every night's kept ``companies`` rows under ``raw_dir`` upserted into ``db`` in night order (the
    latest night's entry for a slug wins, as in the archive); the number of files read."""
    kept = sorted(path for path in Path(raw_dir).glob(f"*/{COMPANIES_FILE}") if not path.parent.name.startswith("."))
    for path in kept:
        sync_companies(db, _read_companies(path))
    return len(kept)


def company_captures(raw_dir: str | os.PathLike, company: str) -> list[Path]:
    """The captures of ``company`` under ``raw_dir``, night by night. Each night's are named in turn
    (``write_capture`` takes the first free name), so only those names are looked up: no listing of
    a night directory that may hold thousands of companies' captures."""
    found = []
    for night_dir in sorted(path for path in Path(raw_dir).iterdir() if path.is_dir() and not path.name.startswith(".")):
        for name in _capture_names(safe_file_stem(company)):
            if not (night_dir / name).is_file():
                break
            found.append(night_dir / name)
    return found


def _capture_names(stem: str) -> Iterator[str]:
    yield f"{stem}{SUFFIX}"
    number = 2
    while True:
        yield f"{stem}.{number}{SUFFIX}"
        number += 1


def _json_line(value: Any) -> bytes:
    # ASCII escapes keep a lone surrogate (which the archive itself repairs) representable, so the
    # capture holds exactly what the crawl extracted; NaN is kept for the same reason.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=_jsonable).encode("ascii") + b"\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"a capture cannot hold a {type(value).__name__}: {value!r}")


def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """A capture's header line, checked; CaptureError naming the file if it is not one."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as lines:
            return _checked_header(path, lines.readline())
    except (OSError, EOFError, zlib.error) as error:
        raise CaptureError(f"capture {path} is unreadable: {_why(error)}") from None


def read_capture(path: str | os.PathLike) -> Capture:
    """A whole capture: its crawl arguments (sets and datetimes as they were written) and items."""
    path = Path(path)
    items = []
    try:
        with gzip.open(path, "rb") as lines:
            header = _checked_header(path, lines.readline())
            for number, line in enumerate(lines, start=2):
                items.append(_item(path, number, line))
    except (OSError, EOFError, zlib.error) as error:
        raise CaptureError(f"capture {path} is unreadable after {len(items)} items: {_why(error)}") from None
    if len(items) != header["items"]:
        raise CaptureError(f"capture {path} is truncated: {len(items)} of its {header['items']} items")
    crawl = dict(header["crawl"])
    for name in header.get("sets", []):
        crawl[name] = set(crawl[name]) if crawl.get(name) is not None else None
    try:
        for name in header.get("datetimes", []):
            crawl[name] = datetime.fromisoformat(crawl[name]) if crawl.get(name) is not None else None
    except (TypeError, ValueError):
        raise CaptureError(f"capture {path} has a datetime argument that is not an ISO time") from None
    return Capture(path, header["sequence"], crawl, items)


def _item(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except ValueError:
        item = None
    if not isinstance(item, dict):
        raise CaptureError(f"capture {path} line {number} is not a JSON object (truncated or corrupt)")
    return item


def _checked_header(path: Path, line: bytes) -> dict[str, Any]:
    if not line:
        raise CaptureError(f"capture {path} is empty")
    try:
        header = json.loads(line)
    except ValueError:
        raise CaptureError(f"capture {path} does not start with a capture header") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CaptureError(f"capture {path} does not start with a capture header")
    if header.get("version") != FORMAT_VERSION:
        raise CaptureError(f"capture {path} is format version {header.get('version')!r}; this paywatch reads "
                           f"version {FORMAT_VERSION}")
    crawl = header.get("crawl")
    if (not isinstance(crawl, dict) or not isinstance(header.get("sequence"), int)
            or not isinstance(header.get("items"), int) or not crawl.get("finished_at")
            or not all(isinstance(header.get(kind, []), list) and set(header.get(kind, [])) <= set(crawl)
                       for kind in ("sets", "datetimes"))):
        raise CaptureError(f"capture {path} has an incomplete header")
    return header


def _why(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return "the file ends early (truncated)"
    return str(error) or type(error).__name__


def captures_in_order(raw_dir: str | os.PathLike) -> list[CaptureInfo]:
    """Every capture under ``raw_dir``, in the order the archive wrote them (see the module docstring)."""
    return capture_infos(path for path in sorted(Path(raw_dir).glob(f"*/*{SUFFIX}"))
                         if not path.name.startswith(".") and not path.parent.name.startswith("."))


def capture_infos(paths: Iterable[str | os.PathLike]) -> list[CaptureInfo]:
    """The captures at ``paths``, in the order their crawls finished (as ``captures_in_order``)."""
    found = []
    for path in map(Path, paths):
        header = read_header(path)
        try:
            finished_at = datetime.fromisoformat(header["crawl"]["finished_at"])
        except (TypeError, ValueError):
            raise CaptureError(f"capture {path} has a finished_at that is not an ISO time") from None
        if finished_at.tzinfo is None:
            finished_at = finished_at.replace(tzinfo=timezone.utc)
        found.append(CaptureInfo(path, path.parent.name, finished_at, header["sequence"]))
    return sorted(found, key=lambda capture: capture.order)


def ingest_captures(paths: Iterable[str | os.PathLike], db: Database,
                    keep_dir: str | os.PathLike | None = None) -> list[CrawlSummary]:
    """Ingest crawls other processes captured (a cluster's Scrapyd nodes, docs/SCALE.md) into ``db``,
    in the order they finished: one ``ingest_crawl`` each with the arguments it was captured with, so
    the archive's rules hold as for a crawl of its own. A capture whose crawl the archive already holds
    (the same company, platform and start) is skipped, so ingesting a node's captures again is
    harmless. Each ingested capture is kept again under ``keep_dir`` (the archive's own raw captures),
    so ``paywatch rebuild`` replays it with the rest."""
    takes = inspect.signature(ingest_crawl)
    summaries = []
    for info in capture_infos(paths):
        capture = read_capture(info.path)
        crawl = capture.crawl
        known = db.execute("SELECT 1 FROM crawls WHERE company = ? AND platform = ? AND started_at = ?",
                           [crawl.get("company"), crawl.get("platform"), _iso(crawl.get("started_at"))]).fetchone()
        if known:
            continue
        _check_fits(takes, db, info, capture)
        summaries.append(ingest_kept(db, keep_dir, crawl, capture.items,
                                     ingest=lambda db, **_: _replay(db, info, capture)))
    return summaries


def _check_fits(takes: inspect.Signature, db: Database, info: CaptureInfo, capture: Capture) -> None:
    """CaptureError unless the capture's arguments are ones this paywatch's ``ingest_crawl`` takes."""
    try:
        takes.bind(db, **capture.crawl, items=capture.items)
    except TypeError as error:
        raise CaptureError(f"capture {info.path} does not fit this paywatch's archive: {error}") from None


def _replay(db: Database, info: CaptureInfo, capture: Capture) -> CrawlSummary:
    """One ``ingest_crawl`` with the arguments the crawl was captured with."""
    try:
        return ingest_crawl(db, **capture.crawl, items=capture.items)
    except ValueError as error:
        raise CaptureError(f"capture {info.path} cannot be replayed: {error}") from None


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def rebuild(raw_dir: str | os.PathLike, db: Database,
            progress: Callable[[NightRebuilt], None] | None = None,
            captures: list[CaptureInfo] | None = None) -> RebuildSummary:
    """Replay every capture under ``raw_dir`` into ``db`` in the original order, one ``ingest_crawl``
    each with the arguments it was first given; ``progress`` hears of each night once it is replayed.
    A capture that cannot be read or replayed raises CaptureError; what was replayed before it stays."""
    captures = captures_in_order(raw_dir) if captures is None else captures
    takes = inspect.signature(ingest_crawl)
    summary = RebuildSummary()
    night: NightRebuilt | None = None
    for info in captures:
        if night is None or night.night != info.night:
            if night is not None and progress:
                progress(night)
            night = NightRebuilt(info.night)
            summary.nights += 1
        capture = read_capture(info.path)
        _check_fits(takes, db, info, capture)
        crawl = _replay(db, info, capture)
        night.summaries.append(crawl)
        summary.crawls += 1
        summary.items += len(capture.items)
        summary.statuses[crawl.status] = summary.statuses.get(crawl.status, 0) + 1
    if night is not None and progress:
        progress(night)
    restore_companies(raw_dir, db)
    pending_dir = Path(raw_dir) / PENDING_DIR
    summary.pending = sum(1 for path in pending_dir.iterdir() if path.name.endswith(SUFFIX)) if pending_dir.is_dir() else 0
    return summary


def rebuild_archive(raw_dir: str | os.PathLike, new_db: str | os.PathLike,
                    progress: Callable[[NightRebuilt], None] | None = None) -> RebuildSummary:
    """Rebuild a new archive file at ``new_db`` from the captures under ``raw_dir``.

    Refuses (RebuildRefused) if ``new_db`` exists or ``raw_dir`` holds no capture. The archive is
    built under a temporary name beside ``new_db`` and renamed only once every capture is replayed,
    so a capture that fails (CaptureError) leaves nothing at ``new_db``.
    """
    new_db = Path(new_db)
    if new_db.exists():
        raise RebuildRefused(f"{new_db} already exists; rebuild writes a new archive only")
    if not new_db.parent.is_dir():
        raise RebuildRefused(f"no directory {new_db.parent} to write {new_db.name} in")
    if not Path(raw_dir).is_dir():
        raise RebuildRefused(f"no raw capture directory at {raw_dir}")
    started = time.perf_counter()
    captures = captures_in_order(raw_dir)
    if not captures:
        raise RebuildRefused(f"no captures in {raw_dir} (expected <date>/<company>{SUFFIX})")
    building = new_db.with_name(f".{new_db.name}.rebuilding-{os.getpid()}")
    parts = [Path(f"{building}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
    try:
        db = open_archive(str(building))
        try:
            summary = rebuild(raw_dir, db, progress, captures)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file before it is renamed
        finally:
            db.close()
        if new_db.exists():
            raise RebuildRefused(f"{new_db} appeared while the rebuild ran; the rebuilt archive was discarded")
        os.replace(building, new_db)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    summary.seconds = time.perf_counter() - started
    return summary
