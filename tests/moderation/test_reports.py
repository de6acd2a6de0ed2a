"""Reporting: only what the reporter can see, never their own, once while open, rate-limited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.moderation.models import Report, ReportStatus, TargetKind
from tests.moderation.conftest import login

pytestmark = pytest.mark.django_db


def _report_url(post):
    return reverse("report-post", args=[post.thread.public_id, post.number])


def test_a_reader_reports_a_post_with_a_reason(client, carol, spam_post):
    login(client, carol)
    page = client.get(_report_url(spam_post))
    assert page.status_code == 200
    assert "Report post #2" in page.content.decode()
    response = client.post(_report_url(spam_post), {"reason": "spam", "text": "coin spam"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.kind, report.post, report.reporter) == (TargetKind.POST, spam_post, carol)
    assert report.status == ReportStatus.OPEN and report.text == "coin spam"
    assert report.target_label == "post #2 in “Lamps”"


def test_the_thread_page_links_each_post_to_its_report_form(client, carol, spam_post):
    login(client, carol)
    page = client.get(spam_post.thread.get_absolute_url()).content.decode()
    assert _report_url(spam_post) in page
    assert reverse("report-thread", args=[spam_post.thread.public_id]) in page


def test_one_open_report_per_reporter_and_target(client, carol, spam_post):
    login(client, carol)
    client.post(_report_url(spam_post), {"reason": "spam"})
    again = client.post(_report_url(spam_post), {"reason": "harassment"}, follow=True)
    assert "already reported" in again.content.decode()
    assert Report.objects.count() == 1


def test_nobody_reports_their_own_post(client, writer_b, spam_post):
    login(client, writer_b)
    response = client.post(_report_url(spam_post), {"reason": "spam"}, follow=True)
    assert "your own post" in response.content.decode()
    assert not Report.objects.exists()


def test_something_else_needs_words_and_words_have_a_limit(client, carol, spam_post):
    login(client, carol)
    empty = client.post(_report_url(spam_post), {"reason": "other", "text": ""})
    assert empty.status_code == 200 and "Tell the moderators" in empty.content.decode()
    long = client.post(_report_url(spam_post), {"reason": "spam", "text": "x" * 2001})
    assert long.status_code == 200
    assert not Report.objects.exists()


def test_a_post_in_a_private_thread_you_cannot_read_is_a_404(client, carol, coffee_cart, ivy):
    from tandem.threads import services

    post = services.post_create(thread=coffee_cart, writer=ivy.owner, muse=ivy, body="secret")
    login(client, carol)
    assert client.get(_report_url(post)).status_code == 404
    assert client.post(_report_url(post), {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_signing_in_comes_first(client, spam_post):
    response = client.get(_report_url(spam_post))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_muses_and_writers_can_be_reported_unless_a_block_hides_them(client, carol, writer_a, ivy):
    login(client, carol)
    assert (
        client.post(reverse("report-muse", args=[ivy.pk]), {"reason": "rating"}).status_code == 302
    )
    assert (
        client.post(reverse("report-writer", args=["alice"]), {"reason": "harassment"}).status_code
        == 302
    )
    assert Report.objects.filter(kind=TargetKind.MUSE, muse=ivy).exists()
    assert Report.objects.filter(kind=TargetKind.WRITER, writer=writer_a).exists()
    block_writer(blocker=writer_a, blocked=carol)
    assert client.get(reverse("report-muse", args=[ivy.pk])).status_code == 404
    assert client.get(reverse("report-writer", args=["alice"])).status_code == 404


def test_reporting_is_rate_limited(client, carol, spam_post):
    login(client, carol)
    for _ in range(20):
        client.post(_report_url(spam_post), {"reason": "spam"})
    assert client.post(_report_url(spam_post), {"reason": "spam"}).status_code == 429


def test_my_reports_lists_only_my_own(client, carol, writer_a, spam_post, lamps):
    login(client, carol)
    client.post(_report_url(spam_post), {"reason": "spam"})
    page = client.get(reverse("my-reports")).content.decode()
    assert "post #2 in “Lamps”" in page and "Waiting for a moderator" in page
    login(client, writer_a)
    assert "post #2" not in client.get(reverse("my-reports")).content.decode()
