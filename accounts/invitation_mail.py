"""The invitation mail: what it says, and what the page that made the invitation says of it
(sent once the invitation is committed, so the team is not locked while the mail goes)."""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.core.mail import send_mail
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services
from accounts.adapter import mail_failure, subject_line
from accounts.models import Invitation

logger = logging.getLogger(__name__)


def _in_zone_and_utc(moment: datetime) -> str:
    """`moment` in the inviter's time zone, named, and in UTC: the invited may live in
    another zone."""
    local = f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    zone = timezone.get_current_timezone_name()
    if zone == "UTC":
        return f"{local} (UTC)"
    return f"{local} ({zone}; {moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"


def send_invitation_email(*, invitation: Invitation, accept_url: str) -> None:
    """Mail the link to the invited address through the site's mail backend."""
    if not invitation.email:
        return
    inviter = invitation.created_by.public_name if invitation.created_by else ""
    subject = subject_line(
        _("You are invited to join %(team)s") % {"team": services.one_line(invitation.team.name)})
    body = _(
        "%(inviter)s invited you to join the team \"%(team)s\". Your role there: %(role)s.\n\n"
        "Open this link to accept (you will be asked to log in or sign up first):\n"
        "%(url)s\n\nThe link expires on %(expires)s."
    ) % {
        "inviter": inviter,
        "team": invitation.team.name,
        "role": invitation.get_role_display(),
        "url": accept_url,
        "expires": _in_zone_and_utc(invitation.expires_at),
    }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


def send_and_tell(request: HttpRequest, invitation: Invitation, accept_url: str) -> None:
    """Send the mail, and tell the owner who made the invitation whether it went."""
    try:
        send_invitation_email(invitation=invitation, accept_url=accept_url)
    except (smtplib.SMTPException, OSError) as exc:
        logger.error("invitation email to team %s not sent: %s", invitation.team_id,
                     mail_failure(exc))
        messages.warning(request, _(
            "The invitation was created, but the email could not be sent. Copy the link "
            "from the list below and send it yourself."))
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {
            "email": invitation.email})
