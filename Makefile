# CSQ: `make run` starts the whole system, `make test` runs every test. Both install first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SERVICES := feedback survey kpi audit notify
PACKAGES := libs/common $(foreach s,$(SERVICES),services/$(s)-svc)
STAMP := $(VENV)/.installed

.PHONY: install run test test-common test-services test-system bench clean

install: $(STAMP)

$(STAMP): requirements.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps $(foreach p,$(PACKAGES),-e $(p))
	touch $(STAMP)

run: install
	$(BIN)/python scripts/devstack.py

test: install
	@for p in $(PACKAGES); do \
		echo "=== $$p"; \
		(cd $$p && ../../$(BIN)/python -m pytest -q -p no:cacheprovider) || exit 1; \
	done
	@if [ -d tests ] && ls tests/test_*.py >/dev/null 2>&1; then echo "=== tests (whole system)"; $(BIN)/python -m pytest -q -p no:cacheprovider tests; fi

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var
