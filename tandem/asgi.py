import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
# Static files are served by WhiteNoise through Django's sync-to-async bridge; the
# resulting warning about synchronous iterators is expected and harmless here.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")
application = get_asgi_application()
