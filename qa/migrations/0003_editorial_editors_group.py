"""The "Editors" group with exactly the permissions an editor needs.

Permissions are normally created by a post_migrate handler, i.e. after this migration would run
on a fresh database, so they are created here first (create_permissions is idempotent). The list
is frozen here on purpose; qa.editorial.EDITOR_PERMISSIONS is the live copy and a test pins that
the two agree.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

EDITORS_GROUP = "Editors"
EDITOR_PERMISSIONS = [
    ("qa", "view_bank"),
    ("qa", "add_bank"),
    ("qa", "change_bank"),
    ("qa", "view_section"),
    ("qa", "add_section"),
    ("qa", "change_section"),
    ("qa", "view_tag"),
    ("qa", "add_tag"),
    ("qa", "change_tag"),
    ("qa", "view_question"),
    ("qa", "add_question"),
    ("qa", "change_question"),
    ("qa", "view_historicalquestion"),
    ("qa", "view_errorreport"),
    ("qa", "change_errorreport"),
]


def create_editors_group(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=db_alias)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    condition = Q(pk__in=[])
    for app_label, codename in EDITOR_PERMISSIONS:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.using(db_alias).filter(condition))
    missing = set(EDITOR_PERMISSIONS) - {(p.content_type.app_label, p.codename) for p in permissions}
    if missing:
        raise RuntimeError(f"Permissions not found for the Editors group: {sorted(missing)}")
    group, _ = Group.objects.using(db_alias).get_or_create(name=EDITORS_GROUP)
    group.permissions.set(permissions)


def remove_editors_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=EDITORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0002_search_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
