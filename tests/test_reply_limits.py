"""Every reply is bounded: each platform's DOWNLOAD_WARNSIZE / DOWNLOAD_MAXSIZE (scrapers/platforms/base.py,
``reply_limits``)."""

from pathlib import Path

import pytest
from scrapy.settings import Settings

from scrapers.platforms import PLATFORMS

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
MiB = 1 << 20


def platform_settings(spider_class, **cmdline):
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    spider_class.update_settings(settings)
    return settings


def saved_replies(platform):
    """The saved replies of a platform: every file with a .meta.json saying where it came from."""
    return [path for path in (FIXTURES / platform).iterdir()
            if not path.name.endswith(".meta.json") and path.with_name(f"{path.stem}.meta.json").exists()]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_platform_bounds_its_replies_above_its_largest_saved_reply(platform):
    spider_class = PLATFORMS[platform]
    assert "largest_reply" in vars(spider_class), f"{platform} states no largest reply"
    settings = platform_settings(spider_class)
    warn, limit = settings.getint("DOWNLOAD_WARNSIZE"), settings.getint("DOWNLOAD_MAXSIZE")
    largest = max(path.stat().st_size for path in saved_replies(platform))
    assert largest < warn < limit <= 128 * MiB  # Scrapy's own default is 1 GiB
    assert limit >= 2 * spider_class.largest_reply


def test_the_whole_board_platforms_allow_the_largest_boards_and_the_paged_ones_far_less():
    limits = {name: platform_settings(spider).getint("DOWNLOAD_MAXSIZE") for name, spider in PLATFORMS.items()}
    assert limits["greenhouse"] > 80 * MiB and limits["successfactors"] > 80 * MiB  # 2,000-posting boards, whole
    assert limits["workday"] == limits["oracle"] == 8 * MiB


def test_a_size_given_on_the_command_line_wins_over_the_platform_s_own():
    settings = platform_settings(PLATFORMS["greenhouse"], DOWNLOAD_MAXSIZE=1000, DOWNLOAD_WARNSIZE=500)
    assert (settings.getint("DOWNLOAD_MAXSIZE"), settings.getint("DOWNLOAD_WARNSIZE")) == (1000, 500)
