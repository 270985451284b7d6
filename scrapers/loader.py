"""A SpiderLoader that adds one spider per registry entry to the hand-written ones.

`scrapy list` then shows every registered company and `scrapy crawl <slug>` works. A module
`scrapers/spiders/<slug>.py` with a hand-written subclass of a platform spider takes precedence over
the generated class; it names only its slug, and is bound here to that slug's registry entry.
"""

from __future__ import annotations

from scrapy.spiderloader import SpiderLoader
from scrapy.settings import BaseSettings

from scrapers.platforms import load_registry, spider_class_for


class RegistrySpiderLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings):
        self.registry_path = settings.get("PAYWATCH_REGISTRY")
        super().__init__(settings)

    def _load_all_spiders(self) -> None:
        super()._load_all_spiders()
        for company in load_registry(self.registry_path):
            hand_written = self._spiders.get(company.slug)
            if hand_written is None:
                self._spiders[company.slug] = spider_class_for(company)
            elif getattr(hand_written, "company", False) is None:
                self._spiders[company.slug] = type(hand_written.__name__, (hand_written,),
                                                   {"company": company, "__module__": hand_written.__module__})
