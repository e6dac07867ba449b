from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM use.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.8 s per user on this hardware; what is tested is allauth's flow and
    # our permission checks, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits live in the cache; one test's failed logins must not leak into
    # the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _own_language():
    # A request through the test client leaves its language active in the thread (Django
    # activates one per request and never takes it back): the next test would speak it.
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", display_name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.com", display_name="Bob")


@pytest.fixture
def editor(db):
    """Staff in the Editors group, not a superuser."""
    from qa.editorial import make_editor

    user = UserFactory(email="editor@example.com", display_name="Editor")
    make_editor(user)
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


class QueryCounter:
    """Counts SQL queries; on a failed comparison, shows them."""

    def __init__(self) -> None:
        self.context = CaptureQueriesContext(connection)

    def __enter__(self) -> QueryCounter:
        self.context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.context.__exit__(*exc)

    def __len__(self) -> int:
        return len(self.context.captured_queries)

    def __repr__(self) -> str:
        lines = [f"{len(self)} queries:"]
        lines += [f"  {i}. {q['sql']}" for i, q in enumerate(self.context.captured_queries, 1)]
        return "\n".join(lines)


@pytest.fixture
def count_queries():
    """Usage: `with count_queries() as q: ...; assert len(q) == n, q`."""
    return QueryCounter


@pytest.fixture
def world(db):
    """The authorization tables' world (tests/authorization.py): a user per role and
    something private of each kind."""
    from tests.authorization import build_world

    return build_world()
