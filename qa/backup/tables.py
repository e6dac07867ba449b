"""What a backup holds and in which order: the format's name and version, the people's tables
in restore order, the revision-history models, the models a backup's tables are read through,
and the error a bad backup or restore raises."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.apps import apps
from django.apps.registry import Apps
from django.db import connection, models

from accounts.models import Invitation, InvitationUse, Membership, Removal, Team, User
from qa.models import (
    Bookmark,
    ErrorReport,
    Note,
    Question,
    Quiz,
    QuizItem,
    Review,
    SetItem,
    StudySet,
    StudyState,
)

FORMAT = "mianshi-backup"
# Version 2 ends with a line counting the rows of every table, so a file cut short is told
# apart from a complete one; version 1 files (without it) are still restored.
VERSION = 2
READABLE_VERSIONS = (1, 2)
CHUNK = 2000

HistoricalQuestion = Question.history.model
# simple-history's record of the tags at each revision (Question.history m2m_fields).
HistoricalQuestionTag = apps.get_model("qa", "HistoricalQuestion_tags")

# People's data, in the order it is restored (every table after the tables it refers to).
# These keep their ids; references to bank content are translated through keys.
PEOPLE_MODELS: list[type[models.Model]] = [
    User,
    EmailAddress,
    Team,
    Membership,
    Invitation,
    InvitationUse,
    Removal,
    StudySet,
    SetItem,
    Quiz,
    QuizItem,
    Review,
    StudyState,
    Bookmark,
    Note,
    ErrorReport,
]


class TableModels:
    """The models a backup's tables are written from and restored into: the site's own, or,
    for a backup made at an older migration state, the models of that state (a migration's
    `apps`), whose tables and columns are as they were then."""

    def __init__(self, registry: Apps = apps) -> None:
        self.apps = registry
        get = registry.get_model
        self.Group, self.Permission = get("auth", "Group"), get("auth", "Permission")
        self.User = get("accounts", "User")
        self.Bank, self.Section = get("qa", "Bank"), get("qa", "Section")
        self.Tag, self.Question = get("qa", "Tag"), get("qa", "Question")
        self.HistoricalQuestion = get("qa", "HistoricalQuestion")
        self.HistoricalQuestionTag = get("qa", "HistoricalQuestion_tags")
        self.QuestionTag = self.Question._meta.get_field("tags").remote_field.through
        self.UserGroup = self.User._meta.get_field("groups").remote_field.through
        self.UserPermission = self.User._meta.get_field("user_permissions").remote_field.through
        # PEOPLE_MODELS as they are in this state: a table added since is not there.
        names = {model._meta.label_lower for model in registry.get_models()}
        self.people: list[type[models.Model]] = [
            get(model._meta.label) for model in PEOPLE_MODELS
            if model._meta.label_lower in names
        ]


def database_named() -> str:
    """The database a backup reads or a restore writes, as the operator would name it: a
    command run without the service's environment reads the development SQLite file."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite file {settings['NAME']}"
    return (f"the {connection.display_name} database {settings['NAME']} on "
            f"{settings.get('HOST') or 'the local socket'}")


class BackupError(Exception):
    """A backup file that cannot be restored, or a restore that would destroy data."""
