"""Settings for the site, read from the environment.

Development needs nothing set: SQLite in the project folder, console email, DEBUG on.
Production sets DEBUG=false and must then provide a real SECRET_KEY and EMAIL_HOST (and usually
DATABASE_URL, REDIS_URL, ALLOWED_HOSTS and the other EMAIL_* settings); README.md lists them.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "dev-insecure-secret-key-change-me"  # noqa: S105 - only ever used with DEBUG on
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG is off "
        "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "template_partials",
    "simple_history",
    "csp",
    "accounts",
    "qa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside the middleware that set security headers, so its 400 page carries them too.
    "config.middleware.RejectNullCharactersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a faster reader for timestamps (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    # DB_POOL_SIZE > 0 turns on psycopg's connection pool. Each gunicorn worker process has
    # its own pool and a sync worker serves one request at a time, so it needs one connection;
    # scripts/serve uses 2 (one spare while a broken connection is replaced). The database then
    # sees at most WEB_CONCURRENCY x DB_POOL_SIZE connections from the web tier: keep that well
    # under PostgreSQL's max_connections. Threaded workers need a pool as large as their threads.
    # DB_POOL_SIZE=0 (the default, and what the tests use) keeps one persistent connection
    # per thread instead. Either way a connection is checked before use (CONN_HEALTH_CHECKS),
    # so a restarted database or a killed backend costs one reconnect, not an error page.
    _pool_size = env_int("DB_POOL_SIZE", 0, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5, minimum=1)
    )
    # Parameters travel apart from the SQL (server-side binding), so psycopg can prepare a
    # statement once a connection has run it DB_PREPARE_THRESHOLD times and from then on skip
    # PostgreSQL's parse and plan: a quiz's grade runs the same handful of statements every
    # time. DB_PREPARE_THRESHOLD=-1 turns this off (behind PgBouncer in transaction mode).
    _prepare_threshold = env_int("DB_PREPARE_THRESHOLD", 5, minimum=-1)
    if _prepare_threshold >= 0:
        DATABASES["default"]["OPTIONS"].update(
            server_side_binding=True, prepare_threshold=_prepare_threshold
        )
    if _pool_size:
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": _pool_size,
            # How long a request waits for a free connection (or for the database to come
            # back) before failing; short, so /healthz answers 503 quickly during an outage.
            "timeout": env_int("DB_POOL_TIMEOUT", 5, minimum=1),
            "max_idle": 300,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"].setdefault("TEST", {})["CHARSET"] = "UTF8"
    DATABASES["default"]["TEST"]["TEMPLATE"] = "template0"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache, sessions ------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured(  # the URL itself may hold a password
        f"REDIS_URL (scheme {urlsplit(REDIS_URL).scheme!r}) is not a Redis URL "
        "(redis://host:6379/0, rediss://, unix://).")
if REDIS_URL:
    # One cache shared by every worker process and host: allauth's and the admin login's rate
    # limits count failures here, so they hold across workers. Short socket timeouts keep a
    # Redis outage from hanging requests.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL,
                          "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "mianshi"),
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- allauth --------------------------------------------------------------------------------
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "change_password": "accounts.forms.ChangePasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_DISPLAY = "accounts.models.own_display"
ACCOUNT_EMAIL_VERIFICATION = env_choice("ACCOUNT_EMAIL_VERIFICATION", "mandatory",
                                        ["mandatory", "optional", "none"])
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Confirming an address while logged in (one added to the account) comes back to the addresses.
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "account_email"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
# A session someone else got hold of cannot take the account over: adding, removing or
# switching a sign-in address asks for the password again (logging in does not count: only a
# password entered on allauth's reauthentication page holds, for
# ACCOUNT_REAUTHENTICATION_TIMEOUT, 300 s), and the account's addresses are told of a changed
# password or address.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# By the password only: every account has one (a forgotten one is reset by mail).
ACCOUNT_REAUTHENTICATION_METHODS = ("password",)
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entries to trust, so
# per-address rate limits see the client and not the proxy (0: use REMOTE_ADDR).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# At most one confirmation mail per address in this many minutes (the confirmation page says so).
CONFIRMATION_MAIL_EVERY_MINUTES = 3
ACCOUNT_RATE_LIMITS = {
    # Five failed logins for one account inside 5 minutes locks it (even with the right
    # password) until the window passes; the per-IP limit slows credential stuffing.
    "login_failed": "20/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": f"1/{CONFIRMATION_MAIL_EVERY_MINUTES}m/key",
    "change_password": "5/m/user",
    # Adding an address mails it a confirmation: no more than invitations (30 an hour), so the
    # site is not a way to mail strangers in bulk.
    "manage_email": "10/h/user",
}
ACCOUNT_MAX_EMAIL_ADDRESSES = 5
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "面试题 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "")
if EMAIL_BACKEND:
    pass
elif EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    # STARTTLS (port 587) by default; EMAIL_USE_SSL for a server that speaks TLS from the
    # first byte (port 465). Not both.
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
    EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    if EMAIL_USE_SSL and EMAIL_USE_TLS:
        raise ImproperlyConfigured(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: set one (TLS for STARTTLS, usually "
            "port 587; SSL for port 465)."
        )
    # A mail server that takes the connection and never answers must not hold a request past
    # gunicorn's timeout (accounts.adapter turns a failed send into a message).
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    raise ImproperlyConfigured(
        "EMAIL_HOST (or EMAIL_BACKEND) must be set when DEBUG is off: sign-up sends a "
        "verification email."
    )

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"TIME_ZONE={TIME_ZONE!r} is not a time zone name (such as Asia/Shanghai or UTC).")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the body's hx-headers, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe the health check over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    # Every subdomain too, and a place on the browsers' preload lists: turn these off for a
    # site on a domain whose other names do not all speak HTTPS.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_INCLUDE_SUBDOMAINS)

# No uploaded file is kept past the importer's limit (qa.set_files.MAX_UPLOAD_BYTES), in
# memory or on disk; the rest of it is read and dropped.
FILE_UPLOAD_HANDLERS = [
    "qa.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env_choice("LOG_FORMAT", "plain" if DEBUG else "json",
                                    ["plain", "json"]),
        },
        "discard": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # A request naming a host not in ALLOWED_HOSTS (any scanner) is answered 400, which
        # the access log shows; Django would also log it as an ERROR with a traceback.
        "django.security.DisallowedHost": {"handlers": ["discard"], "propagate": False},
    },
}

# Benchmarks only (bench/): serve the bare /bench/ceiling/ view. Never on in production.
BENCH_CEILING_VIEW = env_bool("BENCH_CEILING_VIEW", False)

# --- The product ----------------------------------------------------------------------------
SITE_NAME = _("Mianshi — interview question study")
# A new learner's desired retention (they change it in their settings, within the same range),
# and the team dashboard's line under which a question counts as weak.
FSRS_DEFAULT_RETENTION = env_float("FSRS_DEFAULT_RETENTION", 0.9, between=(0.7, 0.99))
# FSRS spreads intervals slightly so cards learned together do not stay together forever.
FSRS_ENABLE_FUZZING = env_bool("FSRS_ENABLE_FUZZING", True)
