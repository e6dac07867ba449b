"""Who may do what with teams and study sets: every URL of the feature × every kind of visitor.

The cast, around one team:
- owner, curator, member: the team's members;
- ex_member: was a member, has been removed;
- outsider: signed in, owns a team of their own, never got the set's link;
- editor: staff in the Editors group, not in the team (editing the bank gives no team rights);
- link_visitor: signed in, in no team, holds the set's share link;
- anonymous: not signed in, holds the share link.

Everyone except the outsider holds the share link of the team's link-shared set; the outsider
tries a guessed token. Expected cells: an HTTP status, or "L" for a redirect to the login page.
Outsiders always get 404 (never 403), so nobody learns that a team or set exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.services import create_invitation, create_team, remove_member
from qa.editorial import make_editor
from qa.models import StudySet
from qa.services.sets import add_questions, create_set, share_by_link
from tests.factories import (
    InvitationFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
)

Role = Membership.Role
ROLES = ["anonymous", "owner", "curator", "member", "ex_member", "outsider", "editor",
         "link_visitor"]


@dataclass
class World:
    users: dict
    team: object
    link_set: StudySet  # team set, visibility "link"
    private_team_set: StudySet  # team set, visibility "private": owners and curators only
    personal_set: StudySet  # the owner's own private set
    item: object
    question: object
    other_question: object
    member_membership: Membership
    invitation: object
    expired_invitation: object


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hundreds of cells each create eight users; the real hasher would take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    users = {role: UserFactory(email=f"{role}@example.com") for role in ROLES[1:]}
    owner = users["owner"]
    team = create_team(user=owner, name="Secret cohort")
    Membership.objects.create(user=users["curator"], team=team, role=Role.CURATOR)
    member_membership = Membership.objects.create(user=users["member"], team=team)
    ex = Membership.objects.create(user=users["ex_member"], team=team)
    remove_member(actor=owner, membership=ex)
    create_team(user=users["outsider"], name="Another team")
    make_editor(users["editor"])

    section = SectionFactory()
    question = QuestionFactory(section=section)
    other_question = QuestionFactory(section=section)
    link_set = create_set(user=owner, title="Shared set", team=team)
    add_questions(study_set=link_set, questions=[question])
    share_by_link(study_set=link_set)
    link_set.refresh_from_db()
    private_team_set = create_set(user=owner, title="Draft", team=team,
                                  visibility=StudySet.Visibility.PRIVATE)
    personal_set = create_set(user=owner, title="Owner's own")
    add_questions(study_set=personal_set, questions=[question])
    return World(
        users=users,
        team=team,
        link_set=link_set,
        private_team_set=private_team_set,
        personal_set=personal_set,
        item=link_set.items.get(),
        question=question,
        other_question=other_question,
        member_membership=member_membership,
        invitation=create_invitation(actor=owner, team=team, max_uses=20),
        expired_invitation=InvitationFactory(
            team=team, expires_at=timezone.now() - timedelta(days=1)
        ),
    )


def token_for(w: World, role: str) -> str:
    return "guessed-" + "x" * 24 if role == "outsider" else w.link_set.share_token


def _set_url(name: str, *extra):
    return lambda w, role: (reverse(name, args=[w.link_set.pk, *extra]), None)


def _item_url(name: str, data: dict | None = None):
    return lambda w, role: (reverse(name, args=[w.link_set.pk, w.item.pk]), data or {})


def _team_url(name: str, data: dict | None = None):
    return lambda w, role: (reverse(name, args=[w.team.pk]), data)


def _shared(name: str, data: dict | None = None):
    return lambda w, role: (reverse(name, args=[token_for(w, role)]), data)


# Columns:      anonymous owner curator member ex_member outsider editor link_visitor
TABLE = [
    # --- teams --------------------------------------------------------------------------
    ("GET team-list", lambda w, r: (reverse("accounts:team-list"), None),
     "L 200 200 200 200 200 200 200"),
    ("POST team-list (create)", lambda w, r: (reverse("accounts:team-list"), {"name": "New"}),
     "L 302 302 302 302 302 302 302"),
    ("GET team", _team_url("accounts:team"), "L 200 200 200 404 404 404 404"),
    ("GET team-dashboard", _team_url("accounts:team-dashboard"),
     "L 200 200 200 404 404 404 404"),
    ("POST team-member-role",
     lambda w, r: (reverse("accounts:team-member-role",
                           args=[w.team.pk, w.member_membership.pk]), {"role": "curator"}),
     "L 302 403 403 404 404 404 404"),
    ("POST team-member-remove",
     lambda w, r: (reverse("accounts:team-member-remove",
                           args=[w.team.pk, w.member_membership.pk]), {}),
     "L 302 403 403 404 404 404 404"),
    ("POST team-leave", _team_url("accounts:team-leave", {}),
     "L 302 302 302 404 404 404 404"),
    ("GET team-edit", _team_url("accounts:team-edit"), "L 200 403 403 404 404 404 404"),
    ("POST team-edit", _team_url("accounts:team-edit", {"name": "Renamed"}),
     "L 302 403 403 404 404 404 404"),
    ("GET team-delete", _team_url("accounts:team-delete"), "L 200 403 403 404 404 404 404"),
    ("POST team-delete", _team_url("accounts:team-delete", {"confirm_name": "Secret cohort"}),
     "L 302 403 403 404 404 404 404"),
    ("POST team-invitation-create",
     _team_url("accounts:team-invitation-create", {"role": "member", "days": 7, "max_uses": 3}),
     "L 302 403 403 404 404 404 404"),
    ("POST team-invitation-revoke",
     lambda w, r: (reverse("accounts:team-invitation-revoke",
                           args=[w.team.pk, w.invitation.pk]), {}),
     "L 302 403 403 404 404 404 404"),
    ("GET invite-accept", lambda w, r: (reverse("accounts:invite-accept",
                                                args=[w.invitation.token]), None),
     "L 200 200 200 200 200 200 200"),
    ("POST invite-accept", lambda w, r: (reverse("accounts:invite-accept",
                                                 args=[w.invitation.token]), {}),
     "L 302 302 302 302 302 302 302"),
    ("GET invite-accept (unknown token)",
     lambda w, r: (reverse("accounts:invite-accept", args=["not-a-real-token"]), None),
     "L 404 404 404 404 404 404 404"),
    ("GET invite-accept (expired)",
     lambda w, r: (reverse("accounts:invite-accept", args=[w.expired_invitation.token]), None),
     "L 200 200 200 410 410 410 410"),
    ("POST invite-accept (expired)",
     lambda w, r: (reverse("accounts:invite-accept", args=[w.expired_invitation.token]), {}),
     "L 302 302 302 410 410 410 410"),
    # --- sets: pages of one's own -------------------------------------------------------
    ("GET set-list", lambda w, r: (reverse("qa:set-list"), None),
     "L 200 200 200 200 200 200 200"),
    ("GET set-create", lambda w, r: (reverse("qa:set-create"), None),
     "L 200 200 200 200 200 200 200"),
    ("POST set-create", lambda w, r: (reverse("qa:set-create"),
                                      {"title": "Mine", "visibility": "private"}),
     "L 302 302 302 302 302 302 302"),
    ("POST set-create (into the team)",
     lambda w, r: (reverse("qa:set-create"),
                   {"title": "Mine", "visibility": "team", "owner": str(w.team.pk)}),
     "L 302 302 400 400 400 400 400"),
    ("GET set-import", lambda w, r: (reverse("qa:set-import"), None),
     "L 200 200 200 200 200 200 200"),
    ("GET set-add-from-search",
     lambda w, r: (reverse("qa:set-add-from-search") + f"?set={w.link_set.pk}&q=注意力", None),
     "L 200 200 200 200 200 200 200"),
    ("POST set-add-from-search (into the team's set)",
     lambda w, r: (reverse("qa:set-add-from-search"),
                   {"target": f"set:{w.link_set.pk}", "question": [w.other_question.pk]}),
     "L 302 302 400 400 400 400 400"),
    ("POST set-question (add)",
     lambda w, r: (reverse("qa:set-question"),
                   {"set": w.link_set.pk, "question": w.other_question.pk, "action": "add"}),
     "L 302 302 403 404 404 404 404"),
    ("GET bank-export",
     lambda w, r: (reverse("qa:bank-export", args=[w.question.bank.slug, "json"]), None),
     "L 200 200 200 200 200 200 200"),
    # --- sets: by id --------------------------------------------------------------------
    ("GET set", _set_url("qa:set"), "L 200 200 200 404 404 404 404"),
    ("GET set (team-private draft)",
     lambda w, r: (reverse("qa:set", args=[w.private_team_set.pk]), None),
     "L 200 200 404 404 404 404 404"),
    ("GET set (owner's personal set)",
     lambda w, r: (reverse("qa:set", args=[w.personal_set.pk]), None),
     "L 200 404 404 404 404 404 404"),
    ("GET set-edit", _set_url("qa:set-edit"), "L 200 200 403 404 404 404 404"),
    ("POST set-edit", lambda w, r: (reverse("qa:set-edit", args=[w.link_set.pk]),
                                    {"title": "Renamed", "visibility": "team"}),
     "L 302 302 403 404 404 404 404"),
    ("GET set-delete", _set_url("qa:set-delete"), "L 200 200 403 404 404 404 404"),
    ("POST set-delete", lambda w, r: (reverse("qa:set-delete", args=[w.link_set.pk]), {}),
     "L 302 302 403 404 404 404 404"),
    ("GET set-add", _set_url("qa:set-add"), "L 200 200 403 404 404 404 404"),
    ("POST set-add-section",
     lambda w, r: (reverse("qa:set-add-section", args=[w.link_set.pk]),
                   {"section": w.question.section_id}),
     "L 302 302 403 404 404 404 404"),
    ("POST set-add-bookmarks",
     lambda w, r: (reverse("qa:set-add-bookmarks", args=[w.link_set.pk]), {}),
     "L 302 302 403 404 404 404 404"),
    ("POST set-item-move", _item_url("qa:set-item-move", {"direction": "down"}),
     "L 302 302 403 404 404 404 404"),
    ("POST set-item-remove", _item_url("qa:set-item-remove"),
     "L 302 302 403 404 404 404 404"),
    ("POST set-item-note", _item_url("qa:set-item-note", {"note": "hi"}),
     "L 302 302 403 404 404 404 404"),
    ("POST set-share", lambda w, r: (reverse("qa:set-share", args=[w.link_set.pk]),
                                     {"action": "regenerate"}),
     "L 302 302 403 404 404 404 404"),
    ("GET set-copy", _set_url("qa:set-copy"), "L 200 200 200 404 404 404 404"),
    ("POST set-copy", lambda w, r: (reverse("qa:set-copy", args=[w.link_set.pk]),
                                    {"title": "My copy"}),
     "L 302 302 302 404 404 404 404"),
    ("POST set-study", lambda w, r: (reverse("qa:set-study", args=[w.link_set.pk]), {}),
     "L 302 302 302 404 404 404 404"),
    ("GET set-export json", _set_url("qa:set-export", "json"),
     "L 200 200 200 404 404 404 404"),
    ("GET set-export csv", _set_url("qa:set-export", "csv"),
     "L 200 200 200 404 404 404 404"),
    ("GET set-export apkg", _set_url("qa:set-export", "apkg"),
     "L 200 200 200 404 404 404 404"),
    # --- sets: by share link ------------------------------------------------------------
    ("GET set-shared", _shared("qa:set-shared"), "200 200 200 200 200 404 200 200"),
    ("POST set-shared-study", _shared("qa:set-shared-study", {}),
     "L 302 302 302 302 404 302 302"),
    ("GET set-shared-copy", _shared("qa:set-shared-copy"), "L 200 200 200 200 404 200 200"),
    ("POST set-shared-copy", _shared("qa:set-shared-copy", {"title": "Copied"}),
     "L 302 302 302 302 404 302 302"),
]

CELLS = [
    pytest.param(label, build, role, expected.split()[i], id=f"{label} | {role}")
    for label, build, expected in TABLE
    for i, role in enumerate(ROLES)
]


def test_the_table_has_a_cell_for_every_role():
    for label, _build, expected in TABLE:
        assert len(expected.split()) == len(ROLES), label


def test_every_url_of_the_feature_is_in_the_table():
    from django.urls import get_resolver

    names = {
        f"{ns}:{name}"
        for ns in ("accounts", "qa")
        for name in get_resolver().namespace_dict[ns][1].reverse_dict
        if isinstance(name, str)
    }
    ours = {n for n in names if n.startswith(("accounts:team", "accounts:invite", "qa:set",
                                              "qa:bank-export"))}
    covered = {f"{'accounts' if 'team' in lbl or 'invite' in lbl else 'qa'}:"
               f"{lbl.split()[1]}" for lbl, _b, _e in TABLE}
    assert ours <= covered, sorted(ours - covered)


@pytest.mark.parametrize(("label", "build", "role", "expected"), CELLS)
def test_access(world, label, build, role, expected):
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    url, data = build(world, role)
    response = client.get(url) if data is None else client.post(url, data)
    if expected == "L":
        assert response.status_code == 302, (label, role, response.status_code)
        assert response["Location"].startswith(reverse("account_login")), response["Location"]
    else:
        assert response.status_code == int(expected), (label, role, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("account_login"))


def test_removal_takes_effect_on_the_next_request(world):
    member = world.users["member"]
    client = Client()
    client.force_login(member)
    set_url = reverse("qa:set", args=[world.link_set.pk])
    team_url = reverse("accounts:team", args=[world.team.pk])
    assert client.get(set_url).status_code == 200
    assert client.get(team_url).status_code == 200

    remove_member(actor=world.users["owner"], membership=world.member_membership)

    assert client.get(set_url).status_code == 404
    assert client.get(team_url).status_code == 404
    assert client.post(reverse("qa:set-study", args=[world.link_set.pk])).status_code == 404


def test_a_revoked_share_link_is_404_for_everyone(world):
    from qa.services.sets import revoke_link

    url = reverse("qa:set-shared", args=[world.link_set.share_token])
    assert Client().get(url).status_code == 200
    revoke_link(study_set=world.link_set)
    assert Client().get(url).status_code == 404
    owner = Client()
    owner.force_login(world.users["owner"])
    assert owner.get(url).status_code == 404


def test_a_share_token_of_a_set_that_is_no_longer_link_visible_is_404(world):
    # Even with the token still in the row, only visibility "link" opens the public page.
    StudySet.objects.filter(pk=world.link_set.pk).update(visibility=StudySet.Visibility.TEAM)
    url = reverse("qa:set-shared", args=[world.link_set.share_token])
    assert Client().get(url).status_code == 404
