from django.urls import path, re_path

from tandem.muses import views

urlpatterns = [
    path("", views.muse_list, name="muse-list"),
    path("new/", views.muse_new, name="muse-create"),
    path("import/", views.muse_import, name="muse-import"),
    path("<int:pk>/", views.muse_detail, name="muse-detail"),
    path("<int:pk>/edit/", views.muse_edit, name="muse-edit"),
    path("<int:pk>/archive/", views.muse_archive_toggle, name="muse-archive"),
    path("<int:pk>/delete/", views.muse_remove, name="muse-delete"),
    path("<int:pk>/icons/", views.muse_icons, name="muse-icons"),
    re_path(
        r"^(?P<pk>[0-9]+)/card-(?P<version>v2|v3)\.(?P<extension>json|png)$",
        views.muse_card,
        name="muse-card",
    ),
    path("<int:pk>/icons/<int:icon_pk>/delete/", views.muse_icon_delete, name="muse-icon-delete"),
]
