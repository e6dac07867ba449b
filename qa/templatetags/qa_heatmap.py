"""The dashboard's year heatmap: its day squares, built in one pass.

As template markup (a loop with a pluralised, date-formatted tooltip per square), the 371 squares
cost more than the rest of the dashboard together; here they are one join of short strings.
"""

from __future__ import annotations

import functools
from datetime import date

from django import template
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext

register = template.Library()


@register.simple_tag
def heatmap_cells(heatmap: dict) -> SafeString:
    """`{% heatmap_cells heatmap %}`: the squares of qa.selectors.study.heatmap(), each with a
    tooltip such as "3 reviews on Nov. 29, 2026"."""
    size = int(heatmap["cell"])
    language = get_language()
    squares = [
        f'<rect class="hm-{int(cell["level"])}" x="{int(cell["x"])}" y="{int(cell["y"])}" '
        f'width="{size}" height="{size}" rx="2"><title>'
        f'{escape(_tooltip(int(cell["count"]), cell["date"], language))}</title></rect>'
        for cell in heatmap["cells"]
    ]
    # Safe: integers, and the tooltips escaped just above.
    return mark_safe("".join(squares))  # noqa: S308


@functools.lru_cache(maxsize=4096)
def _tooltip(count: int, day: date, language: str) -> str:
    # Every learner's heatmap shows the same year of days, mostly with no or few reviews: each
    # tooltip is formatted once per language. (`language` is part of the key: gettext and
    # date_format use the active one.) The message is the one the template used to render, so
    # the catalog's translation applies.
    return ngettext("%(n)s review on %(day)s", "%(n)s reviews on %(day)s", count) % {
        "n": count, "day": date_format(day, "DATE_FORMAT"),
    }
