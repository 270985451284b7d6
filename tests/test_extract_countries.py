import json
from datetime import datetime, timezone

import pytest

from scrapers.extract import amazon, lever, smartrecruiters
from scrapers.extract.countries import country_code

CRAWL_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
KW = {"company": "x", "scraped_at": CRAWL_TIME}


@pytest.mark.parametrize("name, code", [("USA", "US"), ("United States", "US"), ("United Kingdom", "GB"),
                                        ("Canada", "CA"), ("de", "DE"), ("UK", "GB"), ("U.S.A.", "US"),
                                        ("Korea, Republic of", "KR"), ("CAN", "CA"), ("GBR", "GB"),
                                        ("Atlantis", None), (None, None)])
def test_country_codes(name, code):
    assert country_code(name) == code


# Each platform's country value, in whatever form it comes, ends up as the ISO alpha-2 code (or None).
@pytest.mark.parametrize("sent, code", [("GB", "GB"), ("gb", "GB"), ("UK", "GB"), ("GBR", "GB"), ("Atlantis", None),
                                        (None, None)])
def test_platform_country_values_go_through_country_code(sent, code):
    assert lever.parse_posting({"id": "1", "country": sent}, **KW).country == code
    sr_listing = {"id": "1", "location": {"city": "London", "country": sent}}
    assert smartrecruiters.parse_posting(sr_listing, None, **KW).country == code
    located = json.dumps({"normalizedLocation": "London", "countryIso2a": sent})
    assert amazon.parse_job({"id_icims": "1", "locations": [located]}, **KW).country == code
    assert amazon.parse_job({"id_icims": "1", "locations": [], "country_code": sent}, **KW).country == code
