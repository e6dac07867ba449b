"""search_text keeps a word joined by `-`, `_` or `.` as its parts (`gpt-3.5` → gpt 3 5), which
PostgreSQL's parser then reads as words, not as a word and a signed number: rebuild it for
every question."""

import importlib

from django.db import migrations

rebuild_search_text = importlib.import_module("qa.migrations.0005_search_vector").rebuild_search_text


class Migration(migrations.Migration):
    dependencies = [("qa", "0012_studystate_previous")]

    operations = [migrations.RunPython(rebuild_search_text, migrations.RunPython.noop)]
