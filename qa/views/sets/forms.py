"""Forms of the study-set pages: a set's title, description and visibility; a new set's owner
(the user or one of the teams they curate); copying a set; importing one from a file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team
from accounts.selectors import curated_teams
from config.forms import TextareaField
from qa.models import StudySet
from qa.selectors.cards import id_from
from qa.services import sets as services

Visibility = StudySet.Visibility


def _owner_choices(user) -> list[tuple[str, str]]:
    teams = list(curated_teams(user=user))
    return [("", _("Me (a personal set)"))] + [
        (str(team.pk), _("Team: %(name)s") % {"name": team.name}) for team in teams
    ]


def _team_from_choice(user, value: str) -> Team | None:
    if not value:
        return None
    team_id = id_from(value)
    team = curated_teams(user=user).filter(pk=team_id).first() if team_id else None
    if team is None:
        raise forms.ValidationError(_("Choose one of the listed owners."))
    return team


class SetForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.TITLE_MAX)
    description = TextareaField(
        label=gettext_lazy("Description"), required=False, max_length=services.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who can see it"), choices=Visibility.choices,
        help_text=gettext_lazy(
            "Private: only you (for a team's set: its owners and curators). Team: every "
            "member of the team. Anyone with the link: also people outside the team who "
            "have the set's secret link."
        ),
    )



class NewSetForm(SetForm):
    owner = forms.ChoiceField(label=gettext_lazy("Belongs to"), required=False)

    field_order = ["title", "owner", "description", "visibility"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].choices = _owner_choices(user)
        visibility = self.fields["visibility"]
        if len(self.fields["owner"].choices) == 1:  # no team: a personal set, never "Team"
            visibility.choices = [c for c in Visibility.choices if c[0] != Visibility.TEAM]
        else:  # "Team" only while a team is chosen (static/js/site.js)
            visibility.widget.attrs["data-team-only-with"] = self["owner"].auto_id

    def clean(self):
        data = super().clean()
        try:
            data["team"] = _team_from_choice(self.user, data.get("owner") or "")
        except forms.ValidationError as exc:
            self.add_error("owner", exc)
            return data
        if data.get("visibility") == Visibility.TEAM and data["team"] is None:
            self.add_error("visibility", _("Only a team's set can be visible to a team."))
        return data


class _OwnerChoiceMixin:
    """An `owner` choice between the user's own sets and the teams they curate."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].choices = _owner_choices(user)

    def clean_owner(self):
        return _team_from_choice(self.user, self.cleaned_data.get("owner") or "")


class CopyForm(_OwnerChoiceMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title of the copy"),
                            max_length=services.TITLE_MAX)
    owner = forms.ChoiceField(label=gettext_lazy("Copy into"), required=False)


class ImportForm(_OwnerChoiceMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (.json or .csv)"),
        help_text=gettext_lazy("A set exported from this site, or a CSV with a \"key\" column "
                               "(and optionally \"note\"). At most 2 MB."),
    )
    title = forms.CharField(
        label=gettext_lazy("Title"), required=False, max_length=services.TITLE_MAX,
        help_text=gettext_lazy("Leave empty to use the title in the file (or the file name)."),
    )
    owner = forms.ChoiceField(label=gettext_lazy("Belongs to"), required=False)
