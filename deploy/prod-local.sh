#!/usr/bin/env bash
# The production stack on this machine: gunicorn + Celery worker + Celery beat under
# reform.settings.production, against the PostgreSQL and Redis already running on 127.0.0.1.
#
#   deploy/prod-local.sh          start in the foreground (Ctrl-C stops all three)
#   deploy/prod-local.sh stop     stop a running instance (from another terminal)
#   deploy/prod-local.sh status   show what is running
#
# Environment (defaults in brackets): PORT [8001], DATABASE_URL
# [postgres://postgres@127.0.0.1:5432/reform_prod_local, created if missing], CELERY_BROKER_URL
# [redis://127.0.0.1:6379/0], CELERY_TASK_DEFAULT_QUEUE [reform-prod-local], SECRET_KEY [generated
# once into $PROD_LOCAL_DIR/secret_key], ALLOWED_HOSTS [127.0.0.1,localhost], PROD_LOCAL_DIR
# [var/prod-local: pid files and logs], STATIC_ROOT [staticfiles/], GUNICORN_WORKERS [2],
# CELERY_CONCURRENCY [2], STATIC_BROTLI_QUALITY [9].
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV_BIN="${VENV_BIN:-$ROOT/.venv/bin}"
PY="$VENV_BIN/python"
RUN_DIR="${PROD_LOCAL_DIR:-$ROOT/var/prod-local}"
SERVICES=(web worker beat)
STOP_TIMEOUT="${PROD_LOCAL_STOP_TIMEOUT:-30}"

say() { echo "[prod-local] $*"; }
die() { echo "[prod-local] 错误 (error): $*" >&2; exit 1; }

pid_of() {
    local file="$RUN_DIR/$1.pid"
    [ -f "$file" ] && cat "$file"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

stop_all() {
    local name pid pids=()
    for name in "${SERVICES[@]}"; do
        pid="$(pid_of "$name" || true)"
        if alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    [ "${#pids[@]}" -eq 0 ] && return 0
    if [ "${1:-}" = "children" ]; then
        # Our own children: reap them with wait (kill -0 would see unreaped zombies as alive).
        (for _ in $(seq 1 $((STOP_TIMEOUT * 10))); do sleep 0.1; done; kill -KILL "${pids[@]}" 2>/dev/null) &
        local killer=$!
        wait "${pids[@]}" 2>/dev/null || true
        kill "$killer" 2>/dev/null || true
        wait "$killer" 2>/dev/null || true
        for name in "${SERVICES[@]}"; do rm -f "$RUN_DIR/$name.pid"; done
        return 0
    fi
    local waited=0
    while [ "$waited" -lt $((STOP_TIMEOUT * 10)) ]; do
        local left=0
        for pid in "${pids[@]}"; do
            if alive "$pid"; then left=1; fi
        done
        [ "$left" -eq 0 ] && break
        sleep 0.1
        waited=$((waited + 1))
    done
    for pid in "${pids[@]}"; do
        if alive "$pid"; then
            say "pid $pid did not stop within ${STOP_TIMEOUT}s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    for name in "${SERVICES[@]}"; do rm -f "$RUN_DIR/$name.pid"; done
}

status() {
    local name pid running=0
    for name in "${SERVICES[@]}"; do
        pid="$(pid_of "$name" || true)"
        if alive "$pid"; then
            echo "$name: running (pid $pid)"
            running=1
        else
            echo "$name: stopped"
        fi
    done
    [ "$running" -eq 1 ]
}

case "${1:-start}" in
    stop)
        touch "$RUN_DIR/stop-requested" 2>/dev/null || true
        stop_all
        say "已停止 (stopped)"
        exit 0
        ;;
    status)
        status
        exit $?
        ;;
    start) ;;
    *) die "usage: $0 [start|stop|status]" ;;
esac

mkdir -p "$RUN_DIR"
rm -f "$RUN_DIR/stop-requested"
for name in "${SERVICES[@]}"; do
    if alive "$(pid_of "$name" || true)"; then
        die "$name is already running (pid $(pid_of "$name")); run: $0 stop"
    fi
done

export DJANGO_SETTINGS_MODULE=reform.settings.production
export PORT="${PORT:-8001}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
# Plain HTTP on the loopback: no TLS proxy in front, so no redirect to https.
export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-false}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/reform_prod_local}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"
export CELERY_TASK_DEFAULT_QUEUE="${CELERY_TASK_DEFAULT_QUEUE:-reform-prod-local}"
export GUNICORN_WORKERS="${GUNICORN_WORKERS:-2}"
export GUNICORN_GRACEFUL_TIMEOUT="${GUNICORN_GRACEFUL_TIMEOUT:-10}"
export FORWARDED_ALLOW_IPS="${FORWARDED_ALLOW_IPS:-127.0.0.1}"
# Brotli level 9 compresses every start in seconds; image builds keep the default 11 (reform/staticfiles.py).
export STATIC_BROTLI_QUALITY="${STATIC_BROTLI_QUALITY:-9}"
if [ -z "${SECRET_KEY:-}" ]; then
    if [ ! -s "$RUN_DIR/secret_key" ]; then
        (umask 077 && "$PY" -c "import secrets; print(secrets.token_urlsafe(64))" >"$RUN_DIR/secret_key")
        say "generated a SECRET_KEY in $RUN_DIR/secret_key"
    fi
    SECRET_KEY="$(cat "$RUN_DIR/secret_key")"
    export SECRET_KEY
