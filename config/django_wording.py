"""Django's own strings (form and password validation) whose Chinese reads unlike the rest of
the site, named for `makemessages`.

Django's zh_Hans catalog says "Email 地址", leaves spaces around a field's name and calls a
form field 该变量 ("this variable"); the site says 邮箱 and speaks to the person. Django reads
the LOCALE_PATHS catalogs before its own, so these msgids, translated in
locale/zh_Hans/LC_MESSAGES/django.po, read in the site's voice on the sign-up, settings and
other forms. Nothing imports this module: it exists so that `makemessages --no-obsolete` finds
these msgids in the project and keeps them in the catalog. tests/test_translations.py fails
when Django rewords one.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

FORMS = (
    gettext_noop("Enter a valid email address."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
)
PLURALS = (
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)
