"""Links between threads: made by the owner, shown only to those who may read the target."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.series import services
from tandem.series.models import LinkKind, ThreadLink


@pytest.fixture
def threads(make_thread, writer_a, ivy):
    return {
        vis: make_thread(writer_a, ivy, title=f"{vis.title()} story", visibility=vis)
        for vis in ("public", "private", "unlisted")
    }


@pytest.fixture
def base(threads):
    return threads["public"]


def test_the_owner_links_by_address(base, threads, as_alice):
    target = threads["unlisted"]
    response = as_alice.post(
        reverse("thread-link-add", args=[base.public_id]),
        {"target": f"https://tandem.example{target.get_absolute_url()}#post-3", "kind": "sequel"},
    )
    assert response.status_code == 302
    link = ThreadLink.objects.get(from_thread=base)
    assert link.to_thread == target and link.kind == LinkKind.SEQUEL
    page = as_alice.get(base.get_absolute_url()).content.decode()
    assert "Sequel" in page and "Unlisted story" in page


def test_a_link_to_an_unreadable_thread_is_hidden(base, threads, writer_a, as_carol):
    services.link_create(
        from_thread=base, to_thread=threads["private"], kind="prequel", actor=writer_a
    )
    services.link_create(
        from_thread=base, to_thread=threads["unlisted"], kind="side_story", actor=writer_a
    )
    page = as_carol.get(base.get_absolute_url()).content.decode()
    assert "Unlisted story" in page and "Side story" in page
    assert "Private story" not in page and threads["private"].public_id not in page
    assert "Prequel" not in page


def test_a_writer_cannot_link_to_a_thread_they_cannot_read(
    make_thread, writer_b, hale, threads, as_bram
):
    own = make_thread(writer_b, hale, title="Bram's", visibility="public")
    as_bram.post(
        reverse("thread-link-add", args=[own.public_id]),
        {"target": threads["private"].public_id, "kind": "sequel"},
    )
    assert not ThreadLink.objects.exists()
    with pytest.raises(ValidationError):
        services.link_create(
            from_thread=own, to_thread=threads["private"], kind="sequel", actor=writer_b
        )


def test_only_the_owner_of_the_from_thread_links(base, threads, writer_b):
    with pytest.raises(PermissionDenied):
        services.link_create(
            from_thread=base, to_thread=threads["unlisted"], kind="sequel", actor=writer_b
        )


def test_no_link_to_itself_nor_unknown_kinds(base, threads, writer_a, as_alice):
    with pytest.raises(ValidationError):
        services.link_create(from_thread=base, to_thread=base, kind="sequel", actor=writer_a)
    with pytest.raises(ValidationError):
        services.link_create(
            from_thread=base, to_thread=threads["unlisted"], kind="spinoff", actor=writer_a
        )
    response = as_alice.post(
        reverse("thread-link-add", args=[base.public_id]), {"target": "!!", "kind": "sequel"}
    )
    assert response.status_code == 302 and not ThreadLink.objects.exists()


def test_linking_again_changes_the_kind(base, threads, writer_a):
    target = threads["unlisted"]
    services.link_create(from_thread=base, to_thread=target, kind="sequel", actor=writer_a)
    services.link_create(from_thread=base, to_thread=target, kind="prequel", actor=writer_a)
    assert list(ThreadLink.objects.values_list("kind", flat=True)) == ["prequel"]


def test_blocks_stop_links_both_ways(base, make_thread, writer_a, writer_b, hale, carol, as_carol):
    theirs = make_thread(writer_b, hale, title="Bram's tale", visibility="public")
    block_writer(blocker=writer_b, blocked=writer_a)
    with pytest.raises(ValidationError):
        services.link_create(from_thread=base, to_thread=theirs, kind="sequel", actor=writer_a)
    # A link made before the block is hidden from the reader who is blocked.
    block_writer(blocker=writer_b, blocked=carol)
    other = make_thread(writer_b, hale, title="Bram's first", visibility="public")
    services.link_create(from_thread=other, to_thread=theirs, kind="sequel", actor=writer_b)
    reader = Client()
    reader.force_login(writer_b)
    assert "Bram&#x27;s tale" in reader.get(other.get_absolute_url()).content.decode()
    page = as_carol.get(base.get_absolute_url()).content.decode()
    assert "Bram" not in page


def test_only_the_owner_removes_a_link(base, threads, writer_a, as_alice, as_carol):
    link = services.link_create(
        from_thread=base, to_thread=threads["unlisted"], kind="sequel", actor=writer_a
    )
    url = reverse("thread-link-remove", args=[link.pk])
    assert as_carol.post(url).status_code == 404
    assert as_alice.post(url).status_code == 302
    assert not ThreadLink.objects.exists()
