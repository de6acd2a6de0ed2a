from django.urls import path

from tandem.tracking import views

urlpatterns = [
    path("", views.tracked_list, name="tracked-list"),
    path("import/", views.tracked_import, name="tracked-import"),
    path("export.csv", views.tracked_export, name="tracked-export"),
    path("<int:pk>/", views.tracked_edit, name="tracked-edit"),
    path("<int:pk>/turn/", views.tracked_turn, name="tracked-turn"),
    path("<int:pk>/archive/", views.tracked_archive, name="tracked-archive"),
    path("<int:pk>/delete/", views.tracked_delete, name="tracked-delete"),
]
