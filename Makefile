# The whole setup lives here: `make demo` and `make test` install everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk chromium chromium-driver poppler-utils gettext

.PHONY: install system-deps demo test lint typecheck migrate clean prod-local

install: system-deps $(VENV)/.installed static/vendor/.installed

system-deps:
	@bash deploy/system-deps.sh $(SYSTEM_PACKAGES)

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

static/vendor/.installed: package.json
	@bash deploy/vendor-assets.sh
	@touch $@

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo
	@echo ""
	@echo "演示系统已启动: http://127.0.0.1:$(PORT)/accounts/login/"
	@echo "演示账号（密码: $${DEMO_PASSWORD:-demo-pass-2026}）:"
	@echo "  leader       市领导      驾驶舱、批示、督办"
	@echo "  duchashi     督查室      交办、审核、整改、评价、导入导出、通报"
	@echo "  dsj_admin    市大数据局管理员   dsj_handler 市大数据局经办人"
	@echo "  jxj_admin    市经信局管理员     jxj_handler 市经信局经办人"
	@echo "  auditor      审计员      只读、核验留痕"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	@# Every services and selectors module (found, not listed, so a new one cannot be missed), the
	@# access layer, the action registry, the trace and the ground-floor helpers.
	$(VENV)/bin/mypy $$(ls -d */services.py */services */selectors.py */selectors 2>/dev/null | grep -v "^indicators/" | sort -u) \
		tasks_app/access.py tasks_app/actions.py tasks_app/tasklist indicators cockpit/figures.py cockpit/filters.py \
		cockpit/drilldown.py trail/chain.py trail/events.py \
		trail/verify.py reform/roles.py reform/jobs.py reform/periods.py reform/health.py reform/logging.py \
		reform/db_router.py reform/staticfiles.py reform/params.py reform/numbers.py reform/spreadsheet.py \
		reform/text.py reform/parsers.py reform/token_auth.py reform/middleware.py accounts/usernames.py accounts/lockout.py

test: lint
	@# pytest exits 5 when it collected nothing: a failure, never a silent pass.
	$(VENV)/bin/pytest -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

prod-local: install
	@bash deploy/prod-local.sh

clean:
	rm -rf $(VENV) staticfiles var db.sqlite3 node_modules static/vendor/.installed
