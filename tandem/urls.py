from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from tandem.accounts import views as account_views
from tandem.api import urls as api_urls
from tandem.core import views as core_views
from tandem.push import urls as push_urls
from tandem.threads import views as thread_views

urlpatterns = [
    path("", thread_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("tandem.accounts.urls")),
    path("writers/<str:username>/", account_views.writer_profile, name="writer-profile"),
    path("muses/", include("tandem.muses.urls")),
    path("t/", include("tandem.threads.urls")),
    path("notifications/", include("tandem.notifications.urls")),
    path("import/", include("tandem.imports.urls")),
    path("export/", include("tandem.exports.urls")),
    path("search/", include("tandem.search.urls")),
    path("tags/", include("tandem.threads.tag_urls")),
    path("starters/", include("tandem.starters.urls")),
    path("series/", include("tandem.series.urls")),
    path("blocks/", include("tandem.blocks.urls")),
    path("follows/", include("tandem.follows.urls")),
    path("feeds/", include("tandem.feeds.urls")),
    path("moderation/", include("tandem.moderation.urls")),
    path("elsewhere/", include("tandem.tracking.urls")),
    path("api/", include("tandem.api.urls")),
    path("accounts/tokens/", include(api_urls.settings_urlpatterns)),
    path("push/", include("tandem.push.urls")),
    path("", include(push_urls.root_urlpatterns)),
    path("admin/", admin.site.urls),
]

if settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage":
    # Uploaded pictures in the data dir are served from here (a proxy may serve the folder
    # instead). In a bucket their addresses point at the bucket, so there is no route.
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

# A database that cannot be reached is a 503 (tandem.core.views.server_error), not a 500.
handler500 = "tandem.core.views.server_error"
