from django.urls import path

from tandem.blocks import views

urlpatterns = [
    path("", views.block_list, name="block-list"),
    path("<str:username>/", views.block_confirm, name="block-writer"),
    path("<str:username>/unblock/", views.unblock, name="unblock-writer"),
]
