#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A bad or missing setting (config/settings.py reads the environment): the operator's
        # to fix, named without a traceback above it.
        sys.exit(f"Configuration error: {exc}")


if __name__ == "__main__":
    main()
