"""A visitor signs up, verifies, logs in and switches language, in a real Chromium."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_visit_sign_up_log_in_and_switch_language(page, password):
    page.goto("/")
    assert page.locator("h1").first.inner_text().startswith("Prepare for interviews")

    page.click("text=Sign up")
    page.fill("input[name=email]", "erin@example.com")
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.click("main form button[type=submit]")  # confirm the address; this also logs in
    page.wait_for_url(re.compile(r"/$"))

    # Log out and back in through the real form.
    page.click("header button:has-text('Log out')")
    page.wait_for_selector("header a:has-text('Log in')")
    page.click("header a:has-text('Log in')")
    page.fill("input[name=login]", "erin@example.com")
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_selector("header .nav-user")
    # The settings mark, then the name.
    assert page.inner_text("header .nav-user").split() == ["⚙\ufe0e", "erin"]

    page.click("header button:has-text('中文')")
    page.wait_for_selector("html[lang=zh-hans]")
    header = page.inner_text("header")
    assert "退出登录" in header
    assert "题库" in header

    page.click("header button:has-text('EN')")
    page.wait_for_selector("html[lang=en]")
    assert "Log out" in page.inner_text("header")


def test_an_account_form_cannot_be_sent_twice_by_a_second_click(page, login, password):
    from tests.factories import UserFactory

    user = UserFactory(email="twice@example.com")
    login(page, user, password)
    page.goto("/accounts/password/change/")
    page.fill("input[name=oldpassword]", password)
    page.fill("input[name=password1]", "a-much-better-passphrase-77")
    page.fill("input[name=password2]", "a-much-better-passphrase-77")
    # Keep the page here after the submission starts, as a slow server would.
    page.evaluate("window.addEventListener('submit', e => e.preventDefault())")
    button = page.locator("main form button[type=submit]")
    button.click()
    expect(button).to_be_disabled()


def test_a_learner_downloads_their_data_then_deletes_the_account(page, login, password):
    import json

    from accounts.models import User
    from tests.factories import NoteFactory, UserFactory

    user = UserFactory(email="leaving@example.com")
    NoteFactory(user=user, body="要带走的笔记")
    login(page, user, password)
    page.goto("/me/settings/")
    with page.expect_download() as download:
        page.click("text=Download your data")
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert [note["body"] for note in data["notes"]] == ["要带走的笔记"]

    page.click("text=Delete your account")
    expect(page.locator("main")).to_contain_text("1 note")
    page.fill("input[name=confirm_email]", "leaving@example.com")
    page.click("main button:has-text('Delete my account')")
    # allauth asks for the password once more, then carries the deletion out.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    expect(page.locator(".messages[role=status]")).to_contain_text(
        "Your account and everything in it were deleted.")
    expect(page.locator("header")).to_contain_text("Log in")
    assert not User.objects.filter(email="leaving@example.com").exists()


def _settings_in_zone(browser, live_server, login, password, zone: str):
    """A learner's settings page, in a browser whose device is set to `zone`."""
    from tests.factories import UserFactory

    user = UserFactory()
    context = browser.new_context(locale="en-US", base_url=live_server.url, timezone_id=zone)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, user, password)
    page.goto("/me/settings/")
    return user, context, page


@pytest.mark.parametrize("zone", [
    "Europe/Berlin",
    "Asia/Kolkata",  # which Chromium names by its old name, Asia/Calcutta, left off the list
])
def test_settings_offer_the_device_s_time_zone_and_the_learner_saves_it(browser, live_server,
                                                                       login, password, zone):
    from accounts.models import User

    user, context, page = _settings_in_zone(browser, live_server, login, password, zone)
    try:
        hint = page.locator("#zone-hint")
        expect(hint).to_contain_text(f"Use this device's time zone: {zone}")
        hint.locator("button").click()
        expect(page.locator("#id_time_zone")).to_have_value(zone)
        expect(page.locator("#id_time_zone")).to_be_focused()
        page.click("main form button[type=submit] >> text=Save")
        expect(page.locator(".message").first).to_contain_text("saved")
        expect(hint).to_be_hidden()  # the device's zone is the one chosen now
        assert User.objects.get(pk=user.pk).time_zone == zone
    finally:
        context.close()
