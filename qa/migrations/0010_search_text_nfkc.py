"""search_text folds full-width Latin and digits and compatibility ideographs (NFKC), so a
question written with `ＲＬＨＦ` is found by `rlhf`: rebuild it for every question."""

import importlib

from django.db import migrations

rebuild_search_text = importlib.import_module("qa.migrations.0005_search_vector").rebuild_search_text


class Migration(migrations.Migration):
    dependencies = [("qa", "0009_set_visibility_before_link")]

    operations = [migrations.RunPython(rebuild_search_text, migrations.RunPython.noop)]
