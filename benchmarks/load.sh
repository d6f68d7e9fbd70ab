#!/usr/bin/env bash
# Load test: a fresh seeded database, the production stack (deploy/prod-local.sh) on a free loopback
# port, locust headless with mixed traffic by role, then "no lost write" against the database and
# p50 / p95 / error rate. Everything runs on 127.0.0.1 and stops by itself.
#
#   benchmarks/load.sh                       200 users, 20/s ramp, 3 minutes, 100,000 seeded items
#   USERS=50 DURATION=60s ITEMS=10000 benchmarks/load.sh
#   SEED_TEMPLATE=reform_load_seed benchmarks/load.sh   copy an already seeded database instead of seeding
#
# Environment [defaults]: USERS [200], SPAWN_RATE [20], DURATION [3m], ITEMS [100000], SEED_TEMPLATE [],
# PG_HOST [127.0.0.1], PG_PORT [5432], CELERY_BROKER_URL [redis://127.0.0.1:6379/0] (with a queue of
# this run's own), KEEP_DB [0], OUT [var/load/<run>]. Results: $OUT/locust_stats.csv and friends.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
USERS="${USERS:-200}"
SPAWN_RATE="${SPAWN_RATE:-20}"
DURATION="${DURATION:-3m}"
ITEMS="${ITEMS:-100000}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
RUN="load_$(date +%Y%m%d_%H%M%S)_$$"
DB_NAME="reform_${RUN}"
OUT="${OUT:-$ROOT/var/load/$RUN}"
mkdir -p "$OUT"
say() { echo "[load] $*"; }
psql_q() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

export DATABASE_URL="postgres://postgres@${PG_HOST}:${PG_PORT}/${DB_NAME}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"
export CELERY_TASK_DEFAULT_QUEUE="reform-${RUN}"
export DEMO_PASSWORD="${DEMO_PASSWORD:-demo-pass-2026}"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PORT

STACK_PID=""
cleanup() {
    if [ -n "$STACK_PID" ] && kill -0 "$STACK_PID" 2>/dev/null; then
        PROD_LOCAL_DIR="$OUT/prod-local" bash deploy/prod-local.sh stop >/dev/null 2>&1 || true
        wait "$STACK_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_DB:-0}" != "1" ]; then
        psql_q -d postgres -c "DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)" || true
    fi
}
trap cleanup EXIT

if [ -n "${SEED_TEMPLATE:-}" ]; then
    say "database ${DB_NAME}: copy of ${SEED_TEMPLATE}"
    psql_q -d postgres -c "CREATE DATABASE ${DB_NAME} TEMPLATE ${SEED_TEMPLATE}"
else
    say "database ${DB_NAME}: migrate and seed_scale --items ${ITEMS}"
    psql_q -d postgres -c "CREATE DATABASE ${DB_NAME}"
    started=$(date +%s)
    DJANGO_SETTINGS_MODULE=reform.settings.local "$PY" manage.py migrate --noinput -v 0
    DJANGO_SETTINGS_MODULE=reform.settings.local "$PY" manage.py seed_scale --items "$ITEMS" | tail -3
    say "seeded in $(($(date +%s) - started)) s"
fi
say "tasks: $(psql_q -d "$DB_NAME" -c 'SELECT count(*) FROM tasks_app_task')"

say "starting deploy/prod-local.sh on 127.0.0.1:${PORT} (logs in $OUT/prod-local)"
PROD_LOCAL_DIR="$OUT/prod-local" PROD_LOCAL_TAIL=0 bash deploy/prod-local.sh >"$OUT/prod-local.out" 2>&1 &
STACK_PID=$!
for _ in $(seq 1 180); do
    if curl -fsS --max-time 2 "http://127.0.0.1:${PORT}/readyz" >/dev/null 2>&1; then break; fi
    kill -0 "$STACK_PID" 2>/dev/null || { cat "$OUT/prod-local.out" >&2; exit 1; }
    sleep 1
done
curl -fsS --max-time 2 "http://127.0.0.1:${PORT}/readyz" >/dev/null || { cat "$OUT/prod-local.out" >&2; exit 1; }

