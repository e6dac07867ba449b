"""Addresses stored with capitals could not sign in (allauth looks them up lower-cased): store
them lower-cased. Where two accounts differ only in case, both are left as they are for an
administrator to merge, and named here."""

from django.db import migrations
from django.db.models.functions import Lower


def lowercase_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = User.objects.using(schema_editor.connection.alias)
    taken = {}
    for pk, email in users.values_list("pk", "email"):
        taken.setdefault(email.strip().lower(), []).append(pk)
    clashes = sorted(email for email, pks in taken.items() if len(pks) > 1)
    for user in users.exclude(email=Lower("email")).only("pk", "email"):
        lowered = user.email.strip().lower()
        if len(taken[lowered]) == 1:
            users.filter(pk=user.pk).update(email=lowered)
    if clashes:
        print(f"\n  Accounts whose addresses differ only in case, left as they are: "
              f"{', '.join(clashes)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_form_submissions")]

    operations = [migrations.RunPython(lowercase_emails, migrations.RunPython.noop)]
