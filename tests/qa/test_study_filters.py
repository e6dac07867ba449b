"""How long until a card comes back, and how long ago something happened, as pages say it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from qa.templatetags.qa_study import ago, until_short


@pytest.mark.parametrize(("offset", "said"), [
    (timedelta(seconds=-30), "less than a minute"),  # already due
    (timedelta(seconds=20), "less than a minute"),
    (timedelta(minutes=9, seconds=50), "10 minutes"),  # "10m" on the grade button
    (timedelta(minutes=9, seconds=10), "9 minutes"),
    (timedelta(days=4, hours=20), "5 days"),  # "5d" on the grade button
    (timedelta(days=8), "8 days"),  # not "1 week": the button said "8d"
    (timedelta(days=95), "3 months"),
])
def test_until_short_never_says_zero_minutes_and_rounds_minutes(offset, said):
    with translation.override("en"):
        assert until_short(timezone.now() + offset) == said


@pytest.mark.parametrize(("offset", "said"), [
    (timedelta(seconds=5), "just now"),
    (timedelta(minutes=2, seconds=40), "3 minutes ago"),
    (timedelta(days=2, hours=1), "2 days ago"),
])
def test_ago_says_just_now_under_a_minute(offset, said):
    with translation.override("en"):
        assert ago(timezone.now() - offset) == said
    with translation.override("zh-hans"):
        assert ago(timezone.now() - timedelta(seconds=5)) == "刚刚"


def test_pages_and_grade_buttons_name_days_alike_in_chinese():
    """The grade button says "8天"; the summary said "1 周" and the dashboard "2 日"."""
    from qa.scheduling import humanize_interval

    with translation.override("zh-hans"):
        assert humanize_interval(timedelta(days=8)) == "8天"
        assert until_short(timezone.now() + timedelta(days=8)) == "8 天"
        assert ago(timezone.now() - timedelta(days=2)) == "2 天前"
        assert until_short(timezone.now() + timedelta(days=95)) == "3 个月"
