from django.urls import path

from tandem.search import views

urlpatterns = [path("", views.search, name="search")]
