"""The Chinese catalog is complete, and the compiled .mo matches the .po it came from."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _po_entries(path: Path) -> dict[str, list[str]]:
    """msgid (with context) -> its msgstr values, from a .po file. Skips the header."""
    entries: dict[str, list[str]] = {}
    current: dict[str, str] = {}
    key = None

    def flush():
        if current.get("msgid"):
            ident = current["msgid"]
            if "msgctxt" in current:
                ident = f"{current['msgctxt']}\x04{ident}"
            entries[ident] = [v for k, v in current.items() if k.startswith("msgstr")]

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line and current:
                flush()
                current, key = {}, None
            continue
        if line.startswith('"'):
            current[key] += ast.literal_eval(line)
            continue
        key, _, value = line.partition(" ")
        current[key] = ast.literal_eval(value)
    return entries


def test_every_string_has_a_chinese_translation():
    entries = _po_entries(LOCALE / "django.po")
    assert len(entries) > 500
    missing = [msgid for msgid, values in entries.items() if not all(values)]
    assert missing == []


def test_compiled_catalog_matches_the_po_file():
    entries = _po_entries(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog
    compiled = {k if isinstance(k, str) else k[0] for k in catalog if k}
    assert compiled == set(entries), "run: python manage.py compilemessages"


def test_a_chinese_form_ends_its_labels_with_a_full_width_colon(client, db):
    """Django's own Chinese catalog keeps the half-width colon after a label; the site's does
    not."""
    zh = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "密码：</label>" in zh
    assert "密码:</label>" not in zh
    assert "Password:</label>" in en
