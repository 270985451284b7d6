"""The platform table (registry platform name -> base spider class) and the registry checked against it.

Adding a platform is one module in this package: a PlatformSpider subclass declaring ``platform``,
its identifiers, ``base_url_setting`` and ``default_base_url``, with its extraction in
``scrapers/extract/<platform>.py``. Modules are discovered here, so nothing else needs editing.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil

from scrapers.platforms.base import PlatformSpider
from scrapers.registry import Company, RegistryError, check_registry, read_registry


def _discover() -> dict[str, type[PlatformSpider]]:
    table: dict[str, type[PlatformSpider]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, candidate in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(candidate, PlatformSpider)
                and candidate.__module__ == module.__name__
                and "platform" in candidate.__dict__
            ):
                if candidate.platform in table:
                    raise TypeError(f"two base spiders claim platform {candidate.platform!r}")
                table[candidate.platform] = candidate
    return table


PLATFORMS: dict[str, type[PlatformSpider]] = _discover()


def spider_class_for(company: Company) -> type[PlatformSpider]:
    """A spider class for one registry entry: name = slug, class = PascalCase + "Spider"."""
    base = PLATFORMS[company.platform]
    class_name = "".join(part.capitalize() for part in company.slug.split("_")) + "Spider"
    return type(class_name, (base,), {"name": company.slug, "company": company, "__module__": __name__})


def generated_for_registry(spider_class: type) -> bool:
    """True for a class ``spider_class_for`` made: a platform spider bound to an entry, no code of its own."""
    return spider_class.__module__ == __name__


def load_registry(path: str | os.PathLike | None = None) -> list[Company]:
    """The companies registry (``path``, else $PAYWATCH_REGISTRY, else the shipped one), every entry
    checked against what its platform needs; a bad entry raises RegistryError naming it."""
    companies = read_registry(path)
    for company in companies:
        platform = PLATFORMS.get(company.platform)
        if platform is None:
            known = ", ".join(sorted(PLATFORMS))
            raise RegistryError(f"{company.where}: unknown platform {company.platform!r} (known: {known})")
        problem = platform.entry_problem(company)
        if problem:
            raise RegistryError(f"{company.where}: {problem}")
    return companies


def check_entries(path: str | os.PathLike | None = None) -> list[str]:
    """Every problem of the registry file, offline (``paywatch companies --check``): one line each."""

    def platform_problem(company: Company) -> str | None:
        platform = PLATFORMS.get(company.platform)
        if platform is None:
            return f"unknown platform {company.platform!r} (known: {', '.join(sorted(PLATFORMS))})"
        return platform.entry_problem(company)

    return check_registry(path, platform_problem)
