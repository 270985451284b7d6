"""The platform table: registry platform name -> base spider class.

Adding a platform is one module here (a PlatformSpider subclass with its extraction in
``scrapers/extract/``) and one line in PLATFORMS.
"""

from __future__ import annotations

from scrapers.platforms.base import PlatformSpider
from scrapers.platforms.greenhouse import GreenhouseSpider
from scrapers.platforms.lever import LeverSpider
from scrapers.registry import Company

PLATFORMS: dict[str, type[PlatformSpider]] = {
    spider.platform: spider
    for spider in (
        GreenhouseSpider,
        LeverSpider,
    )
}


def spider_class_for(company: Company) -> type[PlatformSpider]:
    """A spider class for one registry entry: name = slug, class = PascalCase + "Spider"."""
    base = PLATFORMS[company.platform]
    class_name = "".join(part.capitalize() for part in company.slug.split("_")) + "Spider"
    return type(class_name, (base,), {"name": company.slug, "company": company, "__module__": __name__})
