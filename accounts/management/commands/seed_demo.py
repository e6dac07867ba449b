"""Create the development demo accounts (idempotent). Refuses to run with DEBUG off."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEMO_ACCOUNTS = [
    # (email, password, display name, is_editor)
    ("learner@example.com", "learner-demo-pass", "Demo learner", False),
    ("editor@example.com", "editor-demo-pass", "Demo editor", True),
]


class Command(BaseCommand):
    help = "Create a demo learner and a demo editor for local development (DEBUG only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for development only (DEBUG is off).")
        for email, password, name, is_editor in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(
                email=email, defaults={"display_name": name}
            )
            user.set_password(password)
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if is_editor:
                from qa.editorial import make_editor

                make_editor(user)
            verb = "created" if created else "ready"
            role = "editor" if is_editor else "learner"
            self.stdout.write(f"  {role:8} {email}  password: {password}  ({verb})")
