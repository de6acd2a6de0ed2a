"""Django settings for Tandem. Everything a deployment changes comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta

from csp.constants import NONCE, NONE, SELF

from tandem import config

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_flag("TANDEM_DEBUG")
ALLOWED_HOSTS = config.env_list("TANDEM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = config.env_list("TANDEM_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "tandem.accounts",
    "tandem.muses",
    "tandem.threads",
    "tandem.writing",
    "tandem.notifications",
    "tandem.imports",
    "tandem.exports",
    "tandem.search",
    "tandem.blocks",
    "tandem.world",
    "tandem.feeds",
    "tandem.follows",
    "tandem.starters",
    "tandem.series",
    "tandem.moderation",
    "tandem.tracking",
    "tandem.api",
    "tandem.push",
    "tandem.core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "csp",
    "channels",
    "tandem.live",
    "axes",
    "ninja",  # its Swagger UI files, so /api/v1/docs needs no CDN
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the rest: an error any of them answers under /api/ reaches scripts as JSON.
    "tandem.api.middleware.ApiErrorsMiddleware",
    "tandem.core.middleware.NulPathMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check: an upload cut off at the size limit gets a sentence, not a 403.
    "tandem.core.uploads.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tandem.core.middleware.PrivacyHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "tandem.accounts.middleware.WriterTimezoneMiddleware",
    "tandem.core.limits.RateLimitMiddleware",
    # Last, as django-axes asks: it answers a locked-out log-in with the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tandem.urls"
ASGI_APPLICATION = "tandem.asgi.application"
WSGI_APPLICATION = "tandem.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "tandem.threads.context_processors.queue_counts",
                "tandem.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": config.database(DATA_DIR)}
# A PostgreSQL streaming replica for safe reads (tandem.core.replica; docs/decisions.md,
# "Read replica"). Without one there is no router and no middleware: nothing changes.
_replica = config.database_replica(DATABASES["default"])
if _replica is not None:
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["tandem.core.replica.ReplicaRouter"]
    # After a write, the writer's reads stay on the primary this long: more than the
    # replica's lag, or their own post could be missing from the page they land on.
    TANDEM_REPLICA_STICKY_SECONDS = config.env_float("TANDEM_REPLICA_STICKY_SECONDS", 10.0)
    # Outside SessionMiddleware, so a session saved on the way out counts as a write.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "tandem.core.replica.ReplicaReadsMiddleware",
    )

# Live updates (tandem.live): one process needs no broker; several app servers (or
# ``--workers`` above 1) share one Redis so a post on one reaches readers on all.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times reads out after 5 s by default, as long as the layer's
                # blocking pop waits for a message: allow more, or every socket drops.
                "hosts": [
                    {"address": REDIS_URL, "socket_connect_timeout": 2, "socket_timeout": 15}
                ],
                "prefix": "tandem",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Project templates may override form widgets and field layout (core/templates/django/forms).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username+address before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Static files are served from the installed package: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = config.env_flag("TANDEM_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if SESSION_COOKIE_SECURE:
    # Served over HTTPS: browsers must not fall back to HTTP for a year. Subdomains are left
    # alone (a self-hoster may run other sites beside Tandem); no preload list.
    SECURE_HSTS_SECONDS = int(os.environ.get("TANDEM_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_HSTS_PRELOAD = False
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Pictures and finished exports: the data dir, or an S3-compatible bucket whose (signed)
# addresses the CSP must then let pictures come from. docs/deployment.md, "Object storage".
STORAGES = config.storages(DATA_DIR)
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += config.media_origins(STORAGES)

if os.environ.get("TANDEM_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["TANDEM_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("TANDEM_EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("TANDEM_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("TANDEM_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = config.env_flag("TANDEM_EMAIL_TLS")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("TANDEM_FROM_EMAIL", "Tandem <tandem@localhost>")

# Avatars: largest upload accepted, and the square size they are stored at.
# A pasted thread arrives as a form field: allow a long one (imports stop at 10 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# The largest request body read at all, files included: tandem.asgi refuses anything bigger
# with 413 before reading it, and the upload handler stops multipart bodies past it.
TANDEM_MAX_REQUEST_BYTES = 12 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "tandem.core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
TANDEM_AVATAR_MAX_BYTES = 5 * 1024 * 1024
TANDEM_AVATAR_SIZE = 256
TANDEM_POST_MAX_CHARS = 100_000
TANDEM_POSTS_PER_PAGE = 20
# Threads shown per section of the home queue before its "show all" link.
TANDEM_QUEUE_WINDOW = 25
# Imports and exports bigger than this many posts run on the worker with a progress bar.
TANDEM_IMPORT_BACKGROUND_POSTS = int(os.environ.get("TANDEM_IMPORT_BACKGROUND_POSTS", "300"))
TANDEM_EXPORT_BACKGROUND_POSTS = int(os.environ.get("TANDEM_EXPORT_BACKGROUND_POSTS", "1000"))
# Finished background exports are kept this long for download.
TANDEM_EXPORT_KEEP_DAYS = 7
TANDEM_DORMANT_DAYS = int(os.environ.get("TANDEM_DORMANT_DAYS", "30"))
TANDEM_RESTORE_DAYS = 30
# Absolute links in emails and webhooks point here.
TANDEM_SITE_URL = os.environ.get("TANDEM_SITE_URL", "http://127.0.0.1:8000")
# At most one "your turn" email per thread per writer in this many hours.
TANDEM_TURN_EMAIL_HOURS = int(os.environ.get("TANDEM_TURN_EMAIL_HOURS", "12"))

# Webhooks: retries back off exponentially from the base; a webhook is switched off after
# this many deliveries in a row failed every attempt. Private/loopback targets are refused
# unless explicitly allowed (tests, or a trusted internal network).
TANDEM_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("TANDEM_WEBHOOK_MAX_ATTEMPTS", "5"))
TANDEM_WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("TANDEM_WEBHOOK_RETRY_BASE_SECONDS", "30"))
TANDEM_WEBHOOK_DISABLE_AFTER = int(os.environ.get("TANDEM_WEBHOOK_DISABLE_AFTER", "3"))
TANDEM_WEBHOOK_TIMEOUT = 10
TANDEM_WEBHOOK_ALLOW_PRIVATE = config.env_flag("TANDEM_WEBHOOK_ALLOW_PRIVATE")

# The cache holds rate-limit and log-in failure counts, which every process must share:
# Redis when there is one; otherwise files under the data dir, which every ``--workers``
# process on this machine sees without a table (SQLite's write lock is the very thing a
# flood of requests must not queue on). docs/decisions.md, "Limits and abuse".
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tandem",
            # Fail fast when Redis is down: rate limits then let requests through.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# Rendered thread cards and post headers (tandem.core.fragments): in each process's own
# memory, keyed by what they show, so never stale and never shared. Kept at most an hour,
# and at most half the life of a signed media address when pictures are on object storage,
# so a cached avatar's address still works for as long again after it is served.
TANDEM_FRAGMENT_SECONDS = 3600
if os.environ.get("TANDEM_S3_BUCKET", "").strip():
    TANDEM_FRAGMENT_SECONDS = min(3600, config.env_int("TANDEM_S3_URL_EXPIRE", 6 * 3600) // 2)
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "tandem-fragments",
    # About 6 KB a post (its text included) and 1 KB a thread card: at most ~10 MB.
    "OPTIONS": {"MAX_ENTRIES": 1500, "CULL_FREQUENCY": 4},
}

# Rate limits (tandem.core.limits): counts are multiplied by this, e.g. 100 for load tests.
TANDEM_RATE_LIMIT_SCALE = config.env_float("TANDEM_RATE_LIMIT_SCALE", 1.0)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True  # a count the cache lost lets the request through

# Log-in lockout (django-axes): 10 failures for one username from one address lock that
# pair out for 15 minutes, on /accounts/login/ and /admin/login/ alike. Failures are rows
# (atomic counts, visible in the admin); a locked-out pair is refused before any password
# is hashed and adds no rows, and the "login" rate limit caps tries per address.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True  # no row per successful log-in
AXES_FAILURE_LIMIT = max(1, round(10 * TANDEM_RATE_LIMIT_SCALE))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "tandem.core.limits.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "tandem.core.limits.axes_username"
# The address uvicorn saw (it applies X-Forwarded-For only from trusted proxies); a header
# the client sends itself must not pick which counter it lands in.
AXES_CLIENT_IP_CALLABLE = "tandem.core.limits.client_ip"
AXES_VERBOSE = False

# Web Push (tandem.push): the VAPID key is made once in the data dir (docs/deployment.md,
# "Push notifications"); the contact goes to push services in every message's JWT. Plain
# http endpoints are refused except on loopback under DEBUG or with the flag (tests).
TANDEM_VAPID_KEY_FILE = config.vapid_key_file(DATA_DIR)
TANDEM_PUSH_CONTACT = os.environ.get("TANDEM_PUSH_CONTACT", "").strip()
TANDEM_PUSH_MAX_DEVICES = 10
TANDEM_PUSH_ALLOW_INSECURE = config.env_flag("TANDEM_PUSH_ALLOW_INSECURE")

# Background tasks: the database queue, run by `tandem worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403) is one line with its reason, not a traceback.
    "filters": {"one_line_403": {"()": "tandem.core.log_filters.OneLineForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "tandem": {"level": "INFO"},
        "django.request": {"filters": ["one_line_403"]},
        "django.security": {"filters": ["one_line_403"]},
    },
}
