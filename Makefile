# CSQ: `make run` starts the whole system, `make test` runs every test. Both install first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SERVICES := feedback survey kpi audit notify
# csq_testing (libs/testing) holds the pytest plugin and the broker process: installed beside the
# services for the tests and `make run`, never a dependency of a service.
LIBS := libs/common libs/testing
PACKAGES := $(LIBS) $(foreach s,$(SERVICES),services/$(s)-svc)
STAMP := $(VENV)/.installed
# Extra pytest options, e.g. `make test PYTEST_ARGS="-x -k webhook"`; extra devstack options,
# e.g. `make run RUN_ARGS="--services feedback,kpi"`.
PYTEST_ARGS ?=
RUN_ARGS ?=
# Seconds after which one suite is interrupted (SIGINT, so pytest prints where it hung and the
# fixtures clean up; SIGKILL a minute later) and counted as failed; empty = no limit. A test still
# running after STACK_DUMP_SECONDS gets every thread's stack dumped (faulthandler), so a hang
# always leaves a trace.
SUITE_TIMEOUT ?= 2400
STACK_DUMP_SECONDS ?= 300
# Suites run at once: they mostly wait on the broker, the databases and retries, not on the CPU,
# so three side by side take about the time of the longest; TEST_JOBS=1 runs one after another.
TEST_JOBS ?= 3
# The longest suites first, so that the short ones fill the gaps at the end.
SUITES := services/kpi-svc $(wildcard tests) services/audit-svc services/survey-svc services/feedback-svc \
	services/notify-svc libs/common

.PHONY: install system-packages run mail-links test test-sqlite test-postgres test-common test-services test-system bench outbox-requeue kpi-rebuild clean

install: $(STAMP)

# Re-runs only when requirements.txt or a pyproject.toml changed: a second `make install` is a no-op.
$(STAMP): requirements.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps $(foreach p,$(PACKAGES),-e $(p))
	touch $(STAMP)

run: install
	$(BIN)/python scripts/devstack.py $(RUN_ARGS)

# Development only: the links in the mail `make run`'s SMTP sink kept (decoded; a grep of the
# base64 .eml files cuts them). Standard library only, so it needs no install.
mail-links:
	@python3 scripts/mail_links.py $(or $(CSQ_VAR_DIR),var)/mail

# One pytest run per directory in $(1), from inside that directory, TEST_JOBS of them at once
# (scripts/run_suites.py: each suite's output printed whole when it ends); keeps going after a
# failure and fails at the end naming every suite that failed. Exit code 5 ("no tests
# collected") is not a failure, so a package without tests yet does not break the run.
define run_suites
	@SUITE_TIMEOUT="$(SUITE_TIMEOUT)" STACK_DUMP_SECONDS="$(STACK_DUMP_SECONDS)" PYTEST_ARGS='$(PYTEST_ARGS)' \
		TEST_JOBS="$(TEST_JOBS)" $(BIN)/python scripts/run_suites.py $(1)
endef

# Every package's own suite, then the whole-system tests in tests/. CSQ_TEST_BACKENDS picks the
# database backends (default "sqlite,postgres"); CSQ_REQUIRE_POSTGRES=1 turns "PostgreSQL is
# down" from a loud skip into a failure.
test: install system-packages
	$(call run_suites,$(SUITES))

# chromium, fonts-noto-cjk and prometheus (promtool) for the page and metrics tests, installed
# when missing and possible (root or passwordless sudo); if not, those tests skip and say why.
system-packages:
	@bash scripts/system-packages.sh || echo "!! make: Debian packages missing: the tests that need them will skip"

test-sqlite:
	CSQ_TEST_BACKENDS=sqlite $(MAKE) --no-print-directory test

test-postgres:
	CSQ_TEST_BACKENDS=postgres CSQ_REQUIRE_POSTGRES=1 $(MAKE) --no-print-directory test

test-common: install
	$(call run_suites,libs/common)

test-services: install system-packages
	$(call run_suites,$(foreach s,$(SERVICES),services/$(s)-svc))

test-system: install system-packages
	$(call run_suites,tests)

bench: install
	$(BIN)/python bench/run_all.py

# Put a service's parked outbox rows (refused by the broker) back in the queue, once the cause is
# fixed: make outbox-requeue DATABASE_URL=postgresql+asyncpg://…/kpi
outbox-requeue: install
	@test -n "$(DATABASE_URL)" || { echo "make outbox-requeue: set DATABASE_URL (the service's database)"; exit 2; }
	$(BIN)/python -m csq_common.bus.outbox requeue --database-url "$(DATABASE_URL)"

# Replay kpi-svc's topics into a fresh database and compare every KPI with the live one (exit 1 if
# any differs): make kpi-rebuild DATABASE_URL=postgresql+asyncpg://…/kpi_rebuild; the live database,
# broker and topic prefix come from KPI_DATABASE_URL (or LIVE_DATABASE_URL=…), KAFKA_BOOTSTRAP_SERVERS, CSQ_TOPIC_PREFIX.
kpi-rebuild: install
	@test -n "$(DATABASE_URL)" || { echo "make kpi-rebuild: set DATABASE_URL (a fresh database to rebuild into)"; exit 2; }
	$(BIN)/python -m kpi_svc.rebuild --database-url "$(DATABASE_URL)" $(if $(LIVE_DATABASE_URL),--live-database-url "$(LIVE_DATABASE_URL)")

clean:
	rm -rf $(VENV) var
