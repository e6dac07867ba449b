"""Deleting one's own account: what goes with it, what stays, and when it is refused."""

from __future__ import annotations

import uuid

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.closing import AccountDeletionRefused, delete_account
from accounts.models import Membership, Team, User
from qa.models import ErrorReport, Question, Quiz, Review, StudySet, StudyState
from qa.services import answering
from qa.services import study as services
from tests.factories import (
    BookmarkFactory,
    ErrorReportFactory,
    MembershipFactory,
    NoteFactory,
    QuestionFactory,
    SetItemFactory,
    StudySetFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Role = Membership.Role


def graded_once(user) -> Review:
    quiz = services.start_quiz(user=user, mode=Quiz.Mode.NEW, count=1)
    item = quiz.items.get()
    answering.reveal(user=user, quiz_item=item)
    return answering.record_review(user=user, quiz_item=item, rating=3, token=uuid.uuid4().hex)


def delete_through_the_site(client, user, password, *, confirm=None):
    """Ask for the deletion, then enter the password again as allauth asks."""
    client.force_login(user)
    url = reverse("accounts:delete")
    response = client.post(url, {"confirm_email": confirm or user.email})
    if response.status_code != 302 or "reauthenticate" not in response["Location"]:
        return response
    return client.post(response["Location"], {"password": password})


def test_the_settings_page_links_to_the_export_and_the_deletion(alice_client):
    html = alice_client.get(reverse("accounts:settings")).content.decode()
    assert reverse("accounts:data-export") in html
    assert reverse("accounts:delete") in html


def test_the_page_says_what_would_be_deleted(alice_client, alice):
    NoteFactory(user=alice)
    BookmarkFactory(user=alice)
    BookmarkFactory(user=alice)
    StudySetFactory(owner=alice)
    solo = TeamFactory(name="Just me")
    MembershipFactory(user=alice, team=solo, role=Role.OWNER)
    html = alice_client.get(reverse("accounts:delete"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 note" in html
    assert "2 bookmarks" in html
    assert "1 study set of your own" in html
    assert "the team Just me, which only you belong to" in html
    assert 'name="confirm_email"' in html


def test_it_deletes_the_account_and_what_is_in_it_after_the_password(client, alice, bob,
                                                                     password):
    question = QuestionFactory()
    graded_once(alice)
    NoteFactory(user=alice, question=question)
    BookmarkFactory(user=alice, question=question)
    report = ErrorReportFactory(reporter=alice, question=question)
    own_set = StudySetFactory(owner=alice)
    SetItemFactory(study_set=own_set, question=question)
    solo = TeamFactory(name="Just me")
    MembershipFactory(user=alice, team=solo, role=Role.OWNER)
    StudySetFactory(owner=None, team=solo)
    shared = TeamFactory(name="Shared")
    MembershipFactory(user=alice, team=shared, role=Role.OWNER)
    MembershipFactory(user=bob, team=shared, role=Role.OWNER)
    graded_once(bob)

    response = delete_through_the_site(client, alice, password)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not EmailAddress.objects.filter(email="alice@example.com").exists()
    assert not StudyState.objects.filter(user_id=alice.pk).exists()
    assert not Review.objects.filter(user_id=alice.pk).exists()
    assert not ErrorReport.objects.filter(pk=report.pk).exists()
    assert not StudySet.objects.filter(pk=own_set.pk).exists()
    assert not Team.objects.filter(pk=solo.pk).exists()
    assert not StudySet.objects.filter(team_id=solo.pk).exists()
    # Others keep what is theirs: the shared team (with its other owner), the question, Bob's
    # grade.
    assert list(shared.memberships.values_list("user__email", flat=True)) == ["bob@example.com"]
    assert Question.objects.filter(pk=question.pk).exists()
    assert Review.objects.filter(user=bob).count() == 1
    # Signed out, and told.
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your account and everything in it were deleted." in page
    assert client.get(reverse("accounts:settings")).status_code == 302


def test_the_address_can_sign_up_again_afterwards(client, alice, password):
    delete_through_the_site(client, alice, password)
    response = client.post(reverse("account_signup"), {
        "email": "alice@example.com", "password1": password, "password2": password})
    assert response.status_code == 302
    assert User.objects.filter(email="alice@example.com").count() == 1


def test_nothing_is_deleted_without_the_password(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:delete"), {"confirm_email": alice.email})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": "not-the-password"})
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_wrong_address_is_refused_with_a_message(client, alice, password):
    response = delete_through_the_site(client, alice, password, confirm="bob@example.com")
    assert response.status_code == 400
    page = response.content.decode()
    # The address asked for is named: another of the account's addresses is not it.
    assert "Type alice@example.com to confirm" in page
    assert "Type the address this account logs in with, alice@example.com, as shown." in page
    assert User.objects.filter(pk=alice.pk).exists()
    # The same address typed with other capitals is this account's.
    response = delete_through_the_site(client, alice, password, confirm=" Alice@Example.com ")
    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()


def test_the_last_owner_of_a_team_with_members_is_told_what_to_do_first(client, alice, bob,
                                                                       password):
    team = TeamFactory(name="Study group")
    MembershipFactory(user=alice, team=team, role=Role.OWNER)
    MembershipFactory(user=bob, team=team, role=Role.MEMBER)
    client.force_login(alice)
    html = client.get(reverse("accounts:delete"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Make someone else an owner, or delete the team, first" in html
    assert reverse("accounts:team", args=[team.pk]) in html
    assert 'name="confirm_email"' not in html

    response = delete_through_the_site(client, alice, password)
    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()
    assert team.memberships.count() == 2

    Membership.objects.filter(user=bob).update(role=Role.OWNER)
    response = delete_through_the_site(client, alice, password)
    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert list(team.memberships.values_list("user__email", flat=True)) == ["bob@example.com"]


def test_the_service_checks_the_teams_again_when_it_runs(alice, bob):
    team = TeamFactory()
    MembershipFactory(user=alice, team=team, role=Role.OWNER)
    MembershipFactory(user=bob, team=team, role=Role.MEMBER)
    with pytest.raises(AccountDeletionRefused, match="last owner"):
        delete_account(user=alice)
    assert User.objects.filter(pk=alice.pk).exists()


def test_staff_accounts_are_closed_by_an_administrator(client, editor, password):
    client.force_login(editor)
    html = client.get(reverse("accounts:delete"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Accounts of staff, and of anyone who has edited the bank" in html
    response = delete_through_the_site(client, editor, password)
    assert response.status_code == 400
    assert User.objects.filter(pk=editor.pk).exists()
    with pytest.raises(AccountDeletionRefused):
        delete_account(user=editor)


def test_others_studying_a_shared_set_keep_their_grades_and_their_quiz_ends(alice, bob):
    questions = [QuestionFactory() for _ in range(2)]
    shared = StudySetFactory(owner=alice, visibility=StudySet.Visibility.LINK,
                             share_token="t" * 32)
    for position, question in enumerate(questions):
        SetItemFactory(study_set=shared, question=question, position=position)
    quiz = services.start_quiz(user=bob, mode=Quiz.Mode.SET, study_set=shared)
    item = quiz.items.order_by("position").first()
    answering.reveal(user=bob, quiz_item=item)
    answering.record_review(user=bob, quiz_item=item, rating=3, token=uuid.uuid4().hex)

    delete_account(user=alice)

    quiz.refresh_from_db()
    assert quiz.finished_at is not None
    assert quiz.study_set is None
    assert Review.objects.filter(user=bob).count() == 1


def test_get_only_shows_the_page(alice_client, alice):
    assert alice_client.get(reverse("accounts:delete")).status_code == 200
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_new_account_is_told_it_holds_nothing_yet(alice_client):
    html = alice_client.get(reverse("accounts:delete"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "It holds no study history yet." in html
    assert "0 notes" not in html


def test_a_former_editor_s_account_keeps_the_bank_s_history(client, editor, password):
    from qa.editorial import remove_editor

    question = QuestionFactory()
    question.answer = "corrected"
    question._change_reason = "fix"
    question.save()
    question.history.filter(pk=question.history.latest().pk).update(history_user=editor)
    remove_editor(editor)
    editor.refresh_from_db()
    assert not editor.is_staff

    response = delete_through_the_site(client, editor, password)

    assert response.status_code == 400
    assert User.objects.filter(pk=editor.pk).exists()
    assert question.history.filter(history_user=editor).exists()


def test_an_account_made_staff_after_the_page_loaded_is_not_deleted(alice):
    stale = User.objects.get(pk=alice.pk)
    User.objects.filter(pk=alice.pk).update(is_staff=True)
    with pytest.raises(AccountDeletionRefused):
        delete_account(user=stale)
    assert User.objects.filter(pk=alice.pk).exists()


# --- deleting an account in the admin -------------------------------------------------------


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def admin_delete(client, user):
    return client.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"},
                       HTTP_ACCEPT_LANGUAGE="en")


def test_the_admin_deletes_an_account_as_closing_it_does(superuser_client, alice, bob):
    question = QuestionFactory()
    shared = StudySetFactory(owner=alice, visibility=StudySet.Visibility.LINK,
                             share_token="s" * 32)
    SetItemFactory(study_set=shared, question=question, position=0)
    quiz = services.start_quiz(user=bob, mode=Quiz.Mode.SET, study_set=shared)
    solo = Team.objects.create(name="Solo")
    Membership.objects.create(team=solo, user=alice, role=Membership.Role.OWNER)

    assert admin_delete(superuser_client, alice).status_code == 302

    assert not User.objects.filter(pk=alice.pk).exists() and not Team.objects.exists()
    quiz.refresh_from_db()
    assert quiz.finished_at is not None  # bob's quiz on her shared set ended


@pytest.mark.parametrize("how", ["one", "action"])
def test_the_admin_refuses_to_leave_a_team_without_an_owner_or_revisions_naming_no_one(
        superuser_client, alice, bob, editor, how):
    team = Team.objects.create(name="Reading group")
    Membership.objects.create(team=team, user=alice, role=Membership.Role.OWNER)
    Membership.objects.create(team=team, user=bob, role=Membership.Role.MEMBER)
    question = QuestionFactory()
    question.answer = "corrected"
    question.save()
    question.history.filter(pk=question.history.latest().pk).update(history_user=editor)
    for user, reason in ((alice, "is the last owner of Reading group"),
                         (editor, "deactivate the account instead")):
        if how == "one":
            response = admin_delete(superuser_client, user)
        else:
            response = superuser_client.post(reverse("admin:accounts_user_changelist"), {
                "action": "delete_selected", "_selected_action": [user.pk], "post": "yes"},
                HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert reason in response.content.decode()
        assert "without an owner" not in response.content.decode()  # said once, not twice
        assert User.objects.filter(pk=user.pk).exists()
    assert Membership.objects.filter(team=team).count() == 2
    assert question.history.filter(history_user=editor).exists()


def test_the_admin_refuses_deleting_together_all_owners_of_a_team_with_members(
        superuser_client, alice, bob):
    carol = UserFactory()
    team = Team.objects.create(name="Co-owned")
    for user, role in ((alice, Membership.Role.OWNER), (bob, Membership.Role.OWNER),
                       (carol, Membership.Role.MEMBER)):
        Membership.objects.create(team=team, user=user, role=role)
    response = superuser_client.post(reverse("admin:accounts_user_changelist"), {
        "action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "would leave Co-owned without an owner" in response.content.decode()
    assert User.objects.filter(pk__in=[alice.pk, bob.pk]).count() == 2
    # One of them alone may go: the other stays its owner.
    assert admin_delete(superuser_client, alice).status_code == 302
    assert Membership.objects.get(team=team, user=bob).role == Membership.Role.OWNER
