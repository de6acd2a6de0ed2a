from django.urls import path

from tandem.imports import views

urlpatterns = [
    path("", views.import_new, name="import-new"),
    path("<int:pk>/", views.import_review, name="import-review"),
    path("<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("<int:pk>/discard/", views.import_discard, name="import-discard"),
]
