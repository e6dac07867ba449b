"""Every account's address in allauth's table, as accounts.addresses.vouch_for_address keeps it
from now on: accounts made by createsuperuser or the admin had none there."""

from django.db import migrations


def add_missing_addresses(apps, schema_editor):
    db = schema_editor.connection.alias
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified = set(EmailAddress.objects.using(db).filter(verified=True)
                   .values_list("email", flat=True))
    missing = User.objects.using(db).exclude(
        pk__in=EmailAddress.objects.using(db).values("user_id")
    ).values_list("pk", "email")
    EmailAddress.objects.using(db).bulk_create([
        EmailAddress(user_id=pk, email=email, verified=True, primary=True)
        for pk, email in missing if email and email.lower() not in verified
    ], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_lowercase_emails"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(add_missing_addresses, migrations.RunPython.noop)]