SINCE="$(psql_q -d "$DB_NAME" -c 'SELECT now()')"
say "locust: ${USERS} users, ${SPAWN_RATE}/s, ${DURATION}"
set +e
LOCUST_RUN="$RUN" LOCUST_WRITES="$OUT/writes.json" "$ROOT/.venv/bin/locust" -f benchmarks/locustfile.py \
    --headless -u "$USERS" -r "$SPAWN_RATE" -t "$DURATION" --stop-timeout 90 \
    --host "http://127.0.0.1:${PORT}" --csv "$OUT/locust" --only-summary >"$OUT/locust.log" 2>&1
locust_rc=$?
set -e
say "locust exited ${locust_rc} (non-zero when any request failed); stopping the stack"
PROD_LOCAL_DIR="$OUT/prod-local" bash deploy/prod-local.sh stop >/dev/null
wait "$STACK_PID" 2>/dev/null || true
STACK_PID=""

# No lost write: every write the server acknowledged is in the database, and nothing more.
feedback="$(psql_q -d "$DB_NAME" -c "SELECT count(*) FROM tasks_app_feedback WHERE text LIKE '${RUN}%'")"
attached="$(psql_q -d "$DB_NAME" -c "SELECT count(*) FROM tasks_app_attachment a JOIN tasks_app_feedback f \
    ON a.feedback_id = f.id WHERE f.text LIKE '${RUN}%'")"
fb_traced="$(psql_q -d "$DB_NAME" -c "SELECT count(*) FROM tasks_app_traceentry WHERE created_at >= '${SINCE}' \
    AND action = 'feedback.submit'")"
assigned="$(psql_q -d "$DB_NAME" -c "SELECT count(*) FROM tasks_app_traceentry WHERE created_at >= '${SINCE}' \
    AND action = 'task.assign' AND actor_id IS NOT NULL")"
accepted="$(psql_q -d "$DB_NAME" -c "SELECT count(*) FROM tasks_app_traceentry WHERE created_at >= '${SINCE}' \
    AND action = 'task.accept'")"
reports="$(psql_q -d "$DB_NAME" -c "SELECT count(*) FROM reports_report WHERE created_at >= '${SINCE}'")"
"$PY" - "$OUT" "$feedback" "$attached" "$fb_traced" "$assigned" "$accepted" "$reports" <<'PY'
import csv
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
feedback, attached, fb_traced, assigned, accepted, reports = map(int, sys.argv[2:8])
writes = json.loads((out / "writes.json").read_text()) if (out / "writes.json").exists() else {}
checks = [
    ("ten-day reports (rows)", "feedback", feedback),
    ("ten-day reports (attachments)", "feedback", attached),
    ("ten-day reports (trace entries)", "feedback", fb_traced),
    ("assign (trace entries)", "transition.assign", assigned),
    ("accept (trace entries)", "transition.accept", accepted),
    ("report requests (rows)", "report.request", reports),
]
# Acknowledged <= stored <= sent: a request cut off when the run stopped may have committed unanswered.
lost = False
print("\nwrite                               acknowledged  in database         sent")
for name, kind, stored in checks:
    acked, sent = writes.get(kind, 0), writes.get(f"{kind}.sent", 0)
    ok = acked <= stored <= sent
    lost |= not ok
    print(f"{name:35s} {acked:12d} {stored:12d} {sent:12d}{'' if ok else '   <-- MISMATCH'}")
rows = {row["Name"]: row for row in csv.DictReader((out / "locust_stats.csv").open(encoding="utf-8"))}
total = rows["Aggregated"]
count, failures = int(total["Request Count"]), int(total["Failure Count"])
print(f"\nrequests {count}, failures {failures} ({100 * failures / max(count, 1):.3f} %), "
      f"{float(total['Requests/s']):.1f} req/s, p50 {total['50%']} ms, p95 {total['95%']} ms, "
      f"p99 {total['99%']} ms, max {float(total['Max Response Time']):.0f} ms")
print("\nendpoint                                          count  fail   p50   p95   p99")
for name, row in sorted(rows.items(), key=lambda kv: -int(kv[1]["Request Count"])):
    if name != "Aggregated":
        print(f"{row['Type']:5s} {name[:42]:42s} {int(row['Request Count']):6d} {int(row['Failure Count']):5d} "
              f"{row['50%']:>5s} {row['95%']:>5s} {row['99%']:>5s}")
print("\nno lost write: " + ("FAILED" if lost else "ok"))
sys.exit(1 if lost else 0)
PY
