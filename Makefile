# Every target installs what it needs; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
LOCALCLOUD := tests/localcloud/bin/localcloud

# Tools virtualenv, reinstalled when its pin file changes.
TOOLS_PINS := tests/requirements-tools.txt
VENV_STAMP := $(VENV)/.tools-installed

BUILD := $(CURDIR)/.build
# ansible-test needs the collection at ansible_collections/<namespace>/<name>: a fresh copy per run.
# It lives outside the checkout: inside it, ansible-test would list the copy's files with the
# checkout's git, which ignores them, and skip every test. One folder per checkout.
TREE_ROOT ?= $(HOME)/.cache/coe-magnum/$(shell printf %s '$(CURDIR)' | md5sum | cut -c1-12)
COLLECTIONS_PATH := $(TREE_ROOT)/collections
COLLECTION_TREE := $(COLLECTIONS_PATH)/ansible_collections/coe/magnum
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
ARTIFACT := $(BUILD)/coe-magnum-$(VERSION).tar.gz
TEST_PYTHON := 3.11
ANSIBLE_TEST := cd $(COLLECTION_TREE) && $(BIN)/ansible-test
# Of tests/, the tree gets what ansible-test runs. The other folders there are pytest suites that
# drive the local cloud from the checkout (and the local cloud itself): ruff checks them, and
# ansible-test's rules for collection content do not apply to them.
TREE_EXCLUDES := ./.git ./.venv ./.localcloud ./.build ./.ansible ./context ./tests ./extensions \
	.pytest_cache .ruff_cache __pycache__
TREE_TESTS := unit integration sanity config.yml

# Steps of `make test`, in order; each one runs even when an earlier one failed.
TEST_STEPS := lint sanity units build ee integration resilience

export PATH := $(BIN):$(PATH)

.PHONY: help venv collection-tree pip-bootstrap lint sanity units integration integration-targets \
	localcloud-tests playbook-tests molecule build docs-check module-docs faults ee demo demo-teardown bench mutants test \
	localcloud-up localcloud-down localcloud-status localcloud-env localcloud-restart localcloud-clean

help:
	@echo 'make demo         start the local cloud, run playbooks/site.yml against it, list the nodes and claims'
	@echo 'make demo-teardown  remove what make demo made (playbooks/teardown.yml)'
	@echo 'make test         everything CI runs: $(TEST_STEPS)'
	@echo 'make lint | sanity | units | integration | build | ee | bench'
	@echo 'make localcloud-up | localcloud-status | localcloud-env | localcloud-down | localcloud-clean'
	@echo 'make localcloud-restart SERVICE=magnum-conductor'

venv: $(VENV_STAMP)

# Debian ships venv and ensurepip (which ansible-test's virtualenvs also need) as python3-venv.
$(VENV_STAMP): $(TOOLS_PINS)
	if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
		else echo 'Install the venv module of $(PYTHON) (Debian: apt-get install python3-venv)'; exit 1; fi; \
	fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(TOOLS_PINS)
	touch $@

# tests/output survives the refresh: it holds the virtualenv ansible-test --venv delegates to.
collection-tree:
	rm -rf $(TREE_ROOT)/output
	if [ -d $(COLLECTION_TREE)/tests/output ]; then mv $(COLLECTION_TREE)/tests/output $(TREE_ROOT)/output; fi
	rm -rf $(COLLECTION_TREE)
	mkdir -p $(COLLECTION_TREE)/tests
	tar -C $(CURDIR) $(addprefix --exclude=,$(TREE_EXCLUDES)) -cf - . \
		| tar -C $(COLLECTION_TREE) -xf -
	cd tests && tar $(addprefix --exclude=,output $(filter-out ./tests,$(TREE_EXCLUDES))) \
		-cf - $$(ls -d $(TREE_TESTS) 2>/dev/null) | tar -C $(COLLECTION_TREE)/tests -xf -
	if [ -d $(TREE_ROOT)/output ]; then mv $(TREE_ROOT)/output $(COLLECTION_TREE)/tests/output; fi

# ansible-test fetches a pip bootstrap script from a host outside the reachable network.
pip-bootstrap: venv
	$(BIN)/python hack/install-pip-bootstrap.py

# ansible-lint resolves coe.magnum.* in roles and playbooks through the collection tree.
lint: venv collection-tree
	@status=0; \
	echo '== ansible-lint (production profile)'; \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(BIN)/ansible-lint --nocolor || status=1; \
	echo '== yamllint'; $(BIN)/yamllint --strict . || status=1; \
	echo '== ruff'; $(BIN)/ruff check --output-format concise . || status=1; \
	echo '== antsibull-changelog lint'; $(BIN)/antsibull-changelog lint || status=1; \
	exit $$status

