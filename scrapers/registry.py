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
from typing import Any

SECTORS = ("studio", "tech")
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


def read_registry(path: str | os.PathLike | None = None) -> list[Company]:
    """Every entry of the registry file, checked for what any entry needs (not yet for its platform)."""
    registry_path = resolve_registry_path(path)
    try:
        data = tomllib.loads(registry_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"registry file not found: {registry_path}") from None
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"{registry_path}: not valid TOML: {error}") from None

    entries = data.get("company")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{registry_path}: expected one or more [[company]] entries")

    companies: list[Company] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        where = f"{registry_path}, entry {position} ({entry.get('slug', '?')})"
        slug = entry.get("slug")
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
            raise RegistryError(f"{where}: slug must be lower snake case, got {slug!r}")
        if slug in seen:
            raise RegistryError(f"{where}: slug {slug!r} is listed twice")
        seen.add(slug)
        for key in ("name", "sector", "platform"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise RegistryError(f"{where}: missing {key!r}")
        if entry["sector"] not in SECTORS:
            raise RegistryError(f"{where}: sector must be one of {', '.join(SECTORS)}, got {entry['sector']!r}")
        companies.append(
            Company(
                slug=slug,
                name=entry["name"].strip(),
                sector=entry["sector"],
                platform=entry["platform"],
                careers_url=entry.get("careers_url"),
                ids={key: value for key, value in entry.items() if key not in _ENTRY_KEYS},
                notes=entry.get("notes"),
                where=where,
            )
        )
    return companies
