from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from allauth.account.views import EmailView
from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import closing
from accounts.forms import ProfileForm
from accounts.models import User, UserManager
from accounts.personal_data import personal_data_file
from accounts.selectors import account_closing
from config.allowance import refusal, take_slot
from qa.services import daily

DATA_EXPORTS_PER_HOUR = 5


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    # A copy: a refused form must not leave its values on request.user, which the page's
    # header shows.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        lowered = form.cleaned_data["daily_new_limit"] < request.user.daily_new_limit
        user = form.save()
        messages.success(request, _("Your settings were saved."))
        left = daily.keep_within_new_limit(user=user) if lowered else 0
        if left:
            messages.info(request, ngettext(
                "%(n)d new question waiting in today's quiz left it, to keep within your new "
                "daily limit.",
                "%(n)d new questions waiting in today's quiz left it, to keep within your new "
                "daily limit.", left) % {"n": left})
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})


@login_required
@require_GET
@never_cache
def data_export(request: HttpRequest) -> HttpResponse:
    """All of the person's data as one JSON file."""
    # Years of study make a file of tens of megabytes and seconds of a worker: a few a day.
    if not take_slot(action="data-export", who=request.user.pk, limit=DATA_EXPORTS_PER_HOUR):
        return refusal(request, _(
            "You have downloaded your data %(n)d times in the last hour. Try again in a while "
            "(the count starts over every hour).") % {"n": DATA_EXPORTS_PER_HOUR})
    return FileResponse(
        personal_data_file(user=request.user), as_attachment=True,
        filename=f"mianshi-my-data-{timezone.localdate().isoformat()}.json",
        content_type="application/json; charset=utf-8",
    )


class AccountDeleteForm(forms.Form):
    confirm_email = forms.CharField(
        label=gettext_lazy("Type your email address to confirm"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # The address the account logs in with, named: another of its addresses is not it.
        self.fields["confirm_email"].label = _("Type %(email)s to confirm") % {
            "email": user.email}

    def clean_confirm_email(self) -> str:
        typed = UserManager.normalize_email(self.cleaned_data["confirm_email"])
        if typed != self.user.email.lower():
            raise forms.ValidationError(_(
                "Type the address this account logs in with, %(email)s, as shown.") % {
                "email": self.user.email})
        return typed


@reauthentication_required
def _delete_account(request: HttpRequest) -> HttpResponse:
    """The deletion itself, once the person has just entered their password again (allauth
    asks for it, then replays this request)."""
    try:
        closing.delete_account(user=request.user)
    except closing.AccountDeletionRefused as exc:
        messages.error(request, exc.message)
        return redirect("accounts:delete")
    logout(request)
    messages.success(request, _("Your account and everything in it were deleted."))
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    closing = account_closing(user=request.user)
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if closing.allowed and form.is_valid():
            return _delete_account(request)
        status = 400
    else:
        status = 200
    return render(request, "accounts/account_delete.html",
                  {"closing": closing, "form": form}, status=status)


class AddressesView(EmailView):
    """allauth's page of the account's addresses. A confirmation mail asked for again within
    the limit (`ACCOUNT_RATE_LIMITS["confirm_email"]`), by a resend or by adding the address
    again, is not sent, and allauth says nothing: the learner is told that the last one is
    still on its way."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        will_send = ratelimit.consume(self.request, action="confirm_email", key=email.lower(),
                                      dry_run=True)
        response = super().form_valid(form)
        if not will_send:
            self._sent_lately(email)
        return response

    def _action_send(self, request, *args, **kwargs):
        response = super()._action_send(request, *args, **kwargs)
        address = self._get_email_address(request)
        if address is not None and not self._did_send_verification_email:
            self._sent_lately(address.email)
        return response

    def _sent_lately(self, email: str) -> None:
        messages.info(self.request, _(
            "A confirmation link was sent to %(email)s less than %(minutes)d minutes ago: "
            "look for it in the inbox (and the spam folder), or ask again later."
        ) % {"email": email, "minutes": settings.CONFIRMATION_MAIL_EVERY_MINUTES})
