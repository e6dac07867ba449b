"""The Chinese catalog is complete, and the compiled .mo matches the .po it came from."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _po_entries(path: Path) -> dict[str, list[str]]:
    """msgid (with context) -> its msgstr values, from a .po file. Skips the header."""
    entries: dict[str, list[str]] = {}
    current: dict[str, str] = {}
    key = None

    def flush():
        if current.get("msgid"):
            ident = current["msgid"]
            if "msgctxt" in current:
                ident = f"{current['msgctxt']}\x04{ident}"
            entries[ident] = [v for k, v in current.items() if k.startswith("msgstr")]

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line and current:
                flush()
                current, key = {}, None
            continue
        if line.startswith('"'):
            current[key] += ast.literal_eval(line)
            continue
        key, _, value = line.partition(" ")
        current[key] = ast.literal_eval(value)
    return entries


def test_every_string_has_a_chinese_translation():
    entries = _po_entries(LOCALE / "django.po")
    assert len(entries) > 500
    missing = [msgid for msgid, values in entries.items() if not all(values)]
    assert missing == []


def test_compiled_catalog_matches_the_po_file():
    entries = _po_entries(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog
    compiled = {k if isinstance(k, str) else k[0] for k in catalog if k}
    assert compiled == set(entries), "run: python manage.py compilemessages"


def test_a_chinese_form_ends_its_labels_with_a_full_width_colon(client, db):
    """Django's own Chinese catalog keeps the half-width colon after a label; the site's does
    not."""
    zh = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "密码：</label>" in zh
    assert "密码:</label>" not in zh
    assert "Password:</label>" in en


ALLAUTH_VOICE = re.compile(r"您|电子邮件|Email地址|帐号|帐户")


def test_the_account_pages_and_mails_speak_in_the_sites_voice(client, db, mailoutbox):
    """allauth's own Chinese says 您 and "Email地址"; the site says 你 and 邮箱
    (accounts/allauth_wording.py names the strings the site's catalog translates again)."""
    from tests.factories import PASSWORD, UserFactory

    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    pages = [client.get(url, **zh) for url in (
        "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/")]
    client.post("/accounts/signup/", {"email": "new@example.com", "password1": PASSWORD,
                                      "password2": PASSWORD}, **zh)
    pages.append(client.get("/accounts/confirm-email/", **zh))
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, **zh)
    client.force_login(UserFactory())
    pages += [client.get(url, **zh) for url in (
        "/accounts/email/", "/accounts/logout/", "/accounts/reauthenticate/",
        "/accounts/password/change/")]
    texts = [page.content.decode() for page in pages]
    texts += [f"{message.subject}\n{message.body}" for message in mailoutbox]
    assert len(mailoutbox) == 2
    assert [ALLAUTH_VOICE.findall(text) for text in texts] == [[]] * len(texts)
    assert "邮箱" in texts[0]


def test_every_allauth_string_the_site_words_again_is_still_allauths():
    """When allauth rewords a string, the site's translation of the old words would stop
    applying without a sound."""
    import allauth

    from accounts import allauth_wording

    mo = Path(allauth.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as fh:
        theirs = {k if isinstance(k, str) else k[0] for k in gettext.GNUTranslations(fh)._catalog}
    ours = [s for group in (allauth_wording.FORMS, allauth_wording.PAGES,
                            allauth_wording.MESSAGES, allauth_wording.EMAILS,
                            allauth_wording.ADMIN) for s in group]
    assert len(ours) > 90
    assert [s for s in ours if s not in theirs] == []


def test_the_question_model_and_a_count_of_questions_are_named_apart_in_chinese():
    from django.utils import translation
    from django.utils.translation import gettext

    from qa.models import Question

    with translation.override("zh-hans"):
        assert str(Question._meta.verbose_name_plural) == "题目"  # the admin's name for them
        assert gettext("questions") == "题数"  # "5 questions" in a mock interview


def test_the_editors_admin_has_no_english_left_in_chinese(editor_client):
    """Django's Chinese catalogs lag behind its English: the admin's list filter, the headings
    a screen reader reads on its index, and the title of a page with errors said English.
    The site translates those strings itself (qa/admin_wording.py, djangojs.po)."""
    from django.utils import translation
    from django.utils.translation import gettext

    from qa import admin_wording

    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    catalog = editor_client.get("/admin/jsi18n/", **zh).content.decode()
    for msgid in ('Choose %s by selecting them and then select the \\"Choose\\" arrow button.',
                  "Choose all %s", "Remove selected %s", "(click to clear)"):
        assert f'"{msgid}": "' in catalog, msgid
    index = editor_client.get("/admin/", **zh).content.decode()
    assert "Model name" not in index and "Add link" not in index
    with translation.override("zh-hans"):
        assert [s for s in admin_wording.ADMIN if gettext(s) == s] == []


def test_every_django_string_the_site_translates_is_still_djangos():
    """When Django rewords one, the site's translation would stop applying without a sound."""
    import django

    from qa import admin_wording

    english = Path(django.__file__).parent / "contrib" / "admin" / "locale" / "en" / "LC_MESSAGES"
    theirs = {*_po_entries(english / "django.po"), *_po_entries(english / "djangojs.po")}
    js = _po_entries(LOCALE / "djangojs.po")
    assert [s for s in (*admin_wording.ADMIN, *js) if s not in theirs] == []
    assert [msgid for msgid, values in js.items() if not all(values)] == []


def test_django_s_form_messages_read_in_the_site_s_chinese(client):
    """Django's Chinese says "Email 地址" and calls a field 该变量 ("this variable")."""
    import django
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext, ngettext

    from config import django_wording

    root = Path(django.__file__).parent
    theirs = {*_po_entries(root / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po"),
              *_po_entries(root / "contrib" / "auth" / "locale" / "en" / "LC_MESSAGES"
                           / "django.po")}
    plurals = ["Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
               "Ensure this value has at least %(limit_value)d character (it has "
               "%(show_value)d)."]  # django_wording.PLURALS
    assert len(plurals) == len(django_wording.PLURALS)
    assert [s for s in (*django_wording.FORMS, *plurals) if s not in theirs] == []
    page = client.post(reverse("account_signup"), {"email": "not-an-address"},
                       HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "请输入有效的邮箱地址。" in page and "Email 地址" not in page
    with translation.override("zh-hans"):
        too_long = ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            60) % {"limit_value": 60, "show_value": 61}
        assert too_long == "最多 60 个字符（现在有 61 个）。"
        assert gettext("Note:") == "注意："


def test_allauth_s_pages_say_log_in_and_log_out_as_the_header_does(client):
    from django.urls import reverse

    login = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    signup = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for page in (login, signup):
        assert "Sign In" not in page and "sign in" not in page
    assert "<h1>Log in</h1>" in login.replace("\n", "").replace("  ", "")
