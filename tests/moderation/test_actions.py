"""Moderators' queue and actions: who may act, what each action does, the audit log, and the
reporter told the outcome."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from tandem.moderation import services
from tandem.moderation.models import AuditEntry, HiddenContent, ReportStatus
from tandem.moderation.selectors import is_suspended
from tandem.moderation.targets import reportable_post
from tandem.notifications.models import Kind, Notification
from tandem.search.selectors import findable_posts, findable_threads
from tandem.threads import services as thread_services
from tests.moderation.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(carol, spam_post):
    target = reportable_post(carol, spam_post.thread.public_id, spam_post.number)
    return services.report_create(reporter=carol, target=target, reason="spam", text="coin")


def _act(client, report, action, **extra):
    return client.post(
        reverse("moderation-report", args=[report.pk]), {"action": action, **extra}, follow=True
    )


# ---------------------------------------------------------------------------- who


def test_the_queue_and_actions_are_for_staff_only(client, carol, writer_a, report):
    for user in (None, carol, writer_a):
        client.logout()
        if user:
            login(client, user)
        for name, args in (
            ("moderation-queue", []),
            ("moderation-audit", []),
            ("moderation-report", [report.pk]),
        ):
            response = client.get(reverse(name, args=args))
            assert response.status_code == 302 and "/login/" in response["Location"]
        response = client.post(reverse("moderation-report", args=[report.pk]), {"action": "hide"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not HiddenContent.objects.exists() and not AuditEntry.objects.exists()
    with pytest.raises(Exception, match="Only moderators"):
        services.moderate(report=report, actor=carol, action="dismiss")


def test_the_queue_lists_open_reports_oldest_first(client, staff, carol, writer_a, report, ivy):
    from tandem.moderation.targets import reportable_muse

    services.report_create(
        reporter=writer_a.__class__.objects.get(username="bram"),
        target=reportable_muse(carol, ivy.pk),
        reason="rating",
    )
    login(client, staff)
    page = client.get(reverse("moderation-queue")).content.decode()
    assert "2 open reports" in page
    assert page.index("post #2 in “Lamps”") < page.index("muse Ivy")


def test_staff_see_a_reported_post_even_in_a_private_thread(
    client, staff, writer_b, coffee_cart, ivy
):
    post = thread_services.post_create(
        thread=coffee_cart, writer=ivy.owner, muse=ivy, body="words only writers read"
    )
    target = reportable_post(writer_b, coffee_cart.public_id, post.number)
    private_report = services.report_create(reporter=writer_b, target=target, reason="harassment")
    login(client, staff)
    page = client.get(reverse("moderation-report", args=[private_report.pk])).content.decode()
    assert "words only writers read" in page
    # ...through the report only: the thread itself stays closed to staff.
    assert client.get(coffee_cart.get_absolute_url()).status_code == 404


# ---------------------------------------------------------------------------- hiding


def test_hiding_a_post_removes_it_for_readers_but_not_its_writer(
    client, staff, carol, writer_b, report, spam_post, lamps
):
    assert findable_posts(carol).filter(body__contains="zanzibarcoin").exists()
    login(client, staff)
    assert "Done" in _act(client, report, "hide", note="coin spam").content.decode()
    assert HiddenContent.objects.filter(post=spam_post).exists()

    for user in (None, carol, lamps.owner):
        client.logout()
        if user:
            login(client, user)
        page = client.get(lamps.get_absolute_url()).content.decode()
        assert "zanzibarcoin" not in page and "removed by moderators" in page
        fragment = client.get(reverse("post-fragment", args=[lamps.public_id, 2])).content
        assert b"zanzibarcoin" not in fragment
        reader = user or AnonymousUser()
        assert not findable_posts(reader).filter(body__contains="zanzibarcoin").exists()
        for fmt in ("md", "json"):
            export = client.post(reverse("thread-export", args=[lamps.public_id]), {"format": fmt})
            assert b"zanzibarcoin" not in export.content, (user, fmt)
    # A co-writer cannot read it through the revisions either.
    login(client, lamps.owner)
    assert client.get(reverse("post-revisions", args=[lamps.public_id, 2])).status_code == 403

    login(client, writer_b)
    page = client.get(lamps.get_absolute_url()).content.decode()
    assert "zanzibarcoin" in page and "only you and moderators can see this post" in page
    login(client, staff)
    assert "zanzibarcoin" in client.get(lamps.get_absolute_url()).content.decode()

    assert _act(client, report, "unhide").status_code == 200
    client.logout()
    assert "zanzibarcoin" in client.get(lamps.get_absolute_url()).content.decode()


def test_hiding_a_thread_takes_it_out_of_lists_and_from_readers(
    client, staff, carol, writer_a, lamps
):
    from tandem.moderation.targets import reportable_thread

    thread_report = services.report_create(
        reporter=carol, target=reportable_thread(carol, lamps.public_id), reason="rating"
    )
    services.moderate(report=thread_report, actor=staff, action="hide")
    assert "Lamps" not in client.get(reverse("explore")).content.decode()
    assert client.get(lamps.get_absolute_url()).status_code == 404
    login(client, carol)
    assert client.get(lamps.get_absolute_url()).status_code == 404
    assert not findable_threads(carol).filter(pk=lamps.pk).exists()
    login(client, writer_a)
    page = client.get(lamps.get_absolute_url())
    assert page.status_code == 200
    assert "Hidden by moderators: only its writers and moderators" in page.content.decode()
    assert "Lamps" in client.get(reverse("home")).content.decode()  # still in their queue
    login(client, staff)
    assert client.get(lamps.get_absolute_url()).status_code == 200


def test_hiding_a_muse_hides_its_page_from_all_but_its_writer_and_staff(
    client, staff, carol, writer_a, ivy
):
    from tandem.moderation.targets import reportable_muse

    muse_report = services.report_create(
        reporter=carol, target=reportable_muse(carol, ivy.pk), reason="harassment"
    )
    services.moderate(report=muse_report, actor=staff, action="hide")
    for user, status in ((None, 404), (carol, 404), (writer_a, 200), (staff, 200)):
        client.logout()
        if user:
            login(client, user)
        assert client.get(ivy.get_absolute_url()).status_code == status
    login(client, writer_a)
    assert "only you and moderators" in client.get(ivy.get_absolute_url()).content.decode()


# ---------------------------------------------------------------------------- outcome


def test_dismissing_resolves_every_open_report_and_tells_each_reporter(
    client, staff, carol, writer_a, report, spam_post
):
    second = services.report_create(
        reporter=writer_a,
        target=reportable_post(writer_a, spam_post.thread.public_id, 2),
        reason="spam",
    )
    login(client, staff)
    _act(client, report, "dismiss", note="it is a joke between them")
    for each in (report, second):
        each.refresh_from_db()
        assert each.status == ReportStatus.DISMISSED and each.resolved_by == staff
    told = Notification.objects.filter(kind=Kind.REPORT_RESOLVED)
    assert sorted(n.recipient.username for n in told) == ["alice", "carol"]
    assert all("no rule broken" in n.text for n in told)
    login(client, carol)
    mine = client.get(reverse("my-reports")).content.decode()
    assert "Dismissed" in mine and "no rule broken" in mine
    # Decided reports leave the queue.
    login(client, staff)
    assert "No open reports" in client.get(reverse("moderation-queue")).content.decode()


def test_every_action_is_in_the_audit_log_and_never_changes(client, staff, report, writer_b):
    login(client, staff)
    _act(client, report, "hide", note="spam")
    _act(client, report, "suspend", days="3", note="first warning")
    _act(client, report, "lift")
    _act(client, report, "ban")
    _act(client, report, "unban")
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "actor_name"))
    assert actions == [
        ("hide", "mod"),
        ("suspend", "mod"),
        ("lift", "mod"),
        ("ban", "mod"),
        ("unban", "mod"),
    ]
    suspend = AuditEntry.objects.get(action="suspend")
    assert suspend.writer == writer_b and suspend.note == "3 days. first warning"
    with pytest.raises(ValueError):
        suspend.note = "rewritten"
        suspend.save()
    page = client.get(reverse("moderation-audit")).content.decode()
    assert "Suspended a writer" in page and "first warning" in page
    detail = client.get(reverse("moderation-report", args=[report.pk])).content.decode()
    assert "first warning" in detail  # the target's history


def test_bad_actions_are_messages_not_errors(client, staff, report):
    login(client, staff)
    for data in (
        {"action": "suspend", "days": "0"},
        {"action": "suspend", "days": "366"},
        {"action": "suspend"},
        {"action": "nonsense"},
        {"action": "unhide"},
        {"action": "lift"},
    ):
        response = _act(client, report, **data)
        assert response.status_code == 200
        assert "message--error" in response.content.decode(), data
    assert not AuditEntry.objects.exists()


def test_staff_accounts_are_not_suspended_or_banned_here(staff, carol, make_writer):
    from tandem.moderation.targets import reportable_writer

    other = make_writer("othermod")
    other.is_staff = True
    other.save(update_fields=["is_staff"])
    writer_report = services.report_create(
        reporter=carol, target=reportable_writer(carol, "othermod"), reason="harassment"
    )
    for action in ("ban", "suspend"):
        with pytest.raises(Exception, match="Staff accounts"):
            services.moderate(report=writer_report, actor=staff, action=action, days=3)


# ---------------------------------------------------------------------------- suspension


def test_a_suspended_writer_reads_but_cannot_write(client, staff, report, writer_b, lamps, hale):
    services.moderate(report=report, actor=staff, action="suspend", days=7)
    assert is_suspended(writer_b)
    login(client, writer_b)
    page = client.get(lamps.get_absolute_url())
    assert page.status_code == 200
    assert "Your account is suspended until" in page.content.decode()
    # It is Hale's turn? No: Ivy posted, then Hale; make it Hale's turn again.
    thread_services.post_create(
        thread=lamps, writer=lamps.owner, muse=lamps.owner.muses.get(), body="Ivy again."
    )
    lamps.refresh_from_db()
    before = lamps.post_count
    response = client.post(
        lamps.get_absolute_url(),
        {"muse": hale.pk, "body": "a reply while suspended", "seen_post_count": before},
    )
    assert response.status_code == 200
    assert "suspended until" in response.content.decode()
    lamps.refresh_from_db()
    assert lamps.post_count == before
    ooc = client.post(reverse("thread-ooc", args=[lamps.public_id]), {"body": "hello"})
    assert ooc.status_code == 200 and "suspended until" in ooc.content.decode()
    edit = client.post(
        reverse("post-edit", args=[lamps.public_id, 2]), {"body": "changed while suspended"}
    )
    assert edit.status_code == 200 and "suspended until" in edit.content.decode()
    new = client.post(
        reverse("thread-new"), {"muse": hale.pk, "title": "A new one", "rating": "not_rated"}
    )
    assert new.status_code == 200 and "suspended until" in new.content.decode()
    # Lifted: writing again.
    services.moderate(report=report, actor=staff, action="lift")
    assert not is_suspended(writer_b)
    response = client.post(
        lamps.get_absolute_url(),
        {"muse": hale.pk, "body": "back again", "seen_post_count": before},
    )
    assert response.status_code == 302


def test_a_banned_writer_cannot_log_in(client, staff, report, writer_b):
    from tests.conftest import PASSWORD

    login(client, writer_b)
    services.moderate(report=report, actor=staff, action="ban")
    writer_b.refresh_from_db()
    assert not writer_b.is_active
    # The open session ends, and logging in again is refused.
    response = client.get(reverse("profile"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.logout()
    refused = client.post(reverse("login"), {"username": "bram", "password": PASSWORD})
    assert refused.status_code == 200  # the form again, not a redirect into the site
    assert "_auth_user_id" not in client.session
    assert client.get(writer_b.get_absolute_url()).status_code == 404


def test_the_reporter_hears_the_outcome_once(staff, carol, report):
    services.moderate(report=report, actor=staff, action="hide")
    services.moderate(report=report, actor=staff, action="suspend", days=2)
    told = Notification.objects.filter(recipient=carol, kind=Kind.REPORT_RESOLVED)
    assert told.count() == 1
    assert "removed the post from view" in told.get().text
    report.refresh_from_db()
    assert report.status == ReportStatus.ACTIONED


def test_json_export_keeps_a_hidden_post_for_its_own_writer(client, staff, report, writer_b, lamps):
    services.moderate(report=report, actor=staff, action="hide")
    login(client, writer_b)
    export = client.post(reverse("thread-export", args=[lamps.public_id]), {"format": "json"})
    assert b"zanzibarcoin" in export.content
    assert json.loads(export.content)  # still a valid document


def test_a_hidden_thread_leaves_the_starters_board_and_tells_no_follower(
    staff, carol, writer_a, ivy, lamps
):
    from tandem.follows.selectors import follower_ids_for
    from tandem.follows.services import thread_follow
    from tandem.moderation.targets import reportable_thread
    from tandem.starters.selectors import board
    from tandem.starters.services import starter_open

    starter_open(thread=lamps, actor=writer_a, open_slots=1, looking_for="weekly replies")
    thread_follow(follower=carol, thread=lamps)
    post = thread_services.post_create(thread=lamps, writer=writer_a, muse=ivy, body="the tide.")
    assert list(board(carol)) and follower_ids_for(post, after=0, limit=10) == [carol.pk]
    thread_report = services.report_create(
        reporter=carol, target=reportable_thread(carol, lamps.public_id), reason="rating"
    )
    services.moderate(report=thread_report, actor=staff, action="hide")
    assert list(board(carol)) == []
    assert follower_ids_for(post, after=0, limit=10) == []
