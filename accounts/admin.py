from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.addresses import verified_elsewhere, vouch_for_address
from accounts.closing import delete_account, deletion_refusals, teams_left_without_owner
from accounts.models import Invitation, Membership, Team, User
from accounts.selectors import account_closing
from qa.editorial import EDITORS_GROUP, make_editor, remove_editor

# --- Teams: superusers only (editors curate the bank, not people's teams) ---------------------


class SuperuserOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class MembershipInline(admin.TabularInline):
    """A team's members, to read: a role is changed, or someone removed, on the membership's
    own page, through the teams' services (at least one owner; a removed member's quizzes on
    the team's sets end)."""

    model = Membership
    extra = 0
    fields = readonly_fields = ["user", "role", "joined_at"]
    show_change_link = True
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["created_by"]
    inlines = [MembershipInline]


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "team", "role", "joined_at"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("role") != Membership.Role.OWNER:
            try:
                services.refuse_last_owner(self.instance)
            except services.LastOwnerError as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned


@admin.register(Membership)
class MembershipAdmin(SuperuserOnlyAdmin):
    """Roles change and members leave through the teams' services, as on the site: a team
    keeps an owner, and whoever leaves a team or its curators leaves its sets' quizzes."""

    form = MembershipForm
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "team__name"]
    raw_id_fields = ["user", "team"]
    list_select_related = ["user", "team"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "team"] if obj is not None else []

    def delete_view(self, request, object_id, extra_context=None):
        membership = (self.get_object(request, unquote(object_id))
                      if self.has_delete_permission(request) else None)  # else Django's 403
        try:
            if membership is not None:
                services.refuse_last_owner(membership)
        except services.LastOwnerError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:accounts_membership_change", membership.pk)
        return super().delete_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        role = form.cleaned_data["role"]
        Membership.objects.filter(pk=obj.pk).update(joined_at=obj.joined_at)
        self._say_links_revoked(request, obj, services.change_role(
            actor=request.user, membership=obj, role=role))

    def delete_model(self, request, obj):
        self._say_links_revoked(request, obj, services.remove_member(actor=request.user,
                                                                     membership=obj))

    def _say_links_revoked(self, request, membership: Membership, revoked: int) -> None:
        if revoked:
            self.message_user(request, services.links_revoked_message(
                revoked, name=membership.user.public_name), messages.WARNING)

    def delete_queryset(self, request, queryset):
        kept = []
        for membership in queryset.select_related("team", "user"):
            try:
                self._say_links_revoked(request, membership, services.remove_member(
                    actor=request.user, membership=membership))
            except services.LastOwnerError:
                kept.append(str(membership))
        if kept:
            self.message_user(request, _("Kept, as the last owners of their teams: %(who)s.")
                              % {"who": "; ".join(kept)}, messages.WARNING)


@admin.register(Invitation)
class InvitationAdmin(SuperuserOnlyAdmin):
    list_display = ["team", "role", "email", "uses", "max_uses", "expires_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["team__name", "email"]
    raw_id_fields = ["team", "created_by"]
    list_select_related = ["team"]
    # The token is a credential: never shown, never editable here.
    exclude = ["token"]


# --- Users: superusers only (accounts.* permissions); make or unmake editors -----------------


class _AddressCheck:
    """An address another account signs in with (as a verified extra address) is refused;
    another account's own address, by the unique check of the model."""

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data.get("email"))
        owned = User.objects.filter(email=email).exclude(pk=self.instance.pk).exists()
        if email and not owned and verified_elsewhere(email, user=self.instance):
            raise forms.ValidationError(_("Another account signs in with this address."))
        return email


class UserCreationForm(_AddressCheck, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


class UserEditForm(_AddressCheck, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "display_name", "is_editor", "is_staff", "is_superuser", "is_active",
                    "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "desired_retention", "daily_new_limit",
                                   "credit_in_corrections", "keyboard_shortcuts"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                                       "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "usable_password", "password1",
                                                "password2"]}),
    ]
    actions = ["make_editors", "remove_editors"]

    # Deleting an account here does what closing it on the settings page does (its solo teams
    # and sets go, others' quizzes on them end), and is refused where that would leave a team
    # without an owner or revisions naming no one.
    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        told = set()  # teams a refusal of one account already names
        for user in objs:
            closing = account_closing(user=user)
            told.update(team.pk for team in closing.blocking_teams)
            protected += deletion_refusals(user=user, closing=closing,
                                                    by_administrator=True)
        orphaned = [team for team in teams_left_without_owner(users=list(objs))
                    if team.pk not in told]
        if orphaned:
            protected.append(_(
                "Deleting these accounts together would leave %(teams)s without an owner: "
                "make someone else an owner first.") % {
                    "teams": ", ".join(team.name for team in orphaned)})
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj: User) -> None:
        delete_account(user=obj, by_administrator=True)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:  # refused meanwhile: nothing is deleted (the whole is undone)
            delete_account(user=user, by_administrator=True)

    def get_queryset(self, request):
        editors = User.groups.through.objects.filter(
            user_id=OuterRef("pk"), group__name=EDITORS_GROUP
        )
        return super().get_queryset(request).annotate(in_editors=Exists(editors))

    @admin.display(description=_("editor"), boolean=True, ordering="in_editors")
    def is_editor(self, user: User) -> bool:
        return user.in_editors and user.is_staff

    def save_model(self, request, obj: User, form, change: bool) -> None:
        before = User.objects.normalize_email(form.initial.get("email")) if change else None
        super().save_model(request, obj, form, change)
        if obj.email != before:  # a new account, or another address (not just other capitals)
            vouch_for_address(obj)  # allauth signs them in with this address, and no other

    def has_superuser_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description=_("Make the selected users editors"), permissions=["superuser"])
    def make_editors(self, request, queryset) -> None:
        users = list(queryset)
        for user in users:
            make_editor(user)
        self.message_user(
            request,
            ngettext("%(count)d user is now an editor.", "%(count)d users are now editors.",
                     len(users)) % {"count": len(users)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Remove the selected users from the editors"),
                  permissions=["superuser"])
    def remove_editors(self, request, queryset) -> None:
        users = list(queryset)
        for user in users:
            remove_editor(user)
        self.message_user(
            request,
            ngettext("%(count)d user is no longer an editor.",
                     "%(count)d users are no longer editors.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )
