"""A mail server that refuses or never answers: sign-up and password reset say so and go on,
rather than failing with an error page after the account was made."""

from __future__ import annotations

import socket
import threading

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_port():
    """A port on which nothing listens (the connection is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server():
    """A mail server that takes the connection and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 1


@pytest.mark.parametrize("server", ["closed_port", "silent_server"])
def test_sign_up_goes_on_and_says_the_mail_could_not_be_sent(client, settings, password,
                                                             request, server):
    _smtp(settings, request.getfixturevalue(server))
    response = client.post(reverse("account_signup"), {
        "email": "carol@example.com", "password1": password, "password2": password,
    }, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert ("The confirmation email could not be sent just now. To get a new one, log in again"
            in page)
    # Nothing on the page says the mail went out after all.
    assert "Confirmation email sent" not in page and "We have sent you an email" not in page
    assert User.objects.filter(email="carol@example.com").exists()
    assert not EmailAddress.objects.get(email="carol@example.com").verified


def test_a_password_reset_says_the_mail_could_not_be_sent(client, settings, alice, closed_port):
    _smtp(settings, closed_port)
    response = client.post(reverse("account_reset_password"), {"email": alice.email},
                           follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The password reset email could not be sent just now." in page
    assert "verification link" not in page  # who forgot the password cannot log in for one


def test_a_reset_for_an_unknown_address_fails_in_the_same_words(client, settings, closed_port):
    """Which words say so must not tell whether an account uses the address."""
    _smtp(settings, closed_port)
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"},
                           follow=True)
    assert "The password reset email could not be sent just now." in response.content.decode()


def test_a_taken_address_fails_to_sign_up_in_the_same_words(client, settings, alice, password,
                                                            closed_port):
    _smtp(settings, closed_port)
    response = client.post(reverse("account_signup"), {
        "email": alice.email, "password1": password, "password2": password}, follow=True)
    page = response.content.decode()
    assert ("The confirmation email could not be sent just now. To get a new one, log in again"
            in page)
    assert "Confirmation email sent" not in page and "We have sent you an email" not in page


def test_a_changed_password_whose_notice_is_not_sent_is_still_changed(client, settings, alice,
                                                                      password, closed_port):
    client.force_login(alice)
    _smtp(settings, closed_port)
    response = client.post(reverse("account_change_password"), {
        "oldpassword": password, "password1": "a-new-pass-phrase-9", "password2":
        "a-new-pass-phrase-9"}, follow=True)
    page = response.content.decode()
    assert "The change is saved, but the email that tells your addresses about it" in page
    assert "could not be sent just now" not in page
    alice.refresh_from_db()
    assert alice.check_password("a-new-pass-phrase-9")


@pytest.fixture
def refusing_server():
    """A mail server that refuses every recipient (550), as for an address it does not know."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def converse(conn):
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 mail.test ready\r\n")
            for line in lines:
                verb = line[:4].upper()
                reply = {b"EHLO": b"250 mail.test\r\n", b"HELO": b"250 mail.test\r\n",
                         b"MAIL": b"250 ok\r\n", b"RCPT": b"550 no such mailbox\r\n",
                         b"RSET": b"250 ok\r\n", b"QUIT": b"221 bye\r\n"}.get(verb, b"250 ok\r\n")
                conn.sendall(reply)
                if verb == b"QUIT":
                    return

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn = server.accept()[0]
            except TimeoutError:
                continue
            threading.Thread(target=converse, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_a_refused_address_is_not_written_to_the_log(client, settings, alice, refusing_server,
                                                     caplog):
    _smtp(settings, refusing_server)
    with caplog.at_level("ERROR", logger="accounts"):
        response = client.post(reverse("account_reset_password"), {"email": alice.email},
                               follow=True)
    assert "The password reset email could not be sent just now." in response.content.decode()
    logged = "\n".join(caplog.text.splitlines())
    assert "SMTPRecipientsRefused [550]" in logged
    assert alice.email not in logged and "alice" not in logged


def test_a_reset_password_whose_notice_is_not_sent_says_the_change_is_saved(client, settings,
                                                                            alice, closed_port):
    from tests.accounts import link_from_last_mail

    client.post(reverse("account_reset_password"), {"email": alice.email})
    form = client.get(link_from_last_mail(), follow=True)
    _smtp(settings, closed_port)
    response = client.post(form.redirect_chain[-1][0], {
        "password1": "a-new-pass-phrase-9", "password2": "a-new-pass-phrase-9"}, follow=True)
    page = response.content.decode()
    assert "The change is saved, but the email that tells your addresses about it" in page
    assert "Please try again" not in page
    alice.refresh_from_db()
    assert alice.check_password("a-new-pass-phrase-9")


def test_a_confirmation_that_could_not_be_sent_can_be_asked_for_again_at_once(
        client, settings, alice, password, closed_port):
    """The limit of one confirmation mail in three minutes counts a mail before it is sent:
    one that failed left the learner refused, and told it had been sent."""
    from allauth.account.models import EmailAddress

    from tests.accounts import confirm_password

    EmailAddress.objects.create(user=alice, email="work@example.com", verified=False)
    confirm_password(client, alice, password)
    _smtp(settings, closed_port)
    send = {"action_send": "", "email": "work@example.com"}
    failed = client.post(reverse("account_email"), send, follow=True).content.decode()
    assert "could not be sent just now" in failed
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    again = client.post(reverse("account_email"), send, follow=True).content.decode()
    assert "less than 3 minutes ago" not in again
    assert mail.outbox and mail.outbox[-1].to == ["work@example.com"]
