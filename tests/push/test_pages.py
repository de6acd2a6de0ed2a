"""The devices page, the subscribe endpoints' rules, and the installable app's files."""

from __future__ import annotations

import json
import re
import stat

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tandem import config
from tandem.push import services
from tandem.push.models import PushSubscription
from tests.push.conftest import Device

pytestmark = pytest.mark.django_db


def _subscribe(client, device: Device, **extra):
    return client.post(
        reverse("push-subscribe"),
        data=json.dumps(device.subscription_json()),
        content_type="application/json",
        **extra,
    )


def _device(name: str = "phone") -> Device:
    return Device(endpoint=f"https://push.example.test/v1/{name}")


def test_the_devices_page_lists_and_removes_devices(as_bram, writer_b):
    """Each device shows its label, when it was added and when it last got news."""
    _subscribe(
        as_bram, _device("a"), HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
    )
    _subscribe(
        as_bram,
        _device("b"),
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1",
    )
    page = as_bram.get(reverse("push-devices"))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    text = page.content.decode()
    assert "Firefox on Linux" in text and "Safari on iPhone" in text
    assert "not notified yet" in text
    assert "Enable notifications on this device" in text
    assert f'data-key="{services.application_server_key()}"' in text
    first = PushSubscription.objects.get(endpoint=_device("a").endpoint)
    response = as_bram.post(reverse("push-device-remove", args=[first.pk]), follow=True)
    assert "will get no more notifications" in response.content.decode()
    assert list(PushSubscription.objects.values_list("label", flat=True)) == ["Safari on iPhone"]


def test_another_writer_cannot_remove_your_device(as_bram, writer_a):
    _subscribe(as_bram, _device())
    subscription = PushSubscription.objects.get()
    client = Client()
    client.force_login(writer_a)
    response = client.post(reverse("push-device-remove", args=[subscription.pk]))
    assert response.status_code == 404
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert "Chrome" not in client.get(reverse("push-devices")).content.decode()


def test_subscribing_needs_the_csrf_token(writer_b):
    client = Client(enforce_csrf_checks=True)
    client.force_login(writer_b)
    assert _subscribe(client, _device()).status_code == 403
    assert not PushSubscription.objects.exists()


def test_subscribing_again_refreshes_the_same_device(as_bram):
    device = _device()
    _subscribe(as_bram, device)
    device.auth_secret = b"0123456789abcdef"
    assert _subscribe(as_bram, device).status_code == 201
    [subscription] = PushSubscription.objects.all()
    assert subscription.auth == "MDEyMzQ1Njc4OWFiY2RlZg"


@pytest.mark.parametrize(
    "endpoint",
    ["http://push.example.test/v1/x", "http://127.0.0.1:9/push", "ftp://push.example.test/x", "/x"],
)
def test_an_endpoint_must_be_https(as_bram, endpoint):
    response = _subscribe(as_bram, Device(endpoint=endpoint))
    assert response.status_code == 400
    assert "https://" in response.json()["error"]


def test_loopback_http_only_when_allowed(as_bram, settings):
    settings.TANDEM_PUSH_ALLOW_INSECURE = True
    assert _subscribe(as_bram, Device(endpoint="http://127.0.0.1:9/push")).status_code == 201
    assert _subscribe(as_bram, Device(endpoint="http://10.0.0.1/push")).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps(["a list"]),
        json.dumps({"endpoint": "https://push.example.test/v1/x"}),
        json.dumps(
            {
                "endpoint": "https://push.example.test/v1/x",
                "keys": {"p256dh": "AAAA", "auth": "AAAA"},
            }
        ),
    ],
)
def test_a_malformed_subscription_is_refused(as_bram, body):
    response = as_bram.post(reverse("push-subscribe"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_a_writer_has_at_most_ten_devices(as_bram, settings):
    for n in range(settings.TANDEM_PUSH_MAX_DEVICES):
        assert _subscribe(as_bram, _device(str(n))).status_code == 201
    response = _subscribe(as_bram, _device("one-too-many"))
    assert response.status_code == 400 and "remove one first" in response.json()["error"]
    # The same device subscribing again is no new device.
    assert _subscribe(as_bram, _device("0")).status_code == 201


def test_a_device_another_writer_used_moves_to_the_new_writer(as_bram, writer_a):
    device = _device()
    _subscribe(as_bram, device)
    client = Client()
    client.force_login(writer_a)
    assert _subscribe(client, device).status_code == 201
    assert PushSubscription.objects.get().writer == writer_a


def test_unsubscribe_forgets_only_your_own_endpoint(as_bram, writer_a):
    device = _device()
    _subscribe(as_bram, device)
    client = Client()
    client.force_login(writer_a)
    body = json.dumps({"endpoint": device.endpoint})
    url = reverse("push-unsubscribe")
    assert client.post(url, data=body, content_type="application/json").json() == {"removed": 0}
    assert as_bram.post(url, data=body, content_type="application/json").json() == {"removed": 1}
    assert not PushSubscription.objects.exists()


def test_the_manifest_names_the_app_and_its_icons(client):
    response = client.get(reverse("web-manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["short_name"], manifest["display"]) == (
        "Tandem",
        "Tandem",
        "standalone",
    )
    assert manifest["theme_color"] == "#6b2f8a" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert sizes == {"192x192", "512x512"}
    from PIL import Image

    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        if icon["type"] == "image/png":
            with Image.open(path) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get(reverse("service-worker"))
    assert reverse("service-worker") == "/sw.js"
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    assert 'const OFFLINE_URL = "/offline/";' in script
    assert "{{" not in script and "{%" not in script
    assert '"/static/tandem/tandem.css"' in script


def test_the_offline_page_stands_alone(client, writer_b):
    client.force_login(writer_b)
    page = client.get(reverse("offline")).content.decode()
    assert "You are offline" in page
    # The worker keeps one copy for whoever uses the device next: no account in it.
    assert writer_b.username not in page


def test_pages_link_the_manifest_and_carry_no_inline_script(as_bram):
    page = as_bram.get(reverse("push-devices")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "/static/tandem/pwa.js" in page
    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "unsafe-inline" not in as_bram.get("/").headers.get("Content-Security-Policy", "")


def test_the_vapid_key_is_made_once_and_kept_private(tmp_path):
    key_file = config.vapid_key_file(tmp_path)
    first = key_file.read_bytes()
    assert first.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.vapid_key_file(tmp_path).read_bytes() == first


def test_servers_without_a_shared_data_dir_name_one_key_file(tmp_path, monkeypatch):
    (tmp_path / "shared").mkdir()
    shared = config.vapid_key_file(tmp_path / "shared")
    monkeypatch.setenv("TANDEM_VAPID_KEY_FILE", str(shared))
    assert config.vapid_key_file(tmp_path / "elsewhere") == shared
    assert not (tmp_path / "elsewhere" / "vapid_private.pem").exists()
    monkeypatch.setenv("TANDEM_VAPID_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(config.ConfigError, match="names no file"):
        config.vapid_key_file(tmp_path)


def test_the_application_server_key_is_the_raw_public_point():
    key = services.application_server_key()
    raw = __import__("base64").urlsafe_b64decode(key + "=")
    assert len(raw) == 65 and raw[0] == 4


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        ("Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Version/18.0 Safari/605.1",
            "Safari on macOS",
        ),
        ("", "A browser"),
    ],
)
def test_device_labels(agent, label):
    assert services.device_label(agent) == label
