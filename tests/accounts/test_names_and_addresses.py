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


@pytest.mark.parametrize("name", ["Learner 12", "learner #3", " 学员 7 ", "学员12",
                                  "Learner\u200b12", "\u2060Learner 12", "Ｌearner １２"])
def test_a_display_name_that_reads_as_the_neutral_name_of_another_is_refused(client, alice,
                                                                            password, name):
    client.force_login(alice)
    response = client.post(reverse("accounts:settings"), {
        "display_name": name, "time_zone": "", "desired_retention": "0.9",
        "daily_new_limit": "20"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "is how the site names someone without a display name" in response.content.decode()
    alice.refresh_from_db()
    assert alice.display_name != name.strip()
    client.logout()
    client.post(reverse("account_signup"), {"email": "new@example.com", "display_name": name,
                                            "password1": password, "password2": password})
    assert not User.objects.filter(email="new@example.com").exists()


def test_confirmation_mails_and_pages_name_no_account_and_the_holder_sees_their_own_name(
    client, alice, password
):
    """An address typed into an account may be a stranger's: what reaches it names no one.
    The account holder's own pages use their own name."""
    quiet = UserFactory(email="zhang.wei.1990@example.com", display_name="")
    confirm_password(client, quiet, password)
    client.post(reverse("account_email"), {"action_add": "", "email": "stranger@example.org"})
    body = mail.outbox[-1].body
    assert "stranger@example.org" in mail.outbox[-1].to
    assert "zhang.wei" not in body and "Learner" not in body
    assert "your email address was given to sign up for an account" in body
    link = body.split("go to ")[1].split()[0]
    client.logout()
    page = client.get(link).content.decode()
    assert "is your email address, for your account on this site" in page
    assert "zhang.wei" not in page and f"Learner {quiet.pk}" not in page
    client.force_login(quiet)
    reset = client.get(reverse("account_reset_password")).content.decode()
    assert "You are already logged in as zhang.wei.1990." in reset
