"""Settings of the floor project: what ``django-admin startproject`` gives, minus the database.

The middleware is the stateless part of startproject's default stack (security headers,
``CommonMiddleware``'s host and slash handling, the frame header). Sessions, CSRF,
authentication and messages are left out: without a database they would only add lazy
objects that a cookie-less GET never touches, and a lower floor makes Tandem's ratios
harder to meet, not easier.
"""

SECRET_KEY = "floor-benchmark-only-not-secret"  # nothing here is protected
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "floor.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
DATABASES: dict = {}
USE_TZ = True
