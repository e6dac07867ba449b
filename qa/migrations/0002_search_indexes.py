"""Full-text and trigram indexes for search, on PostgreSQL only.

SQLite (the development default) searches with a plain `LIKE` and needs no index here.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS qa_question_search_fts ON qa_question "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
    "CREATE INDEX IF NOT EXISTS qa_question_search_trgm ON qa_question "
    "USING gin (search_text gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS qa_question_search_trgm",
    "DROP INDEX IF EXISTS qa_question_search_fts",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("qa", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
