"""Study sets and banks as Anki decks (.apkg): one note per published question, the answer
rendered from Markdown as on the site, with note and deck ids stable across exports so a
re-import updates the learner's cards instead of duplicating them.

A question is the same Anki note in every export (its guid comes from its key, its note type
from its bank), so the decks of a bank and of sets that share its questions agree: Anki skips a
note whose guid it already holds under another note type."""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterable

import genanki

from qa.exporters import ExportRow, bank_rows, set_rows
from qa.markdown import render_markdown
from qa.models import Bank, StudySet

ANKI_CSS = """
.card { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 18px;
        text-align: left; color: #1d2330; background: #fff; line-height: 1.6; }
.note { color: #5b6475; font-size: .9em; border-left: 3px solid #d0d5dd; padding-left: .6em; }
pre, code { font-family: ui-monospace, monospace; font-size: .9em; }
.align-center { text-align: center; }
.align-right { text-align: right; }
"""


def stable_anki_id(*parts: object) -> int:
    """An id in genanki's recommended range, the same every time for the same parts."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def _anki_model(bank: Bank) -> genanki.Model:
    """The note type of `bank`'s questions, whichever deck holds them."""
    return genanki.Model(
        stable_anki_id("mianshi", "bank", "model", bank.slug),
        f"Mianshi question · {bank.title}",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Note"}, {"name": "Key"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Question}}",
                "afmt": (
                    '{{FrontSide}}<hr id="answer">{{Answer}}'
                    '{{#Note}}<div class="note">{{Note}}</div>{{/Note}}'
                ),
            }
        ],
        css=ANKI_CSS,
        sort_field_index=3,
    )


def _anki_tag(text: str) -> str:
    return "_".join(text.split())


# Anki separates a note's fields with \x1f; control characters have no place in a card.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _field(text: str) -> str:
    return _CONTROL.sub("", text)


def _plain_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def rows_to_apkg(rows: Iterable[ExportRow], *, deck_name: str, kind: str,
                 identity: object) -> bytes:
    """An Anki package (.apkg): a zip holding a SQLite collection with one note per question.

    The deck id derives from what is exported (`kind`, `identity`: a set's id, a bank's slug),
    each note's guid from the question key and its note type from the question's bank's slug,
    so importing a newer export into Anki updates notes instead of duplicating them, also
    after the site was restored from a backup (which keeps keys and slugs, not the bank's
    ids). `::` would nest decks in Anki."""
    deck = genanki.Deck(stable_anki_id("mianshi", kind, "deck", identity),
                        _field(deck_name).replace("::", ":"))
    models: dict[int, genanki.Model] = {}
    for row in rows:
        q = row.question
        model = models.get(q.bank_id) or models.setdefault(q.bank_id, _anki_model(q.bank))
        tags = [_anki_tag(f"{q.bank.slug}::{q.section.key}")]
        tags += [_anki_tag(name) for name in row.tags]
        deck.add_note(
            genanki.Note(
                model=model,
                fields=[_field(text) for text in (
                    _plain_html(q.prompt),
                    str(render_markdown(q.answer)),
                    str(render_markdown(row.note)),  # Markdown, as the set's page shows it
                    html.escape(q.key),
                )],
                tags=tags,
                guid=genanki.guid_for("mianshi", q.key),
            )
        )
    return _write_package(genanki.Package(deck))


def _write_package(package: genanki.Package) -> bytes:
    # genanki's write_to_file leaves its temporary database behind; write it ourselves.
    fd, db_path = tempfile.mkstemp(suffix=".anki2")
    os.close(fd)
    try:
        conn = sqlite3.connect(db_path)
        try:
            timestamp = time.time()
            package.write_to_db(conn.cursor(), timestamp, _id_counter(timestamp))
            _write_checksums(conn)
            conn.commit()
        finally:
            conn.close()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(db_path, "collection.anki2")
            archive.writestr("media", "{}")
        return out.getvalue()
    finally:
        os.unlink(db_path)


def _write_checksums(conn: sqlite3.Connection) -> None:
    """Each note's first-field checksum, which genanki leaves at 0: Anki finds duplicates by
    it, and importers that copy it as it is would only repair it on "Check Database"."""
    conn.executemany("UPDATE notes SET csum = ? WHERE id = ?", [
        (anki_checksum(fields.split("\x1f", 1)[0]), note_id)
        for note_id, fields in conn.execute("SELECT id, flds FROM notes").fetchall()
    ])


_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)


def anki_checksum(field: str) -> int:
    """Anki's field checksum: the first 8 hex digits of the SHA-1 of the field's text without
    its HTML (entities decoded, a no-break space among them read as a space), as a number."""
    text = _TAG.sub("", field)
    if "&" in text:
        text = html.unescape(text).replace("\xa0", " ")
    return int(hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8], 16)


def _id_counter(timestamp: float):
    return itertools.count(int(timestamp * 1000))


def set_to_apkg(study_set: StudySet) -> bytes:
    return rows_to_apkg(set_rows(study_set), deck_name=study_set.title, kind="set",
                        identity=study_set.pk)


def bank_to_apkg(bank: Bank) -> bytes:
    return rows_to_apkg(bank_rows(bank), deck_name=bank.title, kind="bank", identity=bank.slug)
