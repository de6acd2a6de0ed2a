"""Django settings for Tandem. Everything a deployment changes comes from the environment."""

from __future__ import annotations

import os

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "tandem.accounts.middleware.WriterTimezoneMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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
TANDEM_AVATAR_MAX_BYTES = 5 * 1024 * 1024
TANDEM_AVATAR_SIZE = 256
TANDEM_POST_MAX_CHARS = 100_000
TANDEM_POSTS_PER_PAGE = 20
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

# Background tasks: the database queue, run by `tandem worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"tandem": {"level": "INFO"}},
}
