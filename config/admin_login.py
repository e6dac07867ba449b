"""The admin's login form, rate-limited like the site's own login.

allauth limits failed logins only on its own views; the admin has a separate login page that
would otherwise allow unlimited password guessing against staff accounts. This form
authenticates through allauth's adapter, so both pages share one policy and one counter
(`ACCOUNT_RATE_LIMITS["login_failed"]`, kept in the shared cache): too many failures for an
account, or from an address, and the admin refuses that login, even with the right password,
until the window has passed.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib.admin.forms import AdminAuthenticationForm


class RateLimitedAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            # Raises a ValidationError ("Too many failed login attempts...") when limited;
            # a successful login does not use up the allowance.
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, email=username, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
