"""Django admin strings that Django's own Chinese catalog leaves in English, named for
`makemessages`.

Django 5.2's zh_Hans catalog has no translation for these (the headings a screen reader reads
on the admin's index, the "Error:" that starts the title of a page with errors, the login
page's link). The site translates them in locale/zh_Hans/LC_MESSAGES/django.po, which Django
reads before an app's own. Nothing imports this module: it exists so that
`makemessages --no-obsolete` finds these msgids in the project and keeps them in the catalog.

The admin's JavaScript strings (the two-list filter of tags) are in the djangojs domain,
which `makemessages` is not run for: locale/zh_Hans/LC_MESSAGES/djangojs.po is kept by hand.
tests/test_translations.py fails when Django rewords a string either names.
"""

from django.utils.translation import gettext_noop

ADMIN = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
)
