"""Each pipeline as a unit: what it does to an item and what it counts."""

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from pipelines.archive_writer import crawl_status
from pipelines.clean import CleanPipeline
from pipelines.pay_range import PayRangePipeline
from pipelines.role_type import RoleTypePipeline
from pipelines.validate import ValidatePipeline
from scrapers.items import JobPosting
from tests.spider_helpers import project_settings


def build(pipeline_cls, **settings):
    crawler = get_crawler(settings_dict={**project_settings(), **settings})
    crawler.stats.open_spider()
    return pipeline_cls.from_crawler(crawler), crawler.stats


def posting(**fields):
    base = dict(platform="lever", company="acme", ref="abc", title="Senior Machine Learning Engineer",
                department="Engineering / Personalization", description="Build recommendation models.")
    return JobPosting(**{**base, **fields})


class TestValidate:
    @pytest.mark.parametrize("field_name", ["ref", "title"])
    @pytest.mark.parametrize("value", [None, "", "   "])
    def test_missing_identity_or_title_is_dropped_and_counted(self, field_name, value):
        pipeline, stats = build(ValidatePipeline)
        with pytest.raises(DropItem, match=f"no {field_name}"):
            pipeline.process_item(posting(**{field_name: value}))
        assert stats.get_value(f"paywatch/dropped/missing_{field_name}") == 1

    def test_duplicates_within_a_crawl_are_counted_and_left_to_the_archive(self):
        # The archive keeps the same copy whatever the order (tests/test_archive.py); dropping the
        # second copy here would make the version depend on the order the platform listed them in.
        pipeline, stats = build(ValidatePipeline)
        first, second = posting(), posting(title="Staff Machine Learning Engineer")
        assert pipeline.process_item(first) is first and pipeline.process_item(second) is second
        assert stats.get_value("paywatch/items/duplicate") == 1
        assert stats.get_value("paywatch/items/valid") == 2


class TestClean:
    def test_strings_are_trimmed_and_locations_deduplicated(self):
        pipeline, _ = build(CleanPipeline)
        item = pipeline.process_item(posting(title="  Senior\n Engineer ", country="us",
                                             locations=["NYC ", "NYC", "", None, "LA"]))
        assert (item.title, item.country, item.locations) == ("Senior Engineer", "US", ["NYC", "LA"])

    def test_can_be_turned_off(self):
        with pytest.raises(NotConfigured):
            build(CleanPipeline, PAYWATCH_CLEAN_ENABLED=False)


class TestPayRange:
    def test_structured_platform_pay_wins_over_text(self):
        pipeline, stats = build(PayRangePipeline)
        structured = {"min": 100.0, "max": 200.0, "currency": "USD", "period": "year", "basis": "unknown",
                      "label": None, "raw": "salaryRange", "source": "structured", "period_inferred": False,
                      "annual_min": 100.0, "annual_max": 200.0, "annualized": False}
        item = pipeline.process_item(posting(pay_ranges=[structured], pay_text="The range is $300,000 - $400,000."))
        # 100-200 "per year" is kept as published, and flagged: no yearly pay is that small.
        assert item.pay_ranges == [{**structured, "period_suspect": True}] and item.pay_source == "structured"
        assert stats.get_value("paywatch/pay/structured") == 1

    def test_pay_text_is_parsed_before_the_description(self):
        pipeline, _ = build(PayRangePipeline)
        item = pipeline.process_item(posting(pay_text="The base salary range is $150,000 - $190,000 per year.",
                                             description="Our last round was $50M; salary $1 - $2."))
        [pay] = item.pay_ranges
        assert (pay["min"], pay["max"], pay["currency"], pay["period"]) == (150000, 190000, "USD", "year")
        assert pay["source"] == "text" and item.pay_source == "pay_text"

    def test_description_is_the_fallback_and_country_sets_the_dollar(self):
        pipeline, _ = build(PayRangePipeline)
        item = pipeline.process_item(posting(country="AU", description="Salary: $120,000 - $140,000 per annum."))
        [pay] = item.pay_ranges
        assert pay["currency"] == "AUD" and item.pay_source == "description"

    def test_no_pay_is_counted_not_an_error(self):
        pipeline, stats = build(PayRangePipeline)
        item = pipeline.process_item(posting(description="We have 401(k) matching and 5-7 years of experience."))
        assert item.pay_ranges == [] and item.pay_source is None
        assert stats.get_value("paywatch/pay/none") == 1

    def test_a_parser_crash_keeps_the_item(self, monkeypatch):
        import pipelines.pay_range as module

        def broken(*args, **kwargs):
            raise RuntimeError("bug")

        monkeypatch.setattr(module, "parse_pay", broken)
        pipeline, stats = build(PayRangePipeline)
        item = pipeline.process_item(posting(pay_text="$1 - $2"))
        assert item.pay_ranges == [] and stats.get_value("paywatch/pay/parser_error") == 1


class TestRoleType:
    def test_role_type_ai_flag_and_seniority_are_set(self):
        pipeline, stats = build(RoleTypePipeline)
        item = pipeline.process_item(posting())
        assert (item.role_type, item.ai_related, item.seniority) == ("engineering", True, "senior")
        assert stats.get_value("paywatch/roles/engineering") == 1

    def test_department_is_used(self):
        pipeline, _ = build(RoleTypePipeline)
        item = pipeline.process_item(posting(title="Associate", department="Finance / Accounting"))
        assert item.role_type == "corporate"


class TestCrawlStatus:
    def test_complete_only_when_finished_clean_and_non_empty(self):
        assert crawl_status("finished", [], 3, 0) == ("complete", None)
        assert crawl_status("closespider_timeout", [], 3, 0)[0] == "failed"
        assert crawl_status("shutdown", [], 3, 0)[0] == "failed"
        assert crawl_status("finished", ["request failed: x", "y"], 3, 0) == ("failed", "request failed: x (+1 more)")
        assert crawl_status("finished", [], 0, 0) == ("failed", "no postings returned")
        assert crawl_status("finished", [], 0, 4) == ("failed", "all 4 postings were dropped")
