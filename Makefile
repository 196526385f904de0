# The two commands: `make demo` runs LightSync on the embedded default (SQLite, no Redis);
# `make test` passes the tests. Both create .venv and install the pinned requirements first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo test bench reliability lint clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Web on 127.0.0.1:8000, the Lightspeed sandbox on localhost:8001, a Celery worker and beat in the
# foreground (Procfile.demo); Ctrl-C stops them all. The embedded broker's folders are created by
# the settings under var/. Pointing the two Lightspeed URLs (and the deployment's API client) at
# the sandbox is the only difference from production; oauthlib needs leave to use plain http.
demo: export OAUTHLIB_INSECURE_TRANSPORT = 1
demo: export LIGHTSPEED_OAUTH_URL = http://localhost:8001
demo: export LIGHTSPEED_API_URL = http://localhost:8001
demo: export LIGHTSPEED_CLIENT_ID = lightsync-demo
demo: export LIGHTSPEED_CLIENT_SECRET = lightsync-demo-secret
demo: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py lightspeed_demo_setup
	@echo
	@echo "LightSync demo:      http://127.0.0.1:8000/admin/"
	@echo "  logins (user/password): merchant/demo (Demo Outfitters), harbor/demo (Harbor Goods), ops/demo (ops staff)"
	@echo "Lightspeed sandbox:  http://localhost:8001 (account 100001; its OAuth login page accepts demo/demo)"
	@echo "Ctrl-C stops the web server, the sandbox, the worker and beat."
	@echo
	$(BIN)/honcho -f Procfile.demo start

# Uses PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (.ci/run sets them).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks print their figures; they are not part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks -o python_files='bench_*.py' -o python_functions='bench_*' -q -s -rs -p no:cacheprovider

# The reliability suites (the fault matrix, workers at once, the crash suite) with production-like
# settings: the client's real timeouts, Lightspeed's real rate limits at the sandbox, every
# Retry-After and back-off slept in wall time, 30 s leases. `make test` runs the same suites fast.
# Prints the fault matrix. About 35 minutes (docs/benchmarks.md).
reliability: export LIGHTSYNC_RELIABILITY = production
reliability: $(STAMP)
	$(BIN)/python -m pytest integrations/lightspeed/tests/reliability integrations/lightspeed/tests/test_crash_resume.py \
		-s -q -p no:cacheprovider --durations=0 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf var staticfiles
