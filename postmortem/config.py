"""Built-in configuration defaults; the environment is read in create_app, never here."""

from datetime import timedelta

# The database; None means SQLite at instance/postmortem.db.
SQLALCHEMY_DATABASE_URI: str | None = None
SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

# Requests larger than this get 413 (the Markdown import is the largest body we take).
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
# Longer URLs get 414 from the app (the JSON error shape under /api/); `postmortem serve` lets
# such request lines through to the app so that it can answer them.
MAX_URL_LENGTH = 8192

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False  # set POSTMORTEM_SESSION_COOKIE_SECURE=true behind HTTPS
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_DURATION = timedelta(days=14)
PERMANENT_SESSION_LIFETIME = timedelta(days=14)

# CSRF tokens live as long as the session: a draft left open over lunch still saves.
WTF_CSRF_TIME_LIMIT = None

# How passwords are stored (werkzeug's method string); tests use a cheap one.
PASSWORD_HASH_METHOD = "scrypt"

# Login throttling: this many failures within the window lock the account (or the address).
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_IP = 25
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

# Trust X-Forwarded-* from this many proxies (set to 1 behind nginx).
PROXY_FIX_HOPS = 0

# Paging of lists.
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200

# The public address of the app, used in links the API and e-mails carry (optional).
BASE_URL: str | None = None

# Outgoing mail for `postmortem remind`; with no MAIL_SERVER the digests are printed instead.
MAIL_SERVER: str | None = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME: str | None = None
MAIL_PASSWORD: str | None = None
MAIL_FROM = "postmortem@localhost"

# Outbound webhook on every action-item status change (JSON, signed with HMAC-SHA256).
WEBHOOK_URL: str | None = None
WEBHOOK_SECRET: str | None = None

# The insight job (similar post-mortems, themes): a worker thread in each serving process
# places each post-mortem written and runs the full recomputation on its schedule, in a child
# process (so its memory is returned); services/insights/worker.py.
INSIGHTS_WORKER = True
# Answers kept in each process's memory by what they show (postmortem.services.kept). Off only
# to measure a page's own work.
KEEP_ANSWERS = True
# The digest PDF is laid out by a child process, so a serving worker does not keep the memory.
PDF_DIGEST_APART = True
# The full recomputation of similar post-mortems and themes: at most this often, and only
# when this share of the archive was written since the last one (`postmortem insights
# refresh` runs it at any time). Between two, each post-mortem written is placed on its own.
INSIGHTS_FULL_INTERVAL = 3600
INSIGHTS_FULL_SHARE = 0.05
INSIGHTS_SUBPROCESS = True
