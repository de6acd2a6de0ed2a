from django.urls import path

from tandem.live import consumers

websocket_urlpatterns = [
    path("ws/threads/<str:public_id>/", consumers.ThreadConsumer.as_asgi()),
    path("ws/threads/<str:public_id>/ooc/", consumers.OocConsumer.as_asgi()),
    path("ws/me/", consumers.WriterConsumer.as_asgi()),
]
