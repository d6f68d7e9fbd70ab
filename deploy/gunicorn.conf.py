"""gunicorn settings for the web process (``gunicorn -c deploy/gunicorn.conf.py reform.wsgi``).

Everything an operator tunes comes from the environment:

GUNICORN_BIND            address to listen on (default ``0.0.0.0:$PORT``, PORT default 8000)
GUNICORN_WORKERS         worker processes (default 2 × cores + 1, capped by GUNICORN_MAX_WORKERS)
GUNICORN_MAX_WORKERS     cap for the default above (default 8)
GUNICORN_THREADS         threads per worker (gthread; default 4)
GUNICORN_TIMEOUT         seconds a request may run before its worker is killed (default 60)
GUNICORN_GRACEFUL_TIMEOUT  seconds running requests get to finish on shutdown/reload (default 30)
GUNICORN_KEEPALIVE       keep-alive seconds towards the proxy (default 5)
GUNICORN_MAX_REQUESTS    recycle a worker after this many requests, with jitter (default 2000; 0 = never)
FORWARDED_ALLOW_IPS      proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)
LOG_LEVEL                gunicorn's own log level (default info)

Logs go to stdout as JSON lines (``reform.logging.GunicornJsonLogger``): one access line per
request with method, path, status, bytes, duration and the X-Request-ID the app returned.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_workers(cores: int, cap: int) -> int:
    """2 × cores + 1 (gunicorn's rule of thumb), never more than ``cap`` and never fewer than 2."""
    return max(2, min(2 * cores + 1, cap))


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = _int("GUNICORN_WORKERS", 0) or default_workers(multiprocessing.cpu_count(), _int("GUNICORN_MAX_WORKERS", 8))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# Heartbeat files on tmpfs: a worker blocked on a slow disk must not look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "reform.logging.GunicornJsonLogger"
capture_output = False

# Request limits in line with the proxy (client_max_body_size 25m is enforced by nginx).
limit_request_line = 8190
limit_request_fields = 100
