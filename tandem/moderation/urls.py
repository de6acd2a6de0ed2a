from django.urls import path

from tandem.moderation import views

urlpatterns = [
    path("", views.queue, name="moderation-queue"),
    path("reports/<int:pk>/", views.report_detail, name="moderation-report"),
    path("audit/", views.audit, name="moderation-audit"),
    path("mine/", views.my_reports, name="my-reports"),
    path("report/post/<str:public_id>/<int:number>/", views.report_post, name="report-post"),
    path("report/thread/<str:public_id>/", views.report_thread, name="report-thread"),
    path("report/muse/<int:pk>/", views.report_muse, name="report-muse"),
    path("report/writer/<str:username>/", views.report_writer, name="report-writer"),
]
