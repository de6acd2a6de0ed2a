from django.urls import path

from tandem.push import views

# Under /push/ (tandem/urls.py); the manifest, worker and offline page sit at the root.
urlpatterns = [
    path("devices/", views.devices, name="push-devices"),
    path("devices/<int:pk>/remove/", views.device_remove, name="push-device-remove"),
    path("subscribe/", views.subscribe, name="push-subscribe"),
    path("unsubscribe/", views.unsubscribe, name="push-unsubscribe"),
]

root_urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="web-manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("offline/", views.offline, name="offline"),
]
