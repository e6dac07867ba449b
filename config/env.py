"""Small, strict readers for environment settings.

A typo in an environment variable should stop the process at start with a message naming the
variable, not surface later as odd behaviour.
"""

from __future__ import annotations

import math
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if not value:
        # Neither false nor the default: a blank left in a template of variables would
        # otherwise turn off TLS for mail or the HTTPS redirect (or turn DEBUG on) unnoticed.
        raise ImproperlyConfigured(
            f"{name} is set but empty; set it to true or false, or leave it unset for its "
            f"default ({str(default).lower()})."
        )
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of: true, false, 1, 0, yes, no, on, off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(name: str, default: float, *, between: tuple[float, float] | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not math.isfinite(value):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.")
    if between is not None and not between[0] <= value <= between[1]:
        raise ImproperlyConfigured(f"{name}={value} must be between {between[0]} and "
                                   f"{between[1]}.")
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """One of `choices`, matched without regard to case (and returned as the choice is
    spelled)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    by_folded = {choice.casefold(): choice for choice in choices}
    value = by_folded.get(raw.strip().casefold())
    if value is None:
        raise ImproperlyConfigured(f"{name}={raw!r} is not one of: {', '.join(choices)}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
