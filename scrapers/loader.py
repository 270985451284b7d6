"""A SpiderLoader that adds one spider per registry entry to the hand-written ones.

`scrapy list` then shows every registered company and `scrapy crawl <slug>` works. A module
`scrapers/spiders/<slug>.py` with a hand-written subclass takes precedence over the generated class.
"""

from __future__ import annotations

from scrapy.spiderloader import SpiderLoader
from scrapy.settings import BaseSettings

from scrapers.platforms import spider_class_for
from scrapers.registry import load_registry


class RegistrySpiderLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings):
        self.registry_path = settings.get("PAYWATCH_REGISTRY")
        super().__init__(settings)

    def _load_all_spiders(self) -> None:
        super()._load_all_spiders()
        for company in load_registry(self.registry_path):
            if company.slug not in self._spiders:
                self._spiders[company.slug] = spider_class_for(company)
