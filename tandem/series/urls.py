from django.urls import path

from tandem.series import views

urlpatterns = [
    path("", views.series_list, name="series-list"),
    path("thread/<str:public_id>/add/", views.series_thread_add, name="series-thread-add"),
    path("thread/<str:public_id>/link/", views.thread_link_add, name="thread-link-add"),
    path("links/<int:pk>/remove/", views.thread_link_remove, name="thread-link-remove"),
    path("<str:public_id>/", views.series_detail, name="series-detail"),
    path("<str:public_id>/edit/", views.series_edit, name="series-edit"),
    path("<str:public_id>/delete/", views.series_delete, name="series-delete"),
    path("<str:public_id>/epub/", views.series_export, name="series-export"),
    path(
        "<str:public_id>/entries/<int:pk>/move/",
        views.series_entry_move,
        name="series-entry-move",
    ),
    path(
        "<str:public_id>/entries/<int:pk>/remove/",
        views.series_entry_remove,
        name="series-entry-remove",
    ),
]
