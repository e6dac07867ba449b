"""Team pages: what they show, roles and members, and bounded queries (invitations:
test_invitation_views.py)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Team, User
from accounts.services import create_invitation, create_team
from qa.models import Review, StudyState
from qa.services.sets import add_questions, create_set
from tests.factories import SectionFactory, bulk_questions

Role = Membership.Role
pytestmark = pytest.mark.django_db


def add_members(team, count: int, *, role=Role.MEMBER) -> list[User]:
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(email=f"m{start + i}@example.com", display_name=f"M{start + i}")
        for i in range(count)
    )
    Membership.objects.bulk_create(Membership(user=u, team=team, role=role) for u in users)
    return users


def test_creating_a_team_makes_you_its_owner(alice_client, alice):
    response = alice_client.post(reverse("accounts:team-list"), {"name": "  Cohort 7 "})
    team = Team.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:team", args=[team.pk])
    assert team.name == "Cohort 7"
    assert Membership.objects.get(team=team).user == alice


def test_a_description_as_long_as_the_browser_allows_is_taken(alice_client):
    """A line break counts as one character against maxlength, as the browser counts it."""
    response = alice_client.post(reverse("accounts:team-list"),
                                 {"name": "Cohort 8", "description": "ab\r\n" * 520})
    assert response.status_code == 302
    team = Team.objects.get()
    assert team.description == ("ab\n" * 520).strip()
    edit = alice_client.post(reverse("accounts:team-edit", args=[team.pk]),
                             {"name": "Cohort 8", "description": "cd\r\n" * 600})
    assert edit.status_code == 302
    team.refresh_from_db()
    assert team.description == ("cd\n" * 600).strip()


def test_creating_a_team_without_a_name_is_refused(alice_client):
    response = alice_client.post(reverse("accounts:team-list"), {"name": ""})
    assert response.status_code == 400
    assert not Team.objects.exists()


def test_team_list_shows_only_my_teams(alice_client, alice, bob, team):
    create_team(user=bob, name="Bob's secret team")
    page = alice_client.get(reverse("accounts:team-list")).content.decode()
    assert "Attention seekers" in page
    assert "Bob&#x27;s secret team" not in page and "Bob's secret team" not in page


def test_team_list_counts_the_sets_each_person_sees_there(client, alice, bob, team):
    Membership.objects.create(user=bob, team=team, role=Role.MEMBER)
    create_set(user=alice, title="Shared", team=team, visibility="team")
    create_set(user=alice, title="Curators' draft", team=team, visibility="private")
    client.force_login(bob)
    assert re.search(r"·\s+1 set\s", client.get(reverse("accounts:team-list")).content.decode())
    client.force_login(alice)
    assert re.search(r"·\s+2 sets\s", client.get(reverse("accounts:team-list")).content.decode())


def test_team_page_shows_members_and_roles_and_invitations_for_owners(client, alice, bob, team):
    Membership.objects.create(user=bob, team=team, role=Role.CURATOR)
    invitation = create_invitation(actor=alice, team=team)
    client.force_login(bob)
    page = client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    assert "Alice" in page and "Bob" in page and "Curator" in page
    assert invitation.token not in page  # curators do not see invitation links
    client.force_login(alice)
    page = client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    assert invitation.token in page


def test_the_last_owner_is_told_why_they_cannot_leave(alice_client, alice, bob, team):
    page = alice_client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    # Said up front, with no button that asks "Leave?" only to refuse.
    assert "You are the team’s only owner" in page
    assert reverse("accounts:team-leave", args=[team.pk]) not in page
    response = alice_client.post(reverse("accounts:team-leave", args=[team.pk]), follow=True)
    assert "last owner" in response.content.decode()
    assert Membership.objects.filter(team=team).count() == 1
    # With a second owner, either may leave.
    Membership.objects.create(team=team, user=bob, role=Membership.Role.OWNER)
    page = alice_client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    assert "You are the team’s only owner" not in page
    assert reverse("accounts:team-leave", args=[team.pk]) in page


def test_owner_cannot_demote_themselves_as_last_owner(alice_client, alice, team):
    mine = Membership.objects.get(team=team, user=alice)
    response = alice_client.post(
        reverse("accounts:team-member-role", args=[team.pk, mine.pk]), {"role": "member"},
        follow=True,
    )
    assert "at least one owner" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_owner_changes_a_role(alice_client, bob, team):
    membership = Membership.objects.create(user=bob, team=team)
    alice_client.post(reverse("accounts:team-member-role", args=[team.pk, membership.pk]),
                      {"role": "curator"})
    membership.refresh_from_db()
    assert membership.role == Role.CURATOR


def test_membership_of_another_team_cannot_be_targeted(alice_client, bob, team):
    """And is answered as an id that never was: what other teams hold is not told."""
    other = create_team(user=bob, name="Other")
    bobs = Membership.objects.get(team=other, user=bob)
    for action in ("accounts:team-member-remove", "accounts:team-member-role"):
        foreign = alice_client.post(reverse(action, args=[team.pk, bobs.pk]),
                                    {"role": "owner"}, follow=True)
        missing = alice_client.post(reverse(action, args=[team.pk, bobs.pk + 1000]),
                                    {"role": "owner"}, follow=True)
        assert foreign.status_code == missing.status_code == 200
        assert foreign.redirect_chain == missing.redirect_chain
        assert "no longer in the team" in foreign.content.decode()
    bobs.refresh_from_db()
    assert bobs.role == Role.OWNER and bobs.team == other


def test_removing_or_regrading_someone_already_removed_says_so(alice_client, bob, team):
    """A removal sent twice (a double click, the back button) says the person is gone."""
    bobs = Membership.objects.create(team=team, user=bob)
    remove = reverse("accounts:team-member-remove", args=[team.pk, bobs.pk])
    assert alice_client.post(remove).status_code == 302
    for url, data in ((remove, {}),
                      (reverse("accounts:team-member-role", args=[team.pk, bobs.pk]),
                       {"role": Role.CURATOR})):
        response = alice_client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert response.redirect_chain == [(reverse("accounts:team", args=[team.pk]), 302)]
        assert "This person is no longer in the team." in response.content.decode()
    assert not Membership.objects.filter(user=bob).exists()


def test_owner_renames_the_team_and_changes_its_description(alice_client, team):
    page = alice_client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    assert reverse("accounts:team-edit", args=[team.pk]) in page

    form = alice_client.get(reverse("accounts:team-edit", args=[team.pk])).content.decode()
    assert 'value="Attention seekers"' in form

    response = alice_client.post(reverse("accounts:team-edit", args=[team.pk]),
                                 {"name": "  Cohort 8 ", "description": "Spring <b>intake</b>"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.description) == ("Cohort 8", "Spring <b>intake</b>")
    page = alice_client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    assert "<h1>Cohort 8</h1>" in page and "Spring &lt;b&gt;intake&lt;/b&gt;" in page


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_bad_team_name_is_refused_and_changes_nothing(alice_client, team, name):
    response = alice_client.post(reverse("accounts:team-edit", args=[team.pk]),
                                 {"name": name, "description": "changed"})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    team.refresh_from_db()
    assert (team.name, team.description) == ("Attention seekers", "")


def test_only_owners_see_and_use_the_edit_page(client, alice, bob, team):
    Membership.objects.create(user=bob, team=team, role=Role.CURATOR)
    client.force_login(bob)
    page = client.get(reverse("accounts:team", args=[team.pk])).content.decode()
    assert reverse("accounts:team-edit", args=[team.pk]) not in page
    response = client.post(reverse("accounts:team-edit", args=[team.pk]), {"name": "Mine now"})
    assert response.status_code == 403
    team.refresh_from_db()
    assert team.name == "Attention seekers"


def test_deleting_needs_the_typed_name(alice_client, team):
    url = reverse("accounts:team-delete", args=[team.pk])
    assert alice_client.post(url, {"confirm_name": "wrong"}).status_code == 400
    assert Team.objects.filter(pk=team.pk).exists()
    assert alice_client.post(url, {"confirm_name": team.name}).status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()


def _populate(team, owner, size: int):
    users = add_members(team, size)
    questions = bulk_questions(SectionFactory(), size)
    study_set = create_set(user=owner, title="Big set", team=team)
    add_questions(study_set=study_set, questions=questions)
    create_set(user=owner, title="Second set", team=team)
    for i in range(3):
        create_invitation(actor=owner, team=team, max_uses=i + 1)
    now = timezone.now()
    StudyState.objects.bulk_create(
        StudyState(user=u, question=q, due=now, stability=3.0, difficulty=5.0,
                   last_review=now - timedelta(days=2), state=StudyState.State.REVIEW)
        for u in users for q in questions[:3]
    )
    Review.objects.bulk_create(
        Review(user=u, question=q, rating=1 + (i % 4), answer_version=1, token=f"{u.pk}-{q.pk}")
        for i, (u, q) in enumerate((u, q) for u in users for q in questions[:3])
    )


@pytest.mark.parametrize("page", ["accounts:team", "accounts:team-dashboard"])
def test_team_pages_run_the_same_number_of_queries_at_3_and_300(
    alice_client, alice, count_queries, page
):
    counts = []
    for size in (3, 300):
        team = create_team(user=alice, name=f"Team of {size}")
        _populate(team, alice, size)
        url = reverse(page, args=[team.pk])
        alice_client.get(url)  # warm caches that are not per request
        with count_queries() as q:
            response = alice_client.get(url)
        assert response.status_code == 200
        counts.append(q)
    assert len(counts[0]) == len(counts[1]), counts[1]


def test_team_list_runs_the_same_number_of_queries_for_3_and_30_teams(
    alice_client, alice, count_queries
):
    counts = []
    for batch in (3, 27):
        for i in range(batch):
            add_members(create_team(user=alice, name=f"T{batch}-{i}"), 2)
        with count_queries() as q:
            assert alice_client.get(reverse("accounts:team-list")).status_code == 200
        counts.append(q)
    assert len(counts[0]) == len(counts[1]), counts[1]


def test_team_admin_is_for_superusers_only(client, alice, bob, team):
    from qa.editorial import make_editor

    invitation = create_invitation(actor=alice, team=team)
    make_editor(bob)
    client.force_login(bob)
    for url in (reverse("admin:accounts_team_changelist"),
                reverse("admin:accounts_invitation_change", args=[invitation.pk])):
        assert client.get(url).status_code == 403
    bob.is_superuser = True
    bob.save()
    assert client.get(reverse("admin:accounts_team_changelist")).status_code == 200
    page = client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk]))
    assert page.status_code == 200
    assert invitation.token not in page.content.decode()


@pytest.mark.parametrize("name", ["team", "team-dashboard", "team-edit", "team-delete"])
def test_a_team_id_past_64_bits_is_not_found(alice_client, team, name):
    url = reverse(f"accounts:{name}", args=[10**30])
    assert alice_client.get(url).status_code == 404


def test_times_are_shown_in_the_learner_s_own_time_zone(alice_client, alice, team):
    invitation = create_invitation(actor=alice, team=team)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
        + timedelta(days=2))
    invitation.refresh_from_db()
    url = reverse("accounts:team", args=[team.pk])
    for zone in ("", "America/New_York"):
        User.objects.filter(pk=alice.pk).update(time_zone=zone)
        shown = timezone.localtime(invitation.expires_at,
                                   zoneinfo.ZoneInfo(zone or settings.TIME_ZONE))
        assert f"expires {shown:%Y-%m-%d %H:%M}" in alice_client.get(
            url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_large_team_s_members_come_a_page_at_a_time(client, alice):
    """A team of 1,500 made a 2 MB team page and a 3.4 MB dashboard (a form and a row per
    member): members come a hundred to a page, on both."""
    team = create_team(user=alice, name="Big")
    people = User.objects.bulk_create(
        [User(email=f"m{i:03d}@example.com", display_name=f"Member {i:03d}") for i in range(104)])
    Membership.objects.bulk_create([Membership(team=team, user=u) for u in people])
    create_set(user=alice, title="Basics", team=team)
    client.force_login(alice)
    for name in ("accounts:team", "accounts:team-dashboard"):
        url = reverse(name, args=[team.pk])
        first = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        second = client.get(url, {"members": 2}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        shown = [set(re.findall(r"Member \d{3}", page)) for page in (first, second)]
        assert len(shown[0]) == 99 and "Member 099" not in shown[0], name  # and alice
        assert shown[1] == {f"Member {i:03d}" for i in range(99, 104)}, name
        assert "Page 1 of 2" in first and "?members=2#members" in first
    assert "105 members" in client.get(reverse("accounts:team", args=[team.pk]),
                                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # An owner's change on the second page comes back to it, not to the first.
    second = client.get(reverse("accounts:team", args=[team.pk]), {"members": 2}).content
    assert b'name="members" value="2"' in second
    last = Membership.objects.get(team=team, user__display_name="Member 103")
    back = f"{reverse('accounts:team', args=[team.pk])}?members=2#members"
    for name, data in (("accounts:team-member-role", {"role": "curator", "members": "2"}),
                       ("accounts:team-member-remove", {"members": "2"})):
        response = client.post(reverse(name, args=[team.pk, last.pk]), data)
        assert response["Location"] == back, name
    assert not Membership.objects.filter(pk=last.pk).exists()


def test_an_owner_giving_up_the_role_is_asked_first_and_told_in_the_first_person(
        alice_client, alice, bob, team):
    Membership.objects.create(user=bob, team=team, role=Role.OWNER)
    create_invitation(actor=alice, team=team)
    page = alice_client.get(reverse("accounts:team", args=[team.pk]),
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Asked on the owner's own row only, and before a link is revoked.
    assert page.count("Only another owner can make you an owner again") == 1
    assert "Whoever has it can no longer join with it" in page
    mine = Membership.objects.get(team=team, user=alice)
    response = alice_client.post(
        reverse("accounts:team-member-role", args=[team.pk, mine.pk]), {"role": "curator"},
        HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert f"Your role in {team.name} is now: Curator." in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.CURATOR
