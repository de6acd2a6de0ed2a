"""The matrix world's push device: one subscription of the owner's, made on first use by
the push routes' entries in tests/security/matrix.py (its endpoint is never called)."""

from __future__ import annotations

from tandem.push.models import PushSubscription


def owner_device_kwargs(world) -> dict:
    owner = world.users["owner"]
    subscription, _ = PushSubscription.objects.get_or_create(
        endpoint=f"https://push.example.test/matrix/{owner.pk}",
        defaults={
            "writer": owner,
            "p256dh": "B" + "A" * 86,
            "auth": "A" * 22,
            "label": "Firefox on Android",
        },
    )
    return {"pk": subscription.pk}
