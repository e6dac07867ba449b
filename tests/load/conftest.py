"""The load and fault tests take minutes and need PostgreSQL: they run only when asked for
with `-m slow` (CI runs them in their own step)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="load test: run with `pytest -m slow tests/load/`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
