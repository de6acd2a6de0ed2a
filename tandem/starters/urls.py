from django.urls import path

from tandem.starters import views

urlpatterns = [
    path("", views.board, name="starter-board"),
    path("new/", views.starter_new, name="starter-new"),
    path("mine/", views.starter_mine, name="starter-mine"),
    path("open/<str:public_id>/", views.starter_open, name="starter-open"),
    path("<int:pk>/", views.starter_detail, name="starter-detail"),
    path("<int:pk>/request/", views.starter_request, name="starter-request"),
    path("<int:pk>/manage/", views.starter_manage, name="starter-manage"),
    path("<int:pk>/close/", views.starter_close, name="starter-close"),
    path("requests/<int:pk>/answer/", views.join_request_answer, name="join-request-answer"),
    path("requests/<int:pk>/withdraw/", views.join_request_withdraw, name="join-request-withdraw"),
]
