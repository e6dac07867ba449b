"""Tests of accounts and teams; the sign-in helpers their modules share."""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse


def confirm_password(client, user, password) -> None:
    """Sign in and enter the password again, as changing sign-in addresses asks."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302


def link_from_last_mail() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^\s]+", body)
    assert match, body
    return match.group(0).split("testserver", 1)[-1]