fi

[ -f static/vendor/echarts.min.js ] || die "static/vendor is missing: run 'make install' first"

# The services must already be up; say which one is not.
"$PY" - <<'PY' || exit 1
import os
import sys
from urllib.parse import unquote, urlsplit

import psycopg
import redis

url = urlsplit(os.environ["DATABASE_URL"])
if url.scheme not in {"postgres", "postgresql", "pgsql"}:
    sys.exit(f"[prod-local] DATABASE_URL must point at PostgreSQL, not {url.scheme}")
name = unquote(url.path.lstrip("/"))
params = {
    "host": url.hostname or "127.0.0.1",
    "port": url.port or 5432,
    "user": unquote(url.username or "postgres"),
    "password": unquote(url.password or "") or None,
    "connect_timeout": 5,
}
try:
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"[prod-local] created database {name}")
except psycopg.OperationalError as exc:
    sys.exit(f"[prod-local] PostgreSQL is not reachable at {params['host']}:{params['port']}: {exc}".strip())
broker = os.environ["CELERY_BROKER_URL"]
try:
    redis.Redis.from_url(broker, socket_connect_timeout=3, socket_timeout=3).ping()
except redis.RedisError as exc:
    sys.exit(f"[prod-local] Redis is not reachable at {broker}: {exc}")
PY

say "database $(echo "$DATABASE_URL" | sed -E 's#//[^@/]*@#//#'), broker $CELERY_BROKER_URL (queue $CELERY_TASK_DEFAULT_QUEUE)"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py collectstatic --noinput -v 0
say "migrated and collected static files into $("$PY" -c 'import django; from django.conf import settings; django.setup(); print(settings.STATIC_ROOT)')"

TAIL_PID=""
MONITORING=0
shutdown() {
    trap - INT TERM EXIT
    if [ "$MONITORING" -eq 1 ]; then say "stopping…"; fi
    stop_all children
    if alive "$TAIL_PID"; then kill "$TAIL_PID" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    say "已停止 (stopped)"
}
trap 'shutdown; exit 130' INT
trap 'shutdown; exit 143' TERM
trap 'shutdown' EXIT

for name in "${SERVICES[@]}"; do : >"$RUN_DIR/$name.log"; done
"$VENV_BIN/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:$PORT" reform.wsgi:application \
    >>"$RUN_DIR/web.log" 2>&1 &
echo $! >"$RUN_DIR/web.pid"
"$VENV_BIN/celery" -A reform worker --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" \
    --hostname "prod-local-$PORT@%h" >>"$RUN_DIR/worker.log" 2>&1 &
echo $! >"$RUN_DIR/worker.pid"
"$VENV_BIN/celery" -A reform beat --loglevel INFO >>"$RUN_DIR/beat.log" 2>&1 &
echo $! >"$RUN_DIR/beat.pid"
MONITORING=1
say "web pid $(pid_of web), worker pid $(pid_of worker), beat pid $(pid_of beat); logs in $RUN_DIR/{web,worker,beat}.log"

ready=""
for _ in $(seq 1 60); do
    for name in "${SERVICES[@]}"; do
        if ! alive "$(pid_of "$name")"; then
            echo "[prod-local] $name exited on start; its log:" >&2
            tail -30 "$RUN_DIR/$name.log" >&2
            exit 1
        fi
    done
    if ready="$(curl -fsS --max-time 3 "http://127.0.0.1:$PORT/readyz" 2>/dev/null)"; then break; fi
    ready=""
    sleep 0.5
done
[ -n "$ready" ] || die "http://127.0.0.1:$PORT/readyz did not answer 200 within 30 s: $(curl -sS "http://127.0.0.1:$PORT/readyz" 2>&1)"
say "ready: $ready"
echo ""
echo "生产模式本地运行中 (production settings, gunicorn + worker + beat): http://127.0.0.1:$PORT/accounts/login/"
echo "停止 (stop): Ctrl-C, or: deploy/prod-local.sh stop"

if [ "${PROD_LOCAL_TAIL:-1}" = "1" ]; then
    tail -n 0 -F "$RUN_DIR/web.log" "$RUN_DIR/worker.log" "$RUN_DIR/beat.log" &
    TAIL_PID=$!
fi
# Whichever service ends first (crash, or `prod-local.sh stop`), the others are stopped with it.
# (bash reaps its children as they end, so kill -0 sees a dead one at once.)
while alive "$(pid_of web || true)" && alive "$(pid_of worker || true)" && alive "$(pid_of beat || true)"; do
    sleep 1 &
    wait $! || true
done
if [ -f "$RUN_DIR/stop-requested" ]; then
    rm -f "$RUN_DIR/stop-requested"
    exit 0
fi
for name in "${SERVICES[@]}"; do
    if [ -f "$RUN_DIR/$name.pid" ] && ! alive "$(pid_of "$name")"; then
        echo "[prod-local] $name exited unexpectedly; the last lines of its log:" >&2
        tail -20 "$RUN_DIR/$name.log" >&2
    fi
done
exit 1
