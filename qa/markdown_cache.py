"""Rendered Markdown kept in Django's cache.

A quiz card shows the same prompt and reference answer to every learner, so rendering them on
every request is wasted work. The key is a digest of the text itself (not the question id and
`answer_version`): a typo fix changes the text without bumping the version, and must never be
served stale. qa.markdown stays the one place that turns text into HTML.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from qa.markdown import render_markdown

CACHE_SECONDS = 24 * 3600
# Bump when qa.markdown's output changes (allowed tags, extensions), so old HTML is not reused.
_KEY_PREFIX = "md1:"


def cached_markdown(text: str) -> SafeString:
    if not text:
        return render_markdown(text)
    key = _KEY_PREFIX + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    html = cache.get(key)
    if html is None:
        html = str(render_markdown(text))
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered and sanitised by qa.markdown
