from django.urls import path

from tandem.exports import views

urlpatterns = [
    path("threads/<str:public_id>/", views.thread_export, name="thread-export"),
    path("jobs/<int:pk>/", views.export_job, name="export-job"),
    path("jobs/<int:pk>/download/", views.export_job_download, name="export-job-download"),
    path("backup/", views.account_backup, name="account-backup"),
    path("restore/", views.restore_upload, name="restore-upload"),
]
