"""allauth, told the site's name: its mails greet and sign off with the name of the site
(SITE_NAME, in the reader's language) rather than the host name the request came to. A mail
that cannot be sent (the mail server refuses, or does not answer within EMAIL_TIMEOUT) is
logged and the person told, rather than turning the sign-up into an error page after the
account was made."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)


def mail_failure(exc: Exception) -> str:
    """What went wrong with a mail, for the log: the kind of failure and the mail server's
    codes, never the addresses (a refused recipient's exception holds them)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _message in exc.recipients.values()})
        return f"SMTPRecipientsRefused {codes}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc.strerror or exc}"  # OSError: the connection


# allauth's mails by what their failure leaves the person to do. A mail sent in place of
# another, so as not to tell whether an address has an account (`account_already_exists` at
# sign-up, `unknown_account` at a password reset), fails with the same words as the other.
_SIGN_UP_MAILS = {"email_confirmation_signup", "account_already_exists"}
_RESET_MAILS = {"password_reset_key", "password_reset_code", "unknown_account"}
_NOTICES = {"password_changed", "password_set", "password_reset", "email_changed",
            "email_confirm", "email_deleted"}
# A confirmation mail counts against its address's limit (`confirm_email`) before it is sent:
# one that could not be sent gives the allowance back, so asking again is not refused.
_CONFIRMATIONS = {"email_confirmation", "email_confirmation_signup", "account_already_exists"}


# Set on a request whose mail could not be sent: it then says nothing of a mail sent, and its
# pages (account_mail.mail_unsent) say nothing of one either.
_UNSENT = "mianshi_mail_unsent"
UNSENT_TAG = "mail-unsent"


def _tell_unsent(request, mail: str) -> None:
    setattr(request, _UNSENT, True)
    if mail in _SIGN_UP_MAILS:
        messages.error(request, _(
            "The confirmation email could not be sent just now. To get a new one, log in again "
            "in a few minutes."), extra_tags=UNSENT_TAG)
    elif mail in _RESET_MAILS:
        messages.error(request, _(
            "The password reset email could not be sent just now. Please ask for it again in a "
            "few minutes."))
    elif mail in _NOTICES:  # the change itself is made; the mail only told of it
        messages.warning(request, _(
            "The change is saved, but the email that tells your addresses about it could not "
            "be sent."))
    else:
        messages.error(request, _(
            "The email could not be sent just now. Please try again in a few minutes."))


def subject_line(subject: str) -> str:
    """A mail's subject after the site's short name, in the reader's language."""
    return _("[Mianshi] %(subject)s") % {"subject": subject}


@dataclass(frozen=True)
class _NamedSite:
    name: str
    domain: str


def _another_accounts(email_address) -> bool:
    """Whether a non-primary address of one account is the address another account signed
    up with (added by a typo, or as someone else's)."""
    from accounts.models import User

    return not email_address.primary and User.objects.filter(
        email__iexact=email_address.email).exclude(pk=email_address.user_id).exists()


# The account the address's last confirmation link was for (kept as long as the allowance).
_LAST_LINK_FOR = "confirm-link-for:{}"


def _give_back_confirmation(request, email: str) -> None:
    """Give back the address's confirmation mail allowance (`confirm_email`, counted per
    address before a mail is sent)."""
    ratelimit.clear(request, action="confirm_email", key=email.lower())


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # Anyone can lock any account by failing to log in to it: "try again later" left its
        # owner guessing how long, whether the right password would do, and what else would.
        "too_many_login_attempts": gettext_lazy(
            "Too many failed logins for this account. It is locked for a few minutes, even "
            "with the right password; resetting the password unlocks it at once."),
    }

    def confirm_email(self, request, email_address) -> bool:
        """An address another account signed up with is that account's: added here besides
        this account's own, it cannot be confirmed (it would take it from its owner)."""
        if _another_accounts(email_address):
            self.add_message(request, messages.ERROR,
                             "account/messages/email_confirmation_failed.txt",
                             {"email": email_address.email})
            return False
        return super().confirm_email(request, email_address)

    def send_confirmation_mail(self, request, emailconfirmation, signup: bool) -> None:
        """No link for this account goes to another account's sign-in address: it could not
        be confirmed here. It counts as sent all the same (the address's allowance is used, the
        page says what it says for any address), so nothing tells whose the address is."""
        address = emailconfirmation.email_address
        cache.set(_LAST_LINK_FOR.format(address.email.lower()), address.user_id,
                  timeout=settings.CONFIRMATION_MAIL_EVERY_MINUTES * 60)
        if not signup and _another_accounts(address):
            return
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def should_send_confirmation_mail(self, request, email_address, signup: bool) -> bool:
        """At a sign-up or a login that needs the address confirmed: if the address's last
        link went out (or was held back) for another account that had added it, that used up
        the allowance its owner's link needs; give it back, once for each such link."""
        key = _LAST_LINK_FOR.format(email_address.email.lower())
        last_for = cache.get(key)
        if last_for is not None and last_for != email_address.user_id:
            cache.delete(key)
            _give_back_confirmation(request, email_address.email)
        return super().should_send_confirmation_mail(request, email_address, signup)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """One count of failed logins per account (`ACCOUNT_RATE_LIMITS["login_failed"]`,
        for the site's login and the admin's). allauth's own key begins with the current
        site's domain, which without the sites framework is the request's host name: each
        spelling of it that ALLOWED_HOSTS lets through (`Example.com`, `example.com.`,
        `example.com:443`) would count apart."""
        login = credentials.get("email", credentials.get("username", ""))
        return f"account:{login.lower()}"

    def add_message(self, request, level, message_template=None, message_context=None,
                    extra_tags="", message=None) -> None:
        if (message_template == "account/messages/email_confirmation_sent.txt"
                and getattr(request, _UNSENT, False)):
            return  # it was not sent: the error says so instead
        super().add_message(request, level, message_template, message_context, extra_tags,
                            message)

    def format_email_subject(self, subject: str) -> str:
        return subject_line(str(subject))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        domain = get_current_site(request).domain
        named = _NamedSite(name=str(settings.SITE_NAME), domain=domain)
        try:
            super().send_mail(template_prefix, email, {"current_site": named, **context})
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, server gone
            logger.error("could not send the mail %s: %s", template_prefix, mail_failure(exc))
            mail = template_prefix.rsplit("/", 1)[-1]
            if request is not None:
                if mail in _CONFIRMATIONS:
                    _give_back_confirmation(request, email)
                _tell_unsent(request, mail)
