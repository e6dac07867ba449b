"""What others see of a learner: the name they chose, else a neutral one, never a part of
their address; and how many addresses one account can mail confirmations to."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import Membership, User
from accounts.services import create_team
from qa.models import ErrorReport
from tests.accounts import confirm_password
from tests.factories import ErrorReportFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_without_a_display_name_others_see_a_neutral_name_and_the_learner_their_own(client,
                                                                                    password):
    owner = UserFactory(email="owner@example.com", display_name="Olga")
    quiet = UserFactory(email="zhang.wei.1990@example.com", display_name="")
    team = create_team(user=owner, name="读书会")
    Membership.objects.create(team=team, user=quiet, role=Membership.Role.MEMBER)

    client.force_login(owner)
    page = client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    assert f"Learner {quiet.pk}" in page
    assert "zhang.wei" not in page
    client.force_login(quiet)
    own = client.get(reverse("home")).content.decode()
    assert "zhang.wei.1990" in own  # their own header and greeting


def test_a_display_name_can_be_given_at_sign_up(client, password):
    client.post(reverse("account_signup"), {
        "email": "dora@example.com", "display_name": "  Dora  ", "password1": password,
        "password2": password})
    assert User.objects.get(email="dora@example.com").display_name == "Dora"
    client.post(reverse("account_signup"), {
        "email": "eli@example.com", "password1": password, "password2": password})
    assert User.objects.get(email="eli@example.com").display_name == ""


def test_editors_see_a_reporter_by_name_not_by_address(editor_client):
    reporter = UserFactory(email="reporter.private@example.com", display_name="")
    report = ErrorReportFactory(question=QuestionFactory(), reporter=reporter)
    for url in (reverse("admin:qa_errorreport_changelist"),
                reverse("admin:qa_errorreport_change", args=[report.pk])):
        page = editor_client.get(url).content.decode()
        assert f"Learner {reporter.pk}" in page
        assert "reporter.private" not in page
    assert ErrorReport.objects.count() == 1


def test_one_account_mails_confirmations_to_a_few_addresses_only(client, alice, password):
    confirm_password(client, alice, password)
    sent = len(mail.outbox)
    for n in range(6):
        client.post(reverse("account_email"), {"action_add": "", "email": f"other{n}@example.org"})
    # The sign-up address and four more: the sixth is refused, and no mail goes to it.
    assert EmailAddress.objects.filter(user=alice).count() == 5
    assert not EmailAddress.objects.filter(email="other5@example.org").exists()
    assert len(mail.outbox) == sent + 4
