"""Writers' accounts: sign up, log in and out, passwords, profile, and labelled forms."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from tandem.accounts.models import User
from tandem.accounts.tasks import tell_address_owners
from tandem.threads import services as thread_services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-lantern-42"


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def sign_up(client, **overrides):
    data = {
        "username": "juniper",
        "email": "juniper@example.test",
        "password1": "lanterns-over-the-river",
        "password2": "lanterns-over-the-river",
    }
    data.update(overrides)
    return client.post(reverse("sign-up"), data)


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


# ---------------------------------------------------------------------------- sign up


def test_sign_up_creates_a_writer_logs_in_and_hashes_with_argon2(client):
    """Signing up creates the writer, logs them in, sends them to create a muse, and stores
    the password as an Argon2 hash."""
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("muse-create")
    user = User.objects.get(username="juniper")
    assert user.email == "juniper@example.test"
    assert user.password.startswith("argon2")
    assert user.check_password("lanterns-over-the-river")
    assert str(logged_in_user_id(client)) == str(user.pk)


def test_sign_up_refuses_a_username_taken_in_another_case(client, writer_a):
    """“ALICE” is taken when “alice” exists; the form says so and no account is made."""
    response = sign_up(client, username="ALICE", email="other@example.test")
    assert response.status_code == 200
    assert "That username is taken." in text_of(response)
    assert User.objects.filter(username__iexact="alice").count() == 1
    assert logged_in_user_id(client) is None


def test_sign_up_does_not_reveal_an_email_in_use(
    client, writer_a, django_capture_on_commit_callbacks
):
    """Issue 9: an address already used (in any case) is accepted exactly like a new one —
    same redirect, no message naming the address — and the writer who already uses it is
    told by e-mail, sent by the worker. (Before, the form said “An account already uses
    that email address.”, telling strangers which addresses have accounts.)"""
    fresh = sign_up(Client(), username="rowan", email="rowan@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        taken = sign_up(client, email="ALICE@Example.TEST")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == reverse("muse-create")
    assert User.objects.filter(username="juniper", email="ALICE@Example.TEST").exists()
    assert mail.outbox == []  # nothing sent during the request: the timing tells nothing
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get(task_path=tell_address_owners.module_path)
    tell_address_owners.call(*queued.args_kwargs["args"])  # what the worker runs
    assert [m.to for m in mail.outbox] == [["alice@example.test"]]
    assert "juniper" in mail.outbox[0].body


def test_sign_up_form_says_usernames_are_public(client):
    page = text_of(client.get(reverse("sign-up")))
    assert "Usernames are public" in page
    assert "At least 10 characters" in page


@pytest.mark.parametrize(
    "password",
    ["short", "12345678901", "password123", "juniper123"],
    ids=["too short", "only digits", "common", "like the username"],
)
def test_sign_up_refuses_weak_passwords(client, password):
    """Short, numeric, common or username-like passwords are refused with a message."""
    response = sign_up(client, password1=password, password2=password)
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(username="juniper").exists()


def test_sign_up_refuses_differing_passwords(client):
    """The two password fields must match."""
    response = sign_up(client, password2="something-else-entirely")
    assert response.status_code == 200
    assert "The two passwords differ." in text_of(response)
    assert not User.objects.exists()


def test_sign_up_accepts_a_unicode_username(client):
    """Usernames may use letters of any script."""
    response = sign_up(client, username="Zoë", email="zoe@example.test")
    assert response.status_code == 302
    assert User.objects.filter(username="Zoë").exists()


# ---------------------------------------------------------------------------- log in / out


@pytest.mark.parametrize("typed", ["alice", "ALICE", "Alice"])
def test_login_ignores_username_case(client, writer_a, typed):
    """The login form (fields username and password) accepts the username in any case."""
    response = client.post(reverse("login"), {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert str(logged_in_user_id(client)) == str(writer_a.pk)


def test_login_with_a_wrong_password_is_refused(client, writer_a):
    """A wrong password keeps the visitor logged out, with a message."""
    response = client.post(reverse("login"), {"username": "alice", "password": "nope-nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert logged_in_user_id(client) is None


def test_logout_by_post(client, writer_a):
    """Logging out is a POST; it ends the session and goes to the login page."""
    client.force_login(writer_a)
    assert client.get(reverse("logout")).status_code == 405
    assert logged_in_user_id(client) is not None
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert logged_in_user_id(client) is None


# ---------------------------------------------------------------------------- passwords


def test_password_change(client, writer_a):
    """A writer changes their password knowing the old one; the new one then works."""
    client.force_login(writer_a)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    writer_a.refresh_from_db()
    assert writer_a.check_password(NEW_PASSWORD)
    assert writer_a.password.startswith("argon2")


def test_password_change_needs_the_old_password(client, writer_a):
    """A wrong old password is refused."""
    client.force_login(writer_a)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    writer_a.refresh_from_db()
    assert writer_a.check_password(PASSWORD)


def test_password_reset_email_link_sets_a_new_password(client, writer_a):
    """Asking for a reset (email in any case) sends one email whose link lets the writer set
    a new password once; they can then log in with it."""
    response = client.post(reverse("password_reset"), {"email": "ALICE@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.test"]
    links = re.findall(r"https?://testserver(/accounts/reset/\S+/)", message.body)
    assert len(links) == 1, message.body

    form_page = client.get(links[0], follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    writer_a.refresh_from_db()
    assert writer_a.check_password(NEW_PASSWORD)

    client.logout()
    again = client.get(links[0], follow=True)
    assert again.context["validlink"] is False
    logged_in = client.post(reverse("login"), {"username": "alice", "password": NEW_PASSWORD})
    assert logged_in.status_code == 302


def test_password_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(client):
    """An unknown address gets the same answer page and no email."""
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


# ---------------------------------------------------------------------------- profile


def test_profile_edit_saves_and_validates_the_time_zone(client, writer_a):
    """The profile saves a real time zone and refuses an unknown one."""
    client.force_login(writer_a)
    bad = client.post(
        reverse("profile"), {"display_name": "", "time_zone": "Mars/Olympus_Mons", "bio": ""}
    )
    assert bad.status_code == 200
    assert bad.context["form"].errors["time_zone"]
    writer_a.refresh_from_db()
    assert writer_a.time_zone == "UTC"

    good = client.post(
        reverse("profile"), {"display_name": "Al", "time_zone": "Europe/Berlin", "bio": "Hi."}
    )
    assert good.status_code == 302
    writer_a.refresh_from_db()
    assert (writer_a.display_name, writer_a.time_zone, writer_a.bio) == (
        "Al",
        "Europe/Berlin",
        "Hi.",
    )


def test_unicode_and_emoji_display_names(client, writer_a):
    """Display names in any script, emoji included, are saved and shown as typed."""
    name = "Мари́я 🌙 李白 ✨"
    client.force_login(writer_a)
    response = client.post(
        reverse("profile"), {"display_name": name, "time_zone": "Asia/Tokyo", "bio": "🍵"}
    )
    assert response.status_code == 302
    writer_a.refresh_from_db()
    assert writer_a.display_name == name
    page = text_of(client.get(reverse("writer-profile", args=["ALICE"])))
    assert name in page
    assert "🍵" in page


def test_profile_requires_login(client):
    """Logged-out visitors are sent to log in."""
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------------------- labels


class _Controls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and attrs.get("type") in ("hidden", "submit", "button"):
                return
            self.controls.append({**attrs, "_tag": tag, "_in_label": self._label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)


def assert_every_control_is_labelled(response) -> int:
    parser = _Controls()
    parser.feed(response.content.decode())
    unlabelled = [
        c
        for c in parser.controls
        if c.get("id") and c["id"] not in parser.label_for and not c.get("aria-label")
    ]
    assert unlabelled == [], unlabelled
    # A visible control without an id must at least sit inside its label.
    orphans = [
        c
        for c in parser.controls
        if not c.get("id") and not c["_in_label"] and "aria-label" not in c
    ]
    assert orphans == [], orphans
    return len(parser.controls)


def test_logged_out_forms_label_every_input(client, writer_a):
    """Sign-up, login and password-reset forms have a label for every input."""
    for name in ("sign-up", "login", "password_reset"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert assert_every_control_is_labelled(response) >= 1, name


def test_logged_in_forms_label_every_input(
    client, writer_a, writer_b, ivy, hale, coffee_cart, make_thread
):
    """Every form a writer fills in labels its inputs: profile, password, muse, new thread,
    thread settings, reply and invitation."""
    client.force_login(writer_a)
    invite_thread = make_thread(writer_b, hale, title="Invite")
    invitation = thread_services.invitation_create(
        thread=invite_thread, actor=writer_b, username="alice"
    )
    urls = [
        reverse("profile"),
        reverse("password_change"),
        reverse("muse-create"),
        reverse("muse-edit", args=[ivy.pk]),
        reverse("thread-new"),
        reverse("thread-settings", args=[coffee_cart.public_id]),
        reverse("thread-detail", args=[coffee_cart.public_id]),
        reverse("invitation-respond", args=[invitation.pk]),
        reverse("home"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_every_control_is_labelled(response)
    # The reply form is there and labelled (it is Ivy's turn).
    reply_page = client.get(reverse("thread-detail", args=[coffee_cart.public_id]))
    assert assert_every_control_is_labelled(reply_page) >= 2


def test_reset_confirm_form_labels_every_input(client, writer_a):
    """The choose-a-new-password form from the reset email labels its inputs."""
    client.post(reverse("password_reset"), {"email": "alice@example.test"})
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    # The new password twice, and the search box every page's header carries.
    assert assert_every_control_is_labelled(response) == 3
    assert response.content.decode().count('type="password"') == 2
