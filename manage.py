#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    if "--traceback" not in sys.argv and not any(a.startswith("--settings") for a in sys.argv):
        try:
            _ = settings.INSTALLED_APPS  # reads the environment (config/settings.py)
        except ImproperlyConfigured as exc:
            # A bad or missing setting: the operator's to fix, named without a traceback.
            sys.exit(f"Configuration error: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
