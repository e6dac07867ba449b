"""Search by character pairs over a stored tsvector (qa/search.py says why).

1. Every question's `search_text` is rebuilt with the current tokeniser. This imports
   qa.search on purpose: the stored tokens must be the ones queries are cut into.
2. PostgreSQL only: `search_vector`, a column generated from `search_text` and GIN-indexed,
   replaces the expression and trigram indexes of migration 0002. Ranking reads the stored
   vector instead of recomputing it for every match, and phrase queries check positions
   without re-parsing the text. It is not a model field, so no page ever loads it.
"""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS qa_question_search_fts",
    "DROP INDEX IF EXISTS qa_question_search_trgm",
    "ALTER TABLE qa_question ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX qa_question_search_vector ON qa_question USING gin (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS qa_question_search_vector",
    "ALTER TABLE qa_question DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX IF NOT EXISTS qa_question_search_fts ON qa_question "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
    "CREATE INDEX IF NOT EXISTS qa_question_search_trgm ON qa_question "
    "USING gin (search_text gin_trgm_ops)",
]
BATCH = 2000


def rebuild_search_text(apps, schema_editor):
    from qa.search import build_search_text

    Question = apps.get_model("qa", "Question")
    Tagging = Question.tags.through
    db = schema_editor.connection.alias
    tags: dict[int, list[str]] = {}
    for question_id, name in (Tagging.objects.using(db).order_by("pk")
                              .values_list("question_id", "tag__name")):
        tags.setdefault(question_id, []).append(name)
    batch = []
    for question in (Question.objects.using(db).only("pk", "prompt", "answer", "search_text")
                     .order_by("pk").iterator(chunk_size=BATCH)):
        question.search_text = build_search_text(question.prompt, question.answer,
                                                 *tags.get(question.pk, []))
        batch.append(question)
        if len(batch) == BATCH:
            Question.objects.using(db).bulk_update(batch, ["search_text"])
            batch = []
    Question.objects.using(db).bulk_update(batch, ["search_text"])


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("qa", "0004_merge_20261130_0021")]

    operations = [
        migrations.RunPython(rebuild_search_text, migrations.RunPython.noop),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
