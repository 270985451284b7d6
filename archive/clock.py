"""A crawl's clock: the wall clock, or, for a replay of saved responses (``PAYWATCH_CRAWL_TIME``), the
night those responses stand for.

A replay's clock reads the night's time when the process starts and runs at the wall clock's pace
from there, so each crawl's duration and the order of a night's crawls stay what they really were.
The crawl row also keeps the wall-clock time the replay really ran (``crawls.replayed_at``): a
replay dated to a night must never pass for a crawl of the live sites on that night.
"""

from __future__ import annotations

from datetime import datetime, timezone

# One origin for every clock of the process, so the spiders' scraped_at and the archive writer's
# crawl times agree.
PROCESS_STARTED = datetime.now(timezone.utc)


def parse_crawl_time(text: str | None) -> datetime | None:
    """``PAYWATCH_CRAWL_TIME`` as an aware UTC time (an ISO time without an offset is UTC, the archive's
    time), or None when it is not set. Raises ValueError for anything that is not an ISO date or time."""
    if text is None or not str(text).strip():
        return None
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"PAYWATCH_CRAWL_TIME must be an ISO date or time (2026-11-01T03:15:00+00:00), "
                         f"got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class CrawlClock:
    """``now()`` is the crawl's time: the wall clock's, or from ``crawl_time`` on for a replay."""

    def __init__(self, crawl_time: str | None = None) -> None:
        self.night = parse_crawl_time(crawl_time)

    @property
    def replay(self) -> bool:
        return self.night is not None

    def now(self) -> datetime:
        wall = datetime.now(timezone.utc)
        return wall if self.night is None else self.night + (wall - PROCESS_STARTED)

    def now_iso(self) -> str:
        return self.now().replace(microsecond=0).isoformat()

    def replayed_at(self) -> str | None:
        """The wall-clock time now when this is a replay (what ``crawls.replayed_at`` records), else None."""
        return None if self.night is None else datetime.now(timezone.utc).replace(microsecond=0).isoformat()
