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


def test_html_to_text_removes_tags_as_w3lib_does():
    # html_to_text substitutes w3lib's own tag pattern directly; a w3lib that changed it must show here.
    from w3lib.html import remove_tags

    from scrapers.extract.common import _ANY_TAG, html_to_text

    markup = '<div class="a"><p>Pay <b>$1</b> &amp; more</p><ul><li>one</li><li x="y>z">two</li></ul>a < b > c<br/>end</div>'
    assert _ANY_TAG.sub("", markup) == remove_tags(markup)
    assert html_to_text("<p>Pay <b>$1</b> &amp; more</p><ul><li>one</li></ul>a < b<br/>end") == \
        "Pay $1 & more\n\n• one\n\na < b\nend"


def test_html_to_text_squeezes_every_kind_of_space_and_strips_each_line():
    from scrapers.extract.common import html_to_text

    assert html_to_text("<p> a\u00a0\u00a0b \t c\u2009</p>\n\n\n\n<p>\u3000d\u2028 </p>") == "a b c\n\nd"
