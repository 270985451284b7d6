"""The companies registry: one TOML entry per company, no code.

Each entry names the company (slug, display name, sector), the careers platform it hires on, the
identifiers that platform needs (a Greenhouse board token, a Lever site, ...) and its public careers
page. ``read_registry()`` reads the file and checks what every entry needs; what each platform needs
is checked by ``scrapers.platforms.load_registry()``, the one callers use, so a bad entry fails when
the registry is loaded, not at 3 a.m. This module knows nothing of the platforms.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

# The sector vocabulary (documented at the top of companies.toml and in the README's "Adding a company").
SECTORS = ("studio", "streaming", "tv", "games", "animation_vfx", "music", "tech")
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
REGISTRY_ENV = "PAYWATCH_REGISTRY"
_ENTRY_KEYS = {"slug", "name", "sector", "platform", "careers_url", "notes"}


class RegistryError(ValueError):
    """A registry file that cannot be used, with the entry and the reason."""


@dataclass(frozen=True)
class Company:
    slug: str
    name: str
    sector: str
    platform: str
    careers_url: str | None = None
    # Platform identifiers (token, site, tenant, ...), as the platform's base spider declares them.
    ids: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None
    # Where the entry was read ("companies.toml, entry 3 (a24)"), for error messages.
    where: str = field(default="", compare=False, repr=False)


def default_registry_path() -> Path:
    return Path(str(resources.files("scrapers").joinpath("companies.toml")))


def resolve_registry_path(path: str | os.PathLike | None = None) -> Path:
    """An explicit path wins, then $PAYWATCH_REGISTRY, then the registry shipped with paywatch."""
    chosen = path or os.environ.get(REGISTRY_ENV)
    return Path(chosen) if chosen else default_registry_path()


def _read_text(registry_path: Path) -> str:
    try:
        return registry_path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        if registry_path == default_registry_path():
            # Shipped inside a zipped package (the egg a Scrapyd node runs): read through the package.
            return resources.files("scrapers").joinpath("companies.toml").read_text(encoding="utf-8")
        raise RegistryError(f"registry file not found: {registry_path}") from None


def _load_entries(registry_path: Path, text: str) -> list[Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"{registry_path}: not valid TOML: {error}") from None
    entries = data.get("company")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{registry_path}: expected one or more [[company]] entries")
    return entries


def _entry_problem(entry: Any) -> str | None:
    """What any entry needs, whatever its platform: the first thing missing or wrong, or None."""
    if not isinstance(entry, dict):
        return "not a table of keys"
    slug = entry.get("slug")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        return f"slug must be lower snake case, got {slug!r}"
    for key in ("name", "sector", "platform"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            return f"missing {key!r}"
    if entry["sector"] not in SECTORS:
        return f"sector must be one of {', '.join(SECTORS)}, got {entry['sector']!r}"
    careers_url = entry.get("careers_url")
    if careers_url is not None and not (isinstance(careers_url, str) and re.match(r"https?://[^\s/]+", careers_url)):
        return f"careers_url must be an http(s) URL, got {careers_url!r}"
    return None


def _company(entry: dict[str, Any], where: str) -> Company:
    return Company(
        slug=entry["slug"],
        name=entry["name"].strip(),
        sector=entry["sector"],
        platform=entry["platform"],
        careers_url=entry.get("careers_url"),
        ids={key: value for key, value in entry.items() if key not in _ENTRY_KEYS},
        notes=entry.get("notes"),
        where=where,
    )


def read_registry(path: str | os.PathLike | None = None) -> list[Company]:
    """Every entry of the registry file, checked for what any entry needs (not yet for its platform)."""
    registry_path = resolve_registry_path(path)
    companies: list[Company] = []
    seen: set[str] = set()
    for position, entry in enumerate(_load_entries(registry_path, _read_text(registry_path)), start=1):
        where = f"{registry_path}, entry {position} ({entry.get('slug', '?') if isinstance(entry, dict) else '?'})"
        problem = _entry_problem(entry)
        if problem:
            raise RegistryError(f"{where}: {problem}")
        if entry["slug"] in seen:
            raise RegistryError(f"{where}: slug {entry['slug']!r} is listed twice")
        seen.add(entry["slug"])
        companies.append(_company(entry, where))
    return companies


def _commented_entries(text: str) -> list[bool]:
    """For each ``[[company]]`` header of ``text``, in order: whether a comment line sits directly
    above it (the entry's source)."""
    lines = text.splitlines()
    return [index > 0 and lines[index - 1].lstrip().startswith("#")
            for index, line in enumerate(lines) if line.strip() == "[[company]]"]


def board_key(platform: str, ids: dict[str, Any]) -> tuple:
    """What makes two entries the same board: the platform and its identifiers, case aside."""
    return platform, tuple(sorted((key, str(value).lower()) for key, value in ids.items()))


def check_registry(path: str | os.PathLike | None = None,
                   platform_problem: Callable[[Company], str | None] = lambda company: None) -> list[str]:
    """Every problem of the registry file, found offline and all at once (``paywatch companies
    --check``): what any entry needs, ``platform_problem`` (its platform's identifiers), a source
    comment directly above each entry, no slug and no board listed twice. One line per problem,
    naming the entry; empty when the file is good."""
    registry_path = resolve_registry_path(path)
    text = _read_text(registry_path)
    entries, commented = _load_entries(registry_path, text), _commented_entries(text)
    problems: list[str] = []
    slugs: dict[str, str] = {}
    boards: dict[tuple, str] = {}
    for position, entry in enumerate(entries, start=1):
        slug = entry.get("slug", "?") if isinstance(entry, dict) else "?"
        where = f"entry {position} ({slug})"
        problem = _entry_problem(entry)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        company = _company(entry, where)
        platform = platform_problem(company)
        if platform:
            problems.append(f"{where}: {platform}")
        if position <= len(commented) and not commented[position - 1]:
            problems.append(f"{where}: no comment above it saying where its identifiers were found")
        if slug in slugs:
            problems.append(f"{where}: slug {slug!r} is also {slugs[slug]}")
        slugs.setdefault(slug, where)
        board = board_key(company.platform, company.ids)
        if company.ids and board in boards:
            problems.append(f"{where}: the same {company.platform} board as {boards[board]}")
        boards.setdefault(board, where)
    return problems
