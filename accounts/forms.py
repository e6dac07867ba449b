from __future__ import annotations

import re
import unicodedata
import zoneinfo
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from allauth.account.forms import ChangePasswordForm as BaseChangePasswordForm
from allauth.account.forms import ResetPasswordForm as BaseResetPasswordForm
from allauth.account.forms import SignupForm as BaseSignupForm
from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

# The zones people live in, by region (not the database's aliases: "PRC", "Etc/GMT+8", which
# is UTC-8, "localtime").
_REGIONS = re.compile(r"(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian"
                      r"|Pacific)/[A-Za-z_/-]+|UTC")


def _listed_zones() -> set[str] | None:
    """The zones the time zone database lists by country (zone.tab), without its old names
    kept for compatibility (Asia/Chongqing, Asia/Calcutta, Asia/Saigon); None if this system
    has no such list (then every zone of a region is offered)."""
    for folder in zoneinfo.TZPATH:
        tab = Path(folder) / "zone.tab"
        if tab.is_file():
            return {line.split("\t")[2] for line in tab.read_text(encoding="utf-8").splitlines()
                    if line and not line.startswith("#") and line.count("\t") >= 2}
    return None


@cache
def _zone_names() -> list[str]:
    names = available_timezones()
    listed = _listed_zones()
    if listed:
        names = {name for name in names if name in listed or name == "UTC"}
    return sorted(name for name in names if _REGIONS.fullmatch(name))


def _zone_label(name: str, now: datetime) -> str:
    if name == "UTC":
        return name
    offset = now.astimezone(ZoneInfo(name)).strftime("%z")
    return f"{name.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})"


def _zone_choices() -> list[tuple[str, str]]:
    now = timezone.now()
    return [("", _("The site's (%(zone)s)") % {"zone": settings.TIME_ZONE}),
            *((name, _zone_label(name, now)) for name in _zone_names())]


# The name shown for someone without a display name (User.public_name), in either language:
# taken as a display name, it would pass one member off as another.
_NEUTRAL_NAME = re.compile(r"(learner|学员)\s*#?\s*\d+", re.IGNORECASE)


def checked_display_name(value: str) -> str:
    value = value.strip()
    # Compared as it reads: without invisible characters ("Learner\u200b12"), and with
    # full-width letters and digits as their plain forms.
    shown = "".join(ch for ch in unicodedata.normalize("NFKC", value)
                    if unicodedata.category(ch) != "Cf").strip()
    if _NEUTRAL_NAME.fullmatch(shown):
        raise forms.ValidationError(
            _("“%(name)s” is how the site names someone without a display name; choose "
              "another.") % {"name": value})
    return value


class ProfileForm(forms.ModelForm):
    time_zone = forms.TypedChoiceField(
        label=gettext_lazy("Time zone"), choices=_zone_choices, required=False, empty_value="",
        help_text=User._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = User
        fields = ["display_name", "time_zone", "desired_retention", "daily_new_limit",
                  "credit_in_corrections", "keyboard_shortcuts"]
        widgets = {
            "desired_retention": forms.NumberInput(attrs={"step": "0.01", "min": "0.7",
                                                          "max": "0.99"}),
            "daily_new_limit": forms.NumberInput(attrs={"min": "0", "max": "500"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kept = self.instance.time_zone
        field = self.fields["time_zone"]
        if kept and kept not in _zone_names():  # chosen where the list still held its aliases
            field.choices = [*field.choices, (kept, kept.replace("_", " "))]

    def clean_display_name(self) -> str:
        return checked_display_name(self.cleaned_data["display_name"])

    def clean_desired_retention(self) -> float:
        # Kept in the form's steps of 0.01: a finer value (sent by a script) would be shown
        # rounded and then refused by the browser when the settings are saved again.
        return round(self.cleaned_data["desired_retention"], 2)


# An address someone added to their account, besides the one they signed up with, is theirs
# only once they confirm it: until then it may be a typo for someone else's address. Such an
# address neither keeps its owner from signing up with it nor receives password resets.


def _claimed(email: str) -> bool:
    """Whether an account signs up with `email`, or has confirmed it."""
    return (User.objects.filter(email__iexact=email).exists()
            or EmailAddress.objects.filter(email__iexact=email)
            .exclude(verified=False, primary=False).exists())


class SignupForm(BaseSignupForm):
    display_name = forms.CharField(
        label=gettext_lazy("Display name (optional)"), required=False,
        max_length=User._meta.get_field("display_name").max_length,
        help_text=gettext_lazy("How the members of your teams see you. Without one you are "
                               "“Learner” and a number; Settings changes it."),
    )

    def clean_display_name(self) -> str:
        return checked_display_name(self.cleaned_data["display_name"])

    def validate_unique_email(self, value: str) -> str:
        if not _claimed(value):
            self.account_already_exists = False
            return value
        return super().validate_unique_email(value)

    def save(self, request):
        user = super().save(request)
        if user is not None and self.cleaned_data.get("display_name"):
            user.display_name = self.cleaned_data["display_name"]
            user.save(update_fields=["display_name"])
        if user is not None:  # the address is the new account's: no longer pending elsewhere
            EmailAddress.objects.filter(email__iexact=user.email, verified=False,
                                        primary=False).exclude(user=user).delete()
        return user


class ResetPasswordForm(BaseResetPasswordForm):
    def clean_email(self) -> str:
        email = super().clean_email()
        self.users = [user for user in self.users if user.email.lower() == email.lower()
                      or EmailAddress.objects.filter(user=user, email__iexact=email,
                                                     verified=True).exists()]
        return email


class ChangePasswordForm(BaseChangePasswordForm):
    def clean(self):
        cleaned = super().clean()
        old, new = cleaned.get("oldpassword"), cleaned.get("password1")
        if old and new and old == new:
            # Else "password changed" is said, and mailed to the account's addresses, for
            # nothing changed.
            self.add_error("password1", _("That is your current password: choose a new one."))
        return cleaned
