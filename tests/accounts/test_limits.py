"""Issue 9, item 5 for accounts: log-in lockout (django-axes), rate limits on sign-up and
password reset, long usernames, and password rules that say why."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from tandem.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def log_in(client, username, password, path=None):
    return client.post(path or reverse("login"), {"username": username, "password": password})


def test_ten_failures_lock_out_that_username_from_that_address(client, writer_a, make_writer):
    for _ in range(9):
        assert log_in(client, "alice", "wrong-password-guess").status_code == 200
    assert log_in(client, "alice", "wrong-password-guess").status_code == 429  # the tenth
    locked = log_in(client, "alice", PASSWORD)  # even the right password, for now
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    page = text_of(locked)
    assert "Too many failed log-ins for this username" in page
    assert "Try again in about 15 minutes." in page
    assert SESSION_KEY not in client.session
    # Another writer at the same address is not locked out.
    make_writer("bram")
    assert log_in(client, "bram", PASSWORD).status_code == 302


def test_admin_log_in_is_locked_out_too(client, writer_a):
    writer_a.is_staff = True
    writer_a.save()
    url = reverse("admin:login")
    for _ in range(9):
        assert log_in(client, "alice", "wrong-password-guess", url).status_code == 200
    assert log_in(client, "alice", "wrong-password-guess", url).status_code == 429
    locked = log_in(client, "alice", PASSWORD, url)
    assert locked.status_code == 429
    assert "Too many failed log-ins" in text_of(locked)


def test_log_in_attempts_per_address_are_capped_whatever_the_username(client, settings):
    settings.TANDEM_RATE_LIMIT_SCALE = 0.1  # 30/min becomes 3/min
    codes = [log_in(client, f"name{i}", "wrong-password-guess").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_fifty_thousand_character_username_is_a_form_error_at_log_in(client, writer_a):
    response = log_in(client, "a" * 50_000, "whatever-password")
    assert response.status_code == 200
    assert "at most 150 characters" in text_of(response)


def test_a_fifty_thousand_character_username_is_a_form_error_at_sign_up(client):
    response = client.post(
        reverse("sign-up"),
        {
            "username": "a" * 50_000,
            "email": "long@example.test",
            "password1": "lanterns-over-the-river",
            "password2": "lanterns-over-the-river",
        },
    )
    assert response.status_code == 200
    assert "at most 150 characters" in text_of(response)
    assert not User.objects.exists()


def test_sign_up_is_rate_limited_per_address(client):
    codes = []
    for i in range(11):
        response = client.post(
            reverse("sign-up"),
            {
                "username": f"name{i}",
                "email": f"name{i}@example.test",
                "password1": "lanterns-over-the-river",
                "password2": "lanterns-over-the-river",
            },
        )
        codes.append(response.status_code)
        client.logout()
    assert codes == [302] * 10 + [429]
    assert User.objects.count() == 10
    assert "Signing up from your network is paused" in text_of(response)
    assert int(response["Retry-After"]) > 0


def test_password_reset_is_rate_limited_per_address_and_per_email(client, writer_a):
    url = reverse("password_reset")
    codes = [client.post(url, {"email": "alice@example.test"}).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]
    assert len(mail.outbox) == 5


def test_password_reset_per_email_limit_holds_across_addresses(client, writer_a):
    url = reverse("password_reset")
    codes = [
        client.post(url, {"email": "ALICE@example.test"}, REMOTE_ADDR=f"10.0.0.{i}").status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("lantern42", "at least 10 characters"),
        ("password1234", "too common"),
        ("1234567890123", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, password, reason):
    response = client.post(
        reverse("sign-up"),
        {
            "username": "juniper",
            "email": "juniper@example.test",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 200
    assert reason in text_of(response)
    assert not User.objects.exists()


def test_password_change_page_says_what_a_password_needs(client, writer_a):
    client.force_login(writer_a)
    page = text_of(client.get(reverse("password_change")))
    assert "At least 10 characters" in page
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "short1", "new_password2": "short1"},
    )
    assert response.status_code == 200
    assert "at least 10 characters" in text_of(response)
