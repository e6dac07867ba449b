from __future__ import annotations

import secrets
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(32)


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The whole address lower-cased (Django lower-cases only the domain): allauth looks
        addresses up lower-cased, so `Frank@example.com` as stored could never sign in."""
        return (email or "").strip().lower()

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        from accounts.addresses import verified_elsewhere, vouch_for_address

        email = self.normalize_email(email)
        if verified_elsewhere(email, user=None):
            raise ValueError(f"Another account signs in with {email}.")
        with transaction.atomic(using=self._db):
            user = self.model(email=email, **extra)
            user.set_password(password)
            user.save(using=self._db)
            vouch_for_address(user)  # made by an administrator (createsuperuser, a shell)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


def default_desired_retention() -> float:
    """A new learner's desired retention: the site's FSRS_DEFAULT_RETENTION."""
    return round(settings.FSRS_DEFAULT_RETENTION, 2)


class User(AbstractUser):
    """A person with an account. Signs in with their email address."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    desired_retention = models.FloatField(
        _("desired retention"),
        default=default_desired_retention,
        validators=[MinValueValidator(0.7), MaxValueValidator(0.99)],
        help_text=_("How likely you want to be to remember a question when it comes back "
                    "(0.70–0.99). Higher means more frequent reviews."),
    )
    daily_new_limit = models.PositiveSmallIntegerField(
        _("new questions per day"),
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )
    # An IANA name (Europe/Berlin); empty: the site's TIME_ZONE (accounts.forms checks it).
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True,
        help_text=_("Where your days begin and end: your streak, the heatmap, what is due "
                    "today and the daily limit of new questions, and the times the site "
                    "shows you."),
    )
    credit_in_corrections = models.BooleanField(
        _("credit me by name in correction logs"), default=True,
        help_text=_("By your display name. Without one, you are counted as an anonymous "
                    "learner."),
    )
    # WCAG 2.1.4: single-key shortcuts can be turned off (a speech-input user's words, or a
    # screen reader's own keys, would otherwise grade and bookmark).
    keyboard_shortcuts = models.BooleanField(
        _("keyboard shortcuts in quizzes"), default=True,
        help_text=_("Single keys act on the quiz card: Space shows the answer, 1–4 grade it, "
                    "B bookmarks, N opens your note, U takes back the last grade. Turn them "
                    "off if they get in the way of a screen reader or voice control."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        # What staff pages show (an editor's name in a question's history, a report's
        # decision): colleagues, who may need to reach one another. Pages for learners name
        # people by public_name, allauth's pages by own_name (ACCOUNT_USER_DISPLAY).
        return self.display_name or self.email

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._stored_email = user.__dict__.get("email")
        return user

    def clean(self) -> None:
        stored, email = getattr(self, "_stored_email", None), self.email
        super().clean()  # normalises the address
        if email == stored:
            self.email = email  # as stored (see save())

    def save(self, *args, **kwargs) -> None:
        # Every way in (the admin, createsuperuser, a shell) stores a new or changed address as
        # allauth looks it up; forms get it lower-cased earlier, in clean(), to check
        # uniqueness. An address stored before, left with capitals because it clashed with
        # another account's (migration 0004), is saved as it is.
        if self.email != getattr(self, "_stored_email", None):
            self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)
        self._stored_email = self.email

    @property
    def zone(self) -> tzinfo:
        """The learner's time zone, else the site's."""
        try:
            return ZoneInfo(self.time_zone) if self.time_zone else timezone.get_default_timezone()
        except (ValueError, ZoneInfoNotFoundError):  # not a zone name: set behind the forms
            return timezone.get_default_timezone()

    @property
    def public_name(self) -> str:
        """The name others see (team members, editors, an invitation's recipient): the
        display name, else a neutral one; never a part of the address."""
        return self.display_name or _("Learner %(number)d") % {"number": self.pk or 0}

    @property
    def own_name(self) -> str:
        """The name the learner's own pages greet them by: the display name, else the start of
        their address."""
        return self.display_name or self.email.split("@", 1)[0]


class Team(models.Model):
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        CURATOR = "curator", _("Curator")
        MEMBER = "member", _("Member")

    # Found through membership_unique_user_team (user, team).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        db_index=False,
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team")
        ]
        ordering = ["team", "joined_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def can_curate(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.CURATOR)


class Invitation(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    email = models.EmailField(_("invited email"), blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    max_uses = models.PositiveIntegerField(_("number of uses"), default=1)
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation to {self.team} as {self.role}"


class InvitationUse(models.Model):
    """Someone joined, or was raised in role, through an invitation. A link with uses left
    takes nobody back who used it before: an owner who removes or demotes someone does not
    have to revoke the link the others still need."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="+",
                                   db_index=False)  # the unique constraint's index leads
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "user"], name="invitation_use_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} used invitation {self.invitation_id}"


class Removal(models.Model):
    """An owner removed someone from a team or lowered their role. Invitations made before it
    neither bring them back nor raise them again: the links someone saw as an owner are no way
    back in. (Someone who leaves of their own accord may come back with a link.)"""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+",
                             db_index=False)  # the unique constraint's index leads
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="removal_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} removed or lowered in team {self.team_id}"


class FormSubmission(models.Model):
    """A create form that went through, by the one-time token the form carried
    (accounts.submissions), and where it led. Sending the same form again (a double click, a
    resent request, the back button) finds it and goes there instead of creating a second
    team, set or invitation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        db_index=False,  # the unique (user, token) constraint's index starts with it
    )
    token = models.CharField(max_length=32)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="form_submission_once"),
        ]

    def __str__(self) -> str:
        return f"{self.token} → {self.location}"


def own_display(user: User) -> str:
    """allauth's name for the account holder ("You are logged in as …"): their own name."""
    return user.own_name
