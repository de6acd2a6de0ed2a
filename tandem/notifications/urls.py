from django.urls import path

from tandem.notifications import views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("<int:pk>/open/", views.notification_open, name="notification-open"),
    path("read-all/", views.notification_mark_all, name="notifications-read-all"),
    path("preferences/", views.preferences, name="notification-preferences"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/", views.webhook_action, name="webhook-action"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="notifications-unsubscribe"),
]
