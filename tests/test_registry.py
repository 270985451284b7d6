"""Meta tests: the registry is valid, every company has a spider, every platform is wired."""

import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.platforms import PLATFORMS, spider_class_for
from scrapers.platforms import load_registry
from scrapers.registry import SECTORS, RegistryError
from tests.spider_helpers import project_settings

REPO = Path(__file__).resolve().parents[1]


def write_registry(tmp_path, body):
    path = tmp_path / "companies.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_every_entry_is_valid_and_unique():
    companies = load_registry()
    slugs = [company.slug for company in companies]
    assert len(slugs) == len(set(slugs))
    for company in companies:
        assert company.sector in SECTORS
        assert company.platform in PLATFORMS
        for key in PLATFORMS[company.platform].required_ids:
            assert company.ids.get(key), f"{company.slug} lacks {key}"


def test_every_registry_entry_says_where_its_id_was_found():
    text = (REPO / "scrapers" / "companies.toml").read_text(encoding="utf-8")
    blocks = text.split("[[company]]")[1:]
    previous_tails = text.split("[[company]]")[:-1]
    for block, before in zip(blocks, previous_tails):
        comment_lines = [line for line in before.strip().splitlines()[-3:] if line.startswith("#")]
        assert comment_lines, f"entry without a source comment: {block.strip().splitlines()[0]}"


def test_registry_uses_the_sector_vocabulary_and_covers_it():
    sectors = {company.sector for company in load_registry()}
    assert sectors <= set(SECTORS)
    assert {"studio", "streaming", "games", "animation_vfx", "music", "tech"} <= sectors


def test_spider_classes_follow_the_naming_convention():
    for company in load_registry():
        spider = spider_class_for(company)
        assert spider.name == company.slug
        assert spider.__name__ == "".join(p.capitalize() for p in company.slug.split("_")) + "Spider"
        assert spider.platform == company.platform


def test_every_platform_declares_its_base_url_setting_and_real_default():
    for name, spider in PLATFORMS.items():
        assert spider.base_url_setting.isupper(), name
        default = spider.default_base_url
        assert default == "" or default.startswith("https://"), f"{name} must default to the real endpoint"


def test_scrapy_list_shows_one_spider_per_registered_company():
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                            check=True)
    assert sorted(result.stdout.split()) == sorted(company.slug for company in load_registry())


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[company]]\nslug = "Bad Slug"\nname = "X"\nsector = "tech"\nplatform = "lever"\nsite = "x"\n', "lower snake case"),
        ('[[company]]\nslug = "x"\nname = "X"\nsector = "film"\nplatform = "lever"\nsite = "x"\n', "sector"),
        ('[[company]]\nslug = "x"\nname = "X"\nsector = "tech"\nplatform = "myspace"\nsite = "x"\n', "unknown platform"),
        ('[[company]]\nslug = "x"\nname = "X"\nsector = "tech"\nplatform = "lever"\n', "lever needs site"),
        ('[[company]]\nslug = "x"\nname = "X"\nsector = "tech"\nplatform = "lever"\nsite = "x"\ntoken = "y"\n', "not used by lever"),
        ('[[company]]\nslug = "x"\nname = "X"\nsector = "tech"\nplatform = "lever"\nsite = "x"\n' * 2, "listed twice"),
        ("not toml [", "not valid TOML"),
        ("", "one or more"),
    ],
)
def test_bad_registry_entries_fail_at_load_with_a_clear_reason(tmp_path, body, message):
    with pytest.raises(RegistryError, match=message):
        load_registry(write_registry(tmp_path, body))


def test_a_user_registry_replaces_the_shipped_one(tmp_path):
    path = write_registry(tmp_path, '[[company]]\nslug = "my_studio"\nname = "My Studio"\nsector = "studio"\n'
                                    'platform = "greenhouse"\ntoken = "mystudio"\n')
    from scrapers.loader import RegistrySpiderLoader
    from scrapy.settings import Settings

    settings = Settings(project_settings())
    settings.set("PAYWATCH_REGISTRY", str(path))
    assert RegistrySpiderLoader(settings).list() == ["my_studio"]
    assert [c.slug for c in load_registry(path)] == ["my_studio"]


def test_registry_entries_need_no_code_to_crawl(tmp_path):
    path = write_registry(tmp_path, '[[company]]\nslug = "new_co"\nname = "New Co"\nsector = "tech"\n'
                                    'platform = "lever"\nsite = "newco"\n')
    result = subprocess.run([sys.executable, "-m", "scrapy", "list", "-s", f"PAYWATCH_REGISTRY={path}"], cwd=REPO,
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["new_co"]


def test_companies_sharing_a_host_are_crawled_one_after_another():
    from scrapers.crawl import host_groups
    from scrapers.loader import RegistrySpiderLoader
    from scrapy.settings import Settings

    loader = RegistrySpiderLoader(Settings(project_settings()))
    companies = load_registry()
    groups = host_groups(companies, loader.load)
    greenhouse = {c.slug for c in companies if c.platform == "greenhouse"}
    assert {c.slug for c in groups["greenhouse"]} == greenhouse  # one shared API host, one queue
    workday = [c for c in companies if c.platform == "workday"]
    for company in workday:  # each Workday tenant has its own host, shared by the sites on that tenant
        assert [c.slug for c in groups[company.ids["host"]]] == [
            c.slug for c in workday if c.ids["host"] == company.ids["host"]]
    assert len(groups["xboxgaming.wd1.myworkdayjobs.com"]) == 3  # Blizzard, Activision and King: one host
    assert sum(len(group) for group in groups.values()) == len(companies)


def test_a_hand_written_spider_is_bound_to_its_registry_entry(tmp_path, monkeypatch):
    package = tmp_path / "my_spiders"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "my_studio.py").write_text(
        "from scrapers.platforms.greenhouse import GreenhouseSpider\n\n"
        "class MyStudioSpider(GreenhouseSpider):\n    name = 'my_studio'\n\n"
        "    def adjust_item(self, item, raw):\n        item.department = 'Tweaked'\n        return item\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write_registry(tmp_path, '[[company]]\nslug = "my_studio"\nname = "My Studio"\nsector = "studio"\n'
                                    'platform = "greenhouse"\ntoken = "mystudio"\n')
    from scrapers.loader import RegistrySpiderLoader
    from scrapy.settings import Settings

    settings = Settings(project_settings())
    settings.set("PAYWATCH_REGISTRY", str(path))
    settings.set("SPIDER_MODULES", ["my_spiders"])
    spider_cls = RegistrySpiderLoader(settings).load("my_studio")
    assert spider_cls.__name__ == "MyStudioSpider" and spider_cls.company.ids == {"token": "mystudio"}
    assert spider_cls.adjust_item.__qualname__ == "MyStudioSpider.adjust_item"


def test_the_demo_registry_agrees_with_the_shipped_one_on_each_company_it_shares():
    """The demo's companies are real ones: a sector (or name, or platform) of its own would make the
    demo's `--sector` answers differ from a real crawl's."""
    from scrapers.demo import DEMO_DIR

    shipped = {company.slug: company for company in load_registry()}
    demo = load_registry(str(DEMO_DIR / "companies.toml"))
    assert demo and all(company.slug in shipped for company in demo)
    assert [(c.slug, c.name, c.sector, c.platform) for c in demo] == [
        (c.slug, shipped[c.slug].name, shipped[c.slug].sector, shipped[c.slug].platform) for c in demo]