sanity: venv collection-tree pip-bootstrap
	$(ANSIBLE_TEST) sanity --venv --python $(TEST_PYTHON) --color no

# ansible-test units rather than bare pytest: it imports the code as ansible_collections.coe.magnum
# the way Ansible does and installs tests/unit/requirements.txt into a clean virtualenv, so a
# dependency missing from the requirements fails here rather than for a user.
units: venv collection-tree pip-bootstrap
	@if [ ! -d tests/unit ]; then echo 'units: no tests/unit yet'; exit 0; fi; \
	$(ANSIBLE_TEST) units --venv --python $(TEST_PYTHON) --color no

# The local cloud's own tests first (they tell a broken test bed from a broken module), then the
# ansible-test targets, and the playbooks and roles as users run them.
INTEGRATION_STEPS := localcloud-tests integration-targets playbook-tests

integration: venv collection-tree pip-bootstrap localcloud-up
	@status=0; \
	for step in $(INTEGRATION_STEPS); do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $$step || { status=1; echo "make $$step: FAILED"; }; \
		echo "make $$step: $$(( $$(date +%s) - start )) s"; \
	done; \
	exit $$status

localcloud-tests: venv
	$(BIN)/python -m pytest tests/localcloud/tests

# site.yml converge, re-run, AWX-style jobs through ansible-runner and teardown (one shared converge,
# pytest), and at the same time the roles' molecule scenarios, which build a cluster of their own: the
# names differ, and most of the time goes into waiting for Magnum.
MOLECULE := NO_COLOR=1 $(BIN)/molecule test --all
playbook-tests: venv collection-tree localcloud-up
	@mkdir -p $(BUILD); eval "$$($(LOCALCLOUD) env)"; export ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH); \
	start=$$(date +%s); \
	$(MOLECULE) > $(BUILD)/molecule.log 2>&1 & molecule=$$!; \
	status=0; $(BIN)/python -m pytest tests/playbooks --basetemp=$(BUILD)/playbook-tests || status=1; \
	wait $$molecule && result=passed || { result=FAILED; status=1; }; \
	sed -n '/SCENARIO RECAP/,$$p' $(BUILD)/molecule.log | sed 's/\x1b\[[0-9;]*m//g'; \
	echo "molecule: $$result in $$(( $$(date +%s) - start )) s (output: $(BUILD)/molecule.log)"; \
	exit $$status

# The roles' scenarios (extensions/molecule): converge, idempotence, verify, destroy against the local cloud.
molecule: venv collection-tree localcloud-up
	@eval "$$($(LOCALCLOUD) env)"; ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(MOLECULE)

# --venv: modules run with only tests/integration/requirements.txt installed, as on a user's host.
# Targets read the cloud from integration_config.yml (ansible-test passes no OS_* variables).
integration-targets: venv collection-tree pip-bootstrap
	@if [ -z "$$(ls -A tests/integration/targets 2>/dev/null)" ]; then \
		echo 'integration-targets: no tests/integration/targets yet'; exit 0; fi; \
	$(BIN)/python hack/integration-config.py $(COLLECTION_TREE) tests/localcloud $(LOCALCLOUD)\ env; \
	$(ANSIBLE_TEST) integration --venv --python $(TEST_PYTHON) --color no --continue-on-error

build: venv collection-tree
	rm -f $(BUILD)/coe-magnum-*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) .
	$(BIN)/python hack/check-artifact.py $(ARTIFACT)
	$(MAKE) --no-print-directory docs-check

# Every module's and role's documentation renders.
docs-check: venv collection-tree
	@export ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH); status=0; count=0; \
	for path in plugins/modules/*.py; do \
		[ -e "$$path" ] || continue; name=$$(basename "$$path" .py); count=$$((count + 1)); \
		$(BIN)/ansible-doc -t module coe.magnum.$$name > /dev/null || { echo "ansible-doc failed: $$name"; status=1; }; \
	done; \
	for path in roles/*/meta/argument_specs.yml; do \
		[ -e "$$path" ] || continue; name=$$(basename "$$(dirname "$$(dirname "$$path")")"); count=$$((count + 1)); \
		$(BIN)/ansible-doc -t role coe.magnum.$$name > /dev/null || { echo "ansible-doc failed: role $$name"; status=1; }; \
	done; \
	echo "docs-check: $$count module and role documents rendered"; \
	$(BIN)/python hack/module-docs.py $(COLLECTIONS_PATH) docs/modules --check || status=1; \
	exit $$status

# docs/modules/: the module reference, written from the modules' own documentation.
module-docs: venv collection-tree
	$(BIN)/python hack/module-docs.py $(COLLECTIONS_PATH) docs/modules

