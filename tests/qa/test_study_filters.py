"""How long until a card comes back, and how long ago something happened, as pages say it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from qa.templatetags.qa_study import ago, until_short


@pytest.mark.parametrize(("offset", "said"), [
    (timedelta(seconds=-30), "less than a minute"),  # already due
    (timedelta(seconds=20), "less than a minute"),
    (timedelta(minutes=9, seconds=50), "10\xa0minutes"),  # "10m" on the grade button
    (timedelta(minutes=9, seconds=10), "9\xa0minutes"),
    (timedelta(days=4, hours=20), "4\xa0days"),
])
def test_until_short_never_says_zero_minutes_and_rounds_minutes(offset, said):
    with translation.override("en"):
        assert until_short(timezone.now() + offset) == said


@pytest.mark.parametrize(("offset", "said"), [
    (timedelta(seconds=5), "just now"),
    (timedelta(minutes=2, seconds=40), "3\xa0minutes ago"),
    (timedelta(days=2, hours=1), "2\xa0days ago"),
])
def test_ago_says_just_now_under_a_minute(offset, said):
    with translation.override("en"):
        assert ago(timezone.now() - offset) == said
    with translation.override("zh-hans"):
        assert ago(timezone.now() - timedelta(seconds=5)) == "刚刚"
