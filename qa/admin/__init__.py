"""The editors' admin: the bank's content, question history, and the error-report queue.

Editors are staff in the "Editors" group (qa.editorial); what they may touch is decided by that
group's permissions, created by a data migration.
"""

from qa.admin import bank, questions, reports  # noqa: F401 - registers the model admins
