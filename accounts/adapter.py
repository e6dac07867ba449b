"""allauth, told the site's name: its mails greet and sign off with the name of the site
(SITE_NAME, in the reader's language) rather than the host name the request came to."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site


@dataclass(frozen=True)
class _NamedSite:
    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        domain = get_current_site(allauth_context.request).domain
        named = _NamedSite(name=str(settings.SITE_NAME), domain=domain)
        super().send_mail(template_prefix, email, {"current_site": named, **context})
