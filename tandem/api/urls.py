from django.urls import path

from tandem.api import views
from tandem.api.api import api

urlpatterns = [
    path("v1/", api.urls),
]

settings_urlpatterns = [
    path("", views.tokens, name="api-tokens"),
    path("<int:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
]