# Execution environment build context from meta/execution-environment.yml, laid out like the
# collection root; then the dependencies ansible-builder finds in the installed artifact, as it
# does when another execution environment lists coe.magnum in its galaxy requirements.
ee: venv
	rm -rf $(BUILD)/ee $(BUILD)/context
	mkdir -p $(BUILD)/ee
	cp meta/execution-environment.yml requirements.txt bindep.txt $(BUILD)/ee/
	$(BIN)/ansible-builder create --file $(BUILD)/ee/execution-environment.yml --context $(BUILD)/context
	grep -q openstacksdk $(BUILD)/context/_build/requirements.txt
	test -f $(ARTIFACT) || $(MAKE) --no-print-directory build
	$(BIN)/ansible-galaxy collection install --offline -p $(BUILD)/ee/collections $(ARTIFACT)
	$(BIN)/ansible-builder introspect --sanitize $(BUILD)/ee/collections > $(BUILD)/ee/introspect.yml
	grep -q "openstacksdk.*from collection coe.magnum" $(BUILD)/ee/introspect.yml
	@echo "ee: build context in $(BUILD)/context; dependencies of the installed artifact in $(BUILD)/ee/introspect.yml"

# Bad-input, secrets and fault suites against the local cloud (tests/resilience); `make faults` runs the fault
# suite alone. RESILIENCE_REPORT=docs/resilience.md writes the table of cases and outcomes again.
RESILIENCE_SUITES ?= tests/resilience/test_bad_input.py tests/resilience/test_secrets.py tests/resilience/test_faults.py
resilience: venv collection-tree localcloud-up
	eval "$$($(LOCALCLOUD) env)"; \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(BIN)/python -m pytest $(RESILIENCE_SUITES) -p no:cacheprovider \
		$(if $(RESILIENCE_REPORT),--resilience-report=$(abspath $(RESILIENCE_REPORT)))

faults:
	$(MAKE) --no-print-directory resilience RESILIENCE_SUITES=tests/resilience/test_faults.py

# The whole workflow on the local cloud, then the new cluster seen through its new kubeconfig.
demo: venv collection-tree localcloud-up
	@eval "$$($(LOCALCLOUD) env)"; \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) \
		$(BIN)/ansible-playbook playbooks/site.yml -e @playbooks/vars/localcloud.yml; \
	kubeconfig=$$LOCALCLOUD_HOME/demo-kubeconfig/config; \
	echo "== the cluster through $$kubeconfig"; \
	if command -v kubectl > /dev/null; then \
		kubectl --kubeconfig "$$kubeconfig" get nodes -o wide && echo && kubectl --kubeconfig "$$kubeconfig" get pvc -A; \
	else $(BIN)/python tests/playbooks/show_cluster.py "$$kubeconfig"; fi; \
	echo "Remove it all: make demo-teardown"

demo-teardown: venv collection-tree
	@eval "$$($(LOCALCLOUD) env)"; \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(BIN)/ansible-playbook playbooks/teardown.yml \
		-e @playbooks/vars/localcloud.yml -e storage_class_delete_bound_claims=true

# Mutation testing of the decision code (hack/mutants.py, cosmic-ray); long, so not part of `make test`.
# MUTANTS="retry.py files.py" limits it to some files.
mutants: venv
	$(BIN)/python hack/mutants.py $(MUTANTS)

bench: venv collection-tree
	@if [ ! -f tests/bench/run.py ]; then echo 'bench: no tests/bench/run.py yet'; exit 0; fi; \
	$(MAKE) --no-print-directory localcloud-up; \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(BIN)/python tests/bench/run.py

test: venv
	@mkdir -p $(BUILD); summary=$(BUILD)/test-summary.txt; : > $$summary; failed=''; \
	for step in $(TEST_STEPS); do \
		start=$$(date +%s); \
		if $(MAKE) --no-print-directory $$step; then result=passed; else result=FAILED; failed="$$failed $$step"; fi; \
		echo "make $$step: $$result in $$(( $$(date +%s) - start )) s" | tee -a $$summary; \
	done; \
	echo '== summary'; cat $$summary; \
	if [ -n "$$failed" ]; then echo "make test failed:$$failed"; exit 1; fi

localcloud-up:
	$(LOCALCLOUD) up

localcloud-down:
	$(LOCALCLOUD) down

localcloud-status:
	$(LOCALCLOUD) status

localcloud-env:
	@$(LOCALCLOUD) env

localcloud-restart:
	@test -n "$(SERVICE)" || { echo 'usage: make localcloud-restart SERVICE=magnum-conductor'; exit 2; }
	$(LOCALCLOUD) restart $(SERVICE)

localcloud-clean:
	$(LOCALCLOUD) clean
