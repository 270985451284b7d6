from datetime import datetime, timezone

import pytest

from scrapers.extract.common import PageShapeError, int_or_none, ref_text, required_int, required_list, stamped_posting


@pytest.mark.parametrize("sent, ref", [
    (123, "123"), ("abc-1", "abc-1"), (" x ", " x "), (0, "0"), ("", None), (None, None),
])
def test_ref_text_keeps_the_id_as_sent(sent, ref):
    assert ref_text(sent) == ref


@pytest.mark.parametrize("sent, number", [
    (7, 7), (0, 0), (True, None), (False, None), (7.0, None), ("7", None), (None, None),
])
def test_int_or_none_takes_whole_numbers_only(sent, number):
    assert int_or_none(sent) == number and type(int_or_none(sent)) is type(number)


def test_required_fields_name_the_reply_and_key_when_missing():
    assert required_list({"jobs": []}, "jobs", "Board reply") == []
    for data in ({"jobs": {}}, {}, [], None):
        with pytest.raises(PageShapeError, match=r"^Board reply has no 'jobs' list$"):
            required_list(data, "jobs", "Board reply")
    assert required_int({"count": 3}, "count", "List reply") == 3
    with pytest.raises(PageShapeError, match=r"^List reply has no integer 'count'$"):
        required_int({"count": True}, "count", "List reply")


def test_stamped_posting_carries_platform_company_and_crawl_time():
    crawl = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
    posting = stamped_posting("lever", "acme", crawl, ref="1", title="Role")
    assert (posting.platform, posting.company, posting.ref, posting.title) == ("lever", "acme", "1", "Role")
    assert posting.scraped_at == "2026-11-20T03:00:00+00:00"
