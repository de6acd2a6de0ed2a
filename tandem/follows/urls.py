from django.urls import path

from tandem.follows import views

urlpatterns = [
    path("", views.following, name="follows"),
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    # The feed answers anyone holding the address: feed readers have no session.
    path("feed/<str:token>.atom", views.feed, name="follows-feed"),
    path("thread/<str:public_id>/", views.follow_thread, name="follow-thread"),
    path("muse/<int:pk>/", views.follow_muse, name="follow-muse"),
    path("writer/<str:username>/", views.follow_writer, name="follow-writer"),
    path("bookmark/<str:public_id>/<int:number>/", views.bookmark, name="bookmark"),
]
