"""The admin site × every kind of visitor, model admin by model admin from the admin site's
registry, plus the extra views model admins add (preview, compare, revert...). The world and
how a response is judged: tests/authorization.py."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.authorization import (
    ADMIN_CASES,
    ALLOW,
    FORBIDDEN,
    GONE,
    LOGIN,
    NOT_FOUND,
    ROLES,
    assert_no_leak,
    client_for,
    is_admin_extra,
    outcome,
    url_names,
)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "model_label", "action"), ADMIN_CASES,
                         ids=[c[0] for c in ADMIN_CASES])
def test_admin_matrix(client, world, name, model_label, action):
    from django.apps import apps

    kwargs = {}
    model = None
    if model_label:
        model = apps.get_model(model_label)
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model_label}"
        kwargs = {"object_id": obj.pk}
    url = reverse(name, kwargs=kwargs)
    for role in ROLES:
        client.logout()
        c = client_for(client, world, role)
        response = c.get(url)
        got = outcome(response)
        if role in ("editor", "superuser"):
            expected = ALLOW if _admin_allows(world.users[role], name, model, action) \
                else FORBIDDEN
            if role == "editor" and opts_of(name, model).app_label in PEOPLE_APPS:
                # Editors curate the bank; accounts, teams and groups are not theirs.
                assert expected == FORBIDDEN, f"{name}: editors must not manage people"
        else:
            expected = LOGIN  # non-staff are sent to the admin's login page
        assert got == expected, f"{name} as {role}: {response.status_code}"
        if role != "superuser":
            assert_no_leak(response, role, name)


PEOPLE_APPS = {"accounts", "auth", "account"}


def opts_of(name: str, model):
    return (model or _changelist_model(name))._meta


def _admin_allows(user, name: str, model, action: str) -> bool:
    from django.test import RequestFactory

    model = model or _changelist_model(name)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = user
    obj = model._default_manager.order_by("pk").first() if not name.endswith(
        ("_changelist", "_add")) else None
    if not model_admin.has_module_permission(request):
        return False
    if name.endswith("_add"):
        return model_admin.has_add_permission(request)
    if action == "delete":
        return model_admin.has_delete_permission(request, obj)
    return model_admin.has_view_or_change_permission(request, obj)


def _changelist_model(name: str):
    from django.apps import apps

    app_model = name.split(":", 1)[1].rsplit("_", 1)[0]
    for model in admin.site._registry:
        if f"{model._meta.app_label}_{model._meta.model_name}" == app_model:
            return model
    return apps.get_model(app_model.replace("_", ".", 1))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_index_is_for_staff_only(client, world, role):
    c = client_for(client, world, role)
    got = outcome(c.get(reverse("admin:index")))
    assert got == (ALLOW if role in ("editor", "superuser") else LOGIN)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n in url_names() if is_admin_extra(n)))
def test_admin_extra_views_are_for_staff_only(client, world, name):
    from django.urls import NoReverseMatch

    q1 = world.o["q1"]
    candidates = [{}, {"object_id": q1.pk}, {"id": world.users["learner"].pk},
                  {"object_id": q1.pk, "history_id": world.o["change"].history_id}]
    url = None
    for kwargs in candidates:
        try:
            url = reverse(name, kwargs=kwargs)
            break
        except NoReverseMatch:
            try:
                url = reverse(name, args=[q1.pk, world.o["change"].history_id])
                break
            except NoReverseMatch:
                continue
    assert url, name
    for role in ROLES:
        client.logout()
        c = client_for(client, world, role)
        got = outcome(c.get(url))
        people = name.split(":", 1)[1].split("_", 1)[0] in PEOPLE_APPS
        if role == "editor" and people:
            assert got == FORBIDDEN, f"{name} as {role}: {got}"
        elif role in ("editor", "superuser"):
            assert got in (ALLOW, GONE), f"{name} as {role}: {got}"
        else:
            assert got in (LOGIN, NOT_FOUND, FORBIDDEN), f"{name} as {role}: {got}"
