"""Fixtures of the team tests; test_team_services.py keeps a team of its own."""

from __future__ import annotations

import pytest

from accounts.services import create_team


@pytest.fixture
def team(alice):
    """A team alice owns, alone."""
    return create_team(user=alice, name="Attention seekers")
