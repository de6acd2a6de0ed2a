"""A small demo world, so a newcomer sees real content at once. All text written for Tandem."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.accounts.services import writer_sign_up
from tandem.muses.services import muse_create
from tandem.threads import services as threads
from tandem.threads.models import Post, Rating, Status, Thread, TurnEvent, Visibility, Warning


class DemoAlreadyLoaded(Exception):
    pass


LANTERN_POSTS = [
    (
        "ivy",
        "the night market smelled of burnt sugar & wet stone, & ivy had been standing at the "
        "lantern stall for a full ten minutes pretending to choose one. she wasn't choosing. she was "
        "watching the man two stalls down — the one with the grey coat & the habit of looking at "
        "nothing very carefully.\n\n❛ you've walked past three times, ❜ she said, not turning. "
        "❛ either buy a lantern or admit you're following me. ❜",
    ),
    (
        "hale",
        "hale stopped, because there was no use pretending otherwise — she'd clocked him "
        "the way a cat clocks a door left ajar. he picked up the nearest lantern, a paper thing "
        "painted with cranes, & turned it over as if the price mattered.\n\n❛ i'm not following "
        "you. ❜ a pause. ❛ i'm following the man who's following you. there's a difference, "
        "though i admit it's a thin one. ❜",
    ),
    (
        "ivy",
        "her fingers stilled on a red lantern. slowly — very slowly — she let her gaze slide "
        "past hale's shoulder, over the sugar-stall & the fortune-teller's awning, until it landed "
        "on a shape in the crowd that didn't move the way crowds move.\n\n❛ oh, ❜ ivy breathed. "
        "❛ oh, that's  a n n o y i n g. ❜ she paid for the red lantern anyway. it seemed rude not to.",
    ),
    (
        "hale",
        "❛ annoying is one word for it. ❜ he set the crane lantern down & fell into step "
        "beside her, close enough that anyone watching would take them for old friends — or a "
        "couple, which was worse, & which he decided not to think about.\n\n❛ left at the noodle "
        "cart. there's an alley that comes out by the river. if he follows us into it, we'll know. ❜",
    ),
    (
        "ivy",
        "❛ & if he doesn't? ❜\n\nbut she was already turning left, red lantern swinging, the "
        "paper glowing against her knuckles. the alley was narrow & smelled of soy & rain. halfway "
        "down, ivy stopped beneath a dripping gutter & listened — footsteps behind them, patient, "
        "unhurried —\n\n❛ he's coming, ❜ she whispered. ❛ hale, he's  c o m i n g. ❜",
    ),
    (
        "hale",
        "hale didn't answer. he turned on his heel, put himself between ivy & the mouth of "
        "the alley, & waited — & when the grey-coated stranger rounded the corner & saw them both "
        "standing there in the lantern-light, he did the one thing hale hadn't planned for.\n\nhe "
        "laughed. ❛ took you long enough, ❜ the stranger said. ❛ your brother sends his regards, "
        "miss ivy. he'd like his lantern back. ❜",
    ),
    (
        "ivy",
        "ivy looked at the red lantern. then at the stranger. then — with growing, dawning "
        "horror — at hale.\n\n❛ my brother, ❜ she repeated flatly. ❛ my brother hired a man to "
        "follow me through a night market because i borrowed a lantern at new year & never gave it "
        "back. ❜ she held it out at arm's length. ❛ take it. TAKE IT. & tell him he owes me "
        "eleven years of birthday cards. ❜",
    ),
    (
        "hale",
        "the stranger took the lantern with a little bow & vanished back into the crowd, & "
        "the alley was suddenly very quiet, just the gutter dripping & the river beyond.\n\nhale "
        "cleared his throat. ❛ so. ❜ another pause. ❛ i believe i owe you a lantern. the crane one "
        "was nicer anyway. ❜ & when ivy laughed — properly, helplessly — he decided the evening "
        "had not been wasted after all.",
    ),
]

STATION_POSTS = [
    (
        "hale",
        "the last train out of northgate was late, which was how hale found himself on a "
        "bench under a flickering departures board at half past midnight, sharing a thermos of "
        "terrible coffee with a stranger who'd introduced herself only as wren.\n\n❛ you're "
        "staring at the board like it owes you money, ❜ wren said. ❛ it won't change faster. ❜",
    ),
    (
        "wren",
        "wren tipped the thermos lid toward him in a lazy toast & didn't look at the board "
        "at all. she'd stopped trusting departure boards years ago.\n\n❛ i used to work here, you "
        "know. nights. ❜ a sip, a grimace. ❛ there's a platform that isn't on any map. trains still "
        "stop there, sometimes. ❜ she let that sit, then added, softer — ❛ if you're in a hurry to "
        "be somewhere, i know a faster way. ❜",
    ),
]


def _post(thread: Thread, writer: User, muse, body: str, at) -> None:
    post = threads.post_create(thread=thread, writer=writer, muse=muse, body=body)
    # Spread the demo story over past days so the queue shows realistic waiting times.
    Post.objects.filter(pk=post.pk).update(created_at=at)
    post.revisions.update(created_at=at)
    latest_event = TurnEvent.objects.filter(thread=thread).order_by("-pk")[0]
    TurnEvent.objects.filter(pk=latest_event.pk).update(created_at=at)
    Thread.objects.filter(pk=thread.pk).update(last_post_at=at, turn_since=at)


@transaction.atomic
def load_demo(*, password: str = "tandem-demo") -> str:
    if User.objects.filter(username__iexact="demo1").exists():
        raise DemoAlreadyLoaded("The demo world is already loaded (writers demo1 and demo2).")
    demo1 = writer_sign_up(username="demo1", email="demo1@example.invalid", password=password)
    demo2 = writer_sign_up(username="demo2", email="demo2@example.invalid", password=password)
    demo1.display_name, demo2.display_name = "Marlowe", "Juniper"
    demo1.save(update_fields=["display_name"])
    demo2.save(update_fields=["display_name"])
    ivy = muse_create(
        owner=demo1,
        name="Ivy",
        pronouns="she/her",
        fandom="Original — Lantern City",
        bio="A lamp-maker's daughter with a borrowed lantern and a grudge against her brother.",
        accent_colour="#b3261e",
    )
    hale = muse_create(
        owner=demo2,
        name="Hale",
        pronouns="he/him",
        fandom="Original — Lantern City",
        bio="Retired courier. Follows people for a living, badly.",
        accent_colour="#1d5c8c",
    )
    wren = muse_create(
        owner=demo1,
        name="Wren",
        pronouns="she/they",
        fandom="Original — Northgate",
        bio="Used to work night shifts at Northgate station. Knows a platform that isn't there.",
        accent_colour="#2f7a4f",
    )
    muses = {"ivy": (demo1, ivy), "hale": (demo2, hale), "wren": (demo1, wren)}

    lanterns = threads.thread_create(
        owner=demo1,
        muse=ivy,
        title="Red lanterns",
        rating=Rating.GENERAL,
        warnings=[Warning.NONE_APPLY],
        tags=["night market", "mistaken identity", "found family"],
        visibility=Visibility.PUBLIC,
        summary="A night market, a borrowed lantern, and a stranger who is definitely following someone.",
    )
    invitation = threads.invitation_create(thread=lanterns, actor=demo1, username="demo2")
    threads.invitation_accept(invitation=invitation, writer=demo2, muse=hale)
    start = timezone.now() - timedelta(days=40)
    for index, (name, body) in enumerate(LANTERN_POSTS):
        writer, muse = muses[name]
        _post(lanterns, writer, muse, body, start + timedelta(days=2 * index, hours=index))
    lanterns.refresh_from_db()
    lanterns.status = Status.COMPLETE
    lanterns.save(update_fields=["status"])

    station = threads.thread_create(
        owner=demo2,
        muse=hale,
        title="The last train out of Northgate",
        rating=Rating.TEEN,
        warnings=[Warning.CHOSE_NOT_TO_WARN],
        tags=["urban fantasy", "strangers to friends"],
        visibility=Visibility.UNLISTED,
        summary="Half past midnight, a late train, and a platform that isn't on any map.",
    )
    invitation = threads.invitation_create(thread=station, actor=demo2, username="demo1")
    threads.invitation_accept(invitation=invitation, writer=demo1, muse=wren)
    threads.participant_add_muse(thread=station, writer=demo1, muse=ivy)
    start = timezone.now() - timedelta(days=3)
    for index, (name, body) in enumerate(STATION_POSTS):
        writer, muse = muses[name]
        _post(station, writer, muse, body, start + timedelta(hours=20 * index))
    # Wren has posted: the turn is Ivy's, so the thread waits on demo1.
    return (
        "Loaded the demo world: writers demo1 (Ivy, Wren) and demo2 (Hale); "
        f"“{lanterns.title}” (complete, {len(LANTERN_POSTS)} posts) and "
        f"“{station.title}” (waiting on demo1)."
    )
