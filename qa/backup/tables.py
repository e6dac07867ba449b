"""What a backup holds and in which order: the format's name and version, the people's tables
in restore order, the revision-history models, and the error a bad backup or restore raises."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.apps import apps
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
