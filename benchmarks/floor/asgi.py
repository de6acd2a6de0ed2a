"""ASGI entry point of the floor project, served by uvicorn as ``floor.asgi:application``
with ``--app-dir benchmarks`` (see ``benchmarks/run.py``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "floor.settings")
application = get_asgi_application()
