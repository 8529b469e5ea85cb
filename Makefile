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

# The ansible-core minors the collection declares, each in its own virtualenv (see CORE_PINS). The
# newest one is the tools virtualenv's, which sanity, units and playbook-tests already run.
CORE_PINS := tests/requirements-cores.txt
CORES := $(shell sed -n 's/^ansible-core==\([0-9]*\.[0-9]*\)\..*/\1/p' $(CORE_PINS))
OLDEST_CORE := $(firstword $(CORES))
NEWEST_CORE := $(lastword $(CORES))
CORE_VENVS := $(CURDIR)/.venv-cores
# What a core's virtualenv takes from the tools pins: the playbook tier's runner and the modules' libraries.
CORE_LIBRARIES := pytest ansible-runner openstacksdk python-magnumclient kubernetes cryptography
# Of tests/, the tree gets what ansible-test runs. The other folders there are pytest suites that
# drive the local cloud from the checkout (and the local cloud itself): ruff checks them, and
# ansible-test's rules for collection content do not apply to them.
TREE_EXCLUDES := ./.git ./.venv ./.venv-cores ./.venv-extra ./.localcloud ./.localcloud-lane ./.build ./.ansible ./context ./tests ./extensions \
	.pytest_cache .ruff_cache __pycache__
TREE_TESTS := unit integration sanity config.yml
# The top-level entries the tree takes, named one by one: with `.` as the member, an entry that the other lane of
# `make test` creates at the top level meanwhile (.localcloud-lane, on a fresh clone) fails the copy with tar's
# "file changed as we read it"; one that goes away before tar reads it is skipped (--ignore-failed-read).
TREE_TOP = $(filter-out $(patsubst ./%,%,$(filter ./%,$(TREE_EXCLUDES))) .pytest_cache .ruff_cache,$(shell ls -A $(CURDIR)))

# Steps of `make test`, in order; each one runs even when an earlier one failed. The cloud's steps run
# in two lanes at once, the second against a cloud of its own (hack/cloud-lane), as both mostly wait for Magnum.
TEST_STEPS := lint sanity units build docs-lint galaxy-import ee older-cores-checks
TEST_CLOUD_STEPS := integration capi-helm-targets
TEST_SECOND_LANE_STEPS := resilience older-cores-playbooks capi-helm-playbooks

export PATH := $(BIN):$(PATH)

.PHONY: help venv extra-venv docs-lint galaxy-import core-venv core-sanity core-units core-playbooks older-cores older-cores-checks older-cores-playbooks matrix collection-tree pip-bootstrap lint sanity units integration integration-targets \
	localcloud-tests kube-conformance playbook-tests playbook-tier capi-helm integration-all capi-helm-targets capi-helm-playbooks molecule build docs-check module-docs architecture-doc faults ee demo demo-teardown bench bench-imports mutants test \
	localcloud-up localcloud-down localcloud-status localcloud-env localcloud-restart localcloud-clean

help:
	@echo 'make demo         start the local cloud, run playbooks/site.yml against it, list the nodes and claims'
	@echo 'make demo-teardown  remove what make demo made (playbooks/teardown.yml)'
	@echo 'make test         everything CI runs: $(TEST_STEPS), then $(TEST_CLOUD_STEPS) beside $(TEST_SECOND_LANE_STEPS)'
	@echo 'make lint | sanity | units | integration | build | docs-lint | galaxy-import | ee | bench'
	@echo 'make kube-conformance  the Kubernetes emulator against kube-apiserver per version (no cloud)'
	@echo 'make capi-helm    ports, storage and config targets and the playbook tier on the real magnum-capi-helm driver'
	@echo 'make integration-all  every integration target, the playbook tier and molecule on both drivers (Heat, capi-helm)'
	@echo 'make matrix       sanity and units on every declared ansible-core ($(CORES)), playbook tier on the oldest and newest'
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

# One virtualenv per declared ansible-core minor: `make core-venv CORE=2.18`.
$(CORE_VENVS)/%/.installed: $(CORE_PINS) $(TOOLS_PINS) | $(VENV_STAMP)
	test -x $(CORE_VENVS)/$*/bin/python || $(PYTHON) -m venv $(CORE_VENVS)/$*
	$(CORE_VENVS)/$*/bin/python -m pip install --quiet --upgrade pip
	$(CORE_VENVS)/$*/bin/python -m pip install --quiet "$$(grep '^ansible-core==$*\.' $(CORE_PINS))" \
		$$(grep -E '^($(subst $(eval ) ,|,$(CORE_LIBRARIES)))==' $(TOOLS_PINS))
	$(CORE_VENVS)/$*/bin/python hack/install-pip-bootstrap.py
	touch $@

core-venv:
	@test -n "$(CORE)" || { echo 'usage: make core-venv CORE=<one of $(CORES)>'; exit 2; }
	$(MAKE) --no-print-directory $(CORE_VENVS)/$(CORE)/.installed

# Sanity, units and the playbook tier with one declared core's own ansible-test and ansible-playbook.
core-sanity core-units: core-venv collection-tree
	cd $(COLLECTION_TREE) && $(CORE_VENVS)/$(CORE)/bin/ansible-test $(subst core-,,$@) --venv --python $(TEST_PYTHON) --color no

core-playbooks: core-venv collection-tree localcloud-up
	@mkdir -p $(BUILD); eval "$$($(LOCALCLOUD) env)"; export ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH); \
	$(CORE_VENVS)/$(CORE)/bin/ansible --version | sed -n 1p; \
	$(CORE_VENVS)/$(CORE)/bin/python -m pytest tests/playbooks -p no:cacheprovider --basetemp=$(BUILD)/playbook-tests-$(CORE)

# Each step of a matrix, timed; every step runs even when an earlier one failed.
define run_timed
	status=0; for step in $(1); do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $${step%@*} CORE=$${step#*@} || { status=1; echo "make $$step: FAILED"; }; \
		echo "make $${step%@*} CORE=$${step#*@}: $$(( $$(date +%s) - start )) s"; \
	done; exit $$status
endef

# The part of the matrix `make test` runs besides the newest core's sanity, units and playbook tier:
# the checks that need no cloud, and the playbook tier with the oldest core.
older-cores: older-cores-checks older-cores-playbooks
older-cores-checks:
	@$(call run_timed,$(foreach core,$(filter-out $(NEWEST_CORE),$(CORES)),core-sanity@$(core) core-units@$(core)))
older-cores-playbooks:
	@$(call run_timed,core-playbooks@$(OLDEST_CORE))

matrix:
	@$(call run_timed,$(foreach core,$(CORES),core-sanity@$(core) core-units@$(core)) \
		$(sort core-playbooks@$(OLDEST_CORE) core-playbooks@$(NEWEST_CORE)))

# Tools that pin their own dependencies, each in a virtualenv of its own: .venv-extra/<name> from
# tests/requirements-<name>.txt (docs: antsibull-docs; importer: galaxy-importer).
EXTRA_VENVS := $(CURDIR)/.venv-extra
$(EXTRA_VENVS)/%/.installed: tests/requirements-%.txt
	test -x $(EXTRA_VENVS)/$*/bin/python || $(PYTHON) -m venv $(EXTRA_VENVS)/$*
	$(EXTRA_VENVS)/$*/bin/python -m pip install --quiet --upgrade pip
	$(EXTRA_VENVS)/$*/bin/python -m pip install --quiet -r tests/requirements-$*.txt
	touch $@

# tests/output survives the refresh: it holds the virtualenv ansible-test --venv delegates to.
collection-tree:
	rm -rf $(TREE_ROOT)/output
	if [ -d $(COLLECTION_TREE)/tests/output ]; then mv $(COLLECTION_TREE)/tests/output $(TREE_ROOT)/output; fi
	rm -rf $(COLLECTION_TREE)
	mkdir -p $(COLLECTION_TREE)/tests
	tar -C $(CURDIR) --ignore-failed-read $(addprefix --exclude=,$(TREE_EXCLUDES)) -cf - $(TREE_TOP) \
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

# The Kubernetes emulator against kube-apiserver's conventions, per emulated version; needs no cloud (about a minute).
kube-conformance: venv
	$(BIN)/python -m pytest tests/localcloud/tests/test_kube_conformance.py

# site.yml converge, re-run, AWX-style jobs through ansible-runner and teardown (one shared converge,
# pytest), and at the same time the roles' molecule scenarios, which build a cluster of their own: the
# names differ, and most of the time goes into waiting for Magnum.
MOLECULE := NO_COLOR=1 $(BIN)/molecule test --all
playbook-tests: venv collection-tree localcloud-up
	@mkdir -p $(BUILD); eval "$$($(LOCALCLOUD) env)"; export ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH); \
	driver=$${COE_MAGNUM_TEST_DRIVER:-heat}; log=$(BUILD)/molecule-$$driver.log; start=$$(date +%s); \
	$(MOLECULE) > $$log 2>&1 & molecule=$$!; \
	status=0; $(BIN)/python -m pytest tests/playbooks --basetemp=$(BUILD)/playbook-tests-$$driver || status=1; \
	wait $$molecule && result=passed || { result=FAILED; status=1; }; \
	sed -n '/SCENARIO RECAP/,$$p' $$log | sed 's/\x1b\[[0-9;]*m//g'; \
	echo "molecule ($$driver): $$result in $$(( $$(date +%s) - start )) s (output: $$log)"; \
	exit $$status

# The roles' scenarios (extensions/molecule): converge, idempotence, verify, destroy against the local cloud.
molecule: venv collection-tree localcloud-up
	@eval "$$($(LOCALCLOUD) env)"; ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(MOLECULE)

# --venv: modules run with only tests/integration/requirements.txt installed, as on a user's host.
# Targets read the cloud from integration_config.yml (ansible-test passes no OS_* variables).
# COE_MAGNUM_TEST_DRIVER=capi-helm runs them on the real magnum-capi-helm driver (heat, the local Heat driver, by
# default); INTEGRATION_TARGETS limits them to some targets.
integration-targets: venv collection-tree pip-bootstrap
	@if [ -z "$$(ls -A tests/integration/targets 2>/dev/null)" ]; then \
		echo 'integration-targets: no tests/integration/targets yet'; exit 0; fi; \
	$(BIN)/python hack/integration-config.py $(COLLECTION_TREE) tests/localcloud $(LOCALCLOUD)\ env; \
	$(ANSIBLE_TEST) integration --venv --python $(TEST_PYTHON) --color no --continue-on-error $(INTEGRATION_TARGETS)

# site.yml converge, re-run, AWX-style jobs and teardown alone (no molecule).
playbook-tier: venv collection-tree localcloud-up
	@mkdir -p $(BUILD); eval "$$($(LOCALCLOUD) env)"; export ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH); \
	$(BIN)/python -m pytest tests/playbooks --basetemp=$(BUILD)/playbook-tier-$${COE_MAGNUM_TEST_DRIVER:-heat}

# On the real magnum-capi-helm driver (os_distro ubuntu images): the ports, storage and config targets (first lane
# of `make test`: ansible-test installs its virtualenv from the package index, which the second lane's namespace
# cannot reach), and the playbook tier (second lane).
CAPI_HELM_TARGETS := magnum_cluster_ports coe_storage magnum_cluster_config
capi-helm: capi-helm-targets capi-helm-playbooks
capi-helm-targets: venv collection-tree pip-bootstrap localcloud-up
	@COE_MAGNUM_TEST_DRIVER=capi-helm $(MAKE) --no-print-directory integration-targets INTEGRATION_TARGETS="$(CAPI_HELM_TARGETS)"
capi-helm-playbooks: venv collection-tree localcloud-up
	@COE_MAGNUM_TEST_DRIVER=capi-helm $(MAKE) --no-print-directory playbook-tests

# The integration targets, the playbook tier and molecule on both drivers: the local Heat driver, then
# magnum-capi-helm, every target on each (docs/localcloud.md says what each checks on which driver).
integration-all: venv collection-tree pip-bootstrap localcloud-up
	@status=0; \
	for driver in heat capi-helm; do \
		for step in integration-targets playbook-tests; do \
			start=$$(date +%s); \
			COE_MAGNUM_TEST_DRIVER=$$driver $(MAKE) --no-print-directory $$step \
				|| { status=1; echo "make $$step ($$driver): FAILED"; }; \
			echo "make $$step ($$driver): $$(( $$(date +%s) - start )) s"; \
		done; \
	done; \
	exit $$status

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
	$(BIN)/python hack/architecture.py docs/architecture.md --check || status=1; \
	exit $$status

# docs/architecture.md: the map of plugins/ (which file imports which), written from the code.
architecture-doc: venv
	$(BIN)/python hack/architecture.py docs/architecture.md

# The collection's documentation as the Ansible docs site builds it: antsibull-docs renders every module's and
# role's page and checks its markup (semantic markup, O()/RV()/M() references, seealso) and the extra docs.
docs-lint: collection-tree $(EXTRA_VENVS)/docs/.installed
	cd $(COLLECTION_TREE) && PATH=$(EXTRA_VENVS)/docs/bin:$$PATH $(EXTRA_VENVS)/docs/bin/antsibull-docs \
		lint-collection-docs --plugin-docs --validate-collection-refs all --disallow-unknown-collection-refs .
	@echo 'docs-lint: antsibull-docs found nothing to report'

# Galaxy's import of the built artifact (galaxy-importer: ansible-doc, ansible-lint, changelog checks), offline
# (tests/galaxy-importer.cfg), from an empty folder; any warning fails the step. Then the README's installs.
galaxy-import: $(EXTRA_VENVS)/importer/.installed
	test -f $(ARTIFACT) || $(MAKE) --no-print-directory build
	rm -rf $(BUILD)/galaxy-import && mkdir -p $(BUILD)/galaxy-import
	cd $(BUILD)/galaxy-import && GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/galaxy-importer.cfg \
		PATH=$(EXTRA_VENVS)/importer/bin:$$PATH $(EXTRA_VENVS)/importer/bin/python -m galaxy_importer.main \
		$(ARTIFACT) > import.log 2>&1 || { cat import.log; exit 1; }
	@if grep -E '^(WARNING|ERROR)' $(BUILD)/galaxy-import/import.log; then \
		echo 'galaxy-import: the import of $(notdir $(ARTIFACT)) reported the warnings above'; exit 1; fi
	@grep -q 'Importer processing completed successfully' $(BUILD)/galaxy-import/import.log
	@echo 'galaxy-import: $(notdir $(ARTIFACT)) imports with no warning (log: $(BUILD)/galaxy-import/import.log)'
	@# The README's installs before a Galaxy release: from the artifact, and from git (this checkout's HEAD).
	$(BIN)/ansible-galaxy collection install --offline -p $(BUILD)/galaxy-import/from-artifact $(ARTIFACT)
	$(BIN)/ansible-galaxy collection install -p $(BUILD)/galaxy-import/from-git 'git+file://$(CURDIR),HEAD'
	test -f $(BUILD)/galaxy-import/from-git/ansible_collections/coe/magnum/MANIFEST.json

# docs/modules/: the module reference, written from the modules' own documentation.
module-docs: venv collection-tree
	$(BIN)/python hack/module-docs.py $(COLLECTIONS_PATH) docs/modules

# The execution environment of execution-environment.yml: its build context (ansible-builder create) with the
# collection's artifact, checked step by step; then the image, with podman, when the base image is present
# (there is no container registry to pull it from here). meta/execution-environment.yml is what ansible-builder
# introspects in the installed collection when another execution environment lists coe.magnum.
EE_BASE_IMAGE := $(shell sed -n '/base_image:/,/name:/s/^ *name: *//p' execution-environment.yml)
ee: venv
	test -f $(ARTIFACT) || $(MAKE) --no-print-directory build
	grep -q 'coe-magnum-$(VERSION).tar.gz' execution-environment.yml \
		|| { echo 'execution-environment.yml does not name the artifact of version $(VERSION)'; exit 1; }
	rm -rf $(BUILD)/ee $(BUILD)/context
	$(BIN)/ansible-builder create --file execution-environment.yml --context $(BUILD)/context --output-filename Containerfile
	$(BIN)/python hack/check-ee-context.py $(BUILD)/context $(ARTIFACT)
	$(BIN)/ansible-galaxy collection install --offline -p $(BUILD)/ee/collections $(ARTIFACT)
	$(BIN)/ansible-builder introspect --sanitize $(BUILD)/ee/collections > $(BUILD)/ee/introspect.yml
	grep -q "openstacksdk.*from collection coe.magnum" $(BUILD)/ee/introspect.yml
	@if command -v podman > /dev/null && podman image exists $(EE_BASE_IMAGE) 2> /dev/null; then \
		$(BIN)/ansible-builder build --file execution-environment.yml --context $(BUILD)/context \
			--container-runtime podman --tag coe-magnum-ee:$(VERSION); \
	else \
		echo "ee: image not built: $(if $(shell command -v podman),podman has no $(EE_BASE_IMAGE) and there is no registry to pull it from,podman is not installed); the build context in $(BUILD)/context is checked"; \
	fi

# Bad-input, secrets, fault, odd-name and in-flight-create suites against the local cloud (tests/resilience);
# `make faults` runs the fault suites alone, with the long cases. RESILIENCE_REPORT=docs/resilience.md writes the
# table of cases and outcomes again.
# test_inflight pauses the shared magnum-conductor (SIGSTOP) for a minute per case: about 4 minutes in all.
RESILIENCE_SUITES ?= tests/resilience/test_bad_input.py tests/resilience/test_secrets.py tests/resilience/test_faults.py \
	tests/resilience/test_kube_faults.py tests/resilience/test_names.py tests/resilience/test_inflight.py
resilience: venv collection-tree localcloud-up
	eval "$$($(LOCALCLOUD) env)"; \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(BIN)/python -m pytest $(RESILIENCE_SUITES) -p no:cacheprovider \
		$(if $(RESILIENCE_REPORT),--resilience-report=$(abspath $(RESILIENCE_REPORT)))

# With the cases too long for every `make test`: the conductor paused for 5 minutes during a create, every gateway
# status (502, 503, 504) on every cluster write, and the Magnum endpoint refusing connections for 20 s mid-wait.
faults:
	RESILIENCE_LONG=1 $(MAKE) --no-print-directory resilience \
		RESILIENCE_SUITES="tests/resilience/test_faults.py tests/resilience/test_kube_faults.py tests/resilience/test_names.py \
			tests/resilience/test_inflight.py"

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
# MUTANTS="retry.py cluster/plan.py" limits it to some files (those of the cluster package by their path).
mutants: venv
	$(BIN)/python hack/mutants.py $(MUTANTS)

bench: venv collection-tree
	@if [ ! -f tests/bench/run.py ]; then echo 'bench: no tests/bench/run.py yet'; exit 0; fi; \
	$(MAKE) --no-print-directory localcloud-up; \
	eval "$$($(LOCALCLOUD) env)"; ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(BIN)/python tests/bench/run.py $(BENCH_ARGS)

# Import time of every module (median of 3, python -X importtime), without the cloud: a few seconds.
bench-imports: venv collection-tree
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_PATH) $(BIN)/python tests/bench/importtime.py

test: venv
	@mkdir -p $(BUILD); summary=$(BUILD)/test-summary.txt; : > $$summary; \
	run_steps() { for step in "$$@"; do \
		start=$$(date +%s); \
		if $(MAKE) --no-print-directory $$step; then result=passed; else result=FAILED; fi; \
		echo "make $$step: $$result in $$(( $$(date +%s) - start )) s" | tee -a $$summary; \
	done; }; \
	run_steps $(TEST_STEPS); \
	$(MAKE) --no-print-directory localcloud-up core-venv CORE=$(OLDEST_CORE) > /dev/null; \
	echo "== $(TEST_SECOND_LANE_STEPS): beside the next steps, against a second cloud (output: $(BUILD)/second-lane.log)"; \
	hack/cloud-lane $$summary $(TEST_SECOND_LANE_STEPS) > $(BUILD)/second-lane.log 2>&1 & lane=$$!; \
	run_steps $(TEST_CLOUD_STEPS); \
	wait $$lane || grep -q '(second cloud' $$summary || echo 'make second-lane: FAILED in 0 s' >> $$summary; \
	echo "== $(TEST_SECOND_LANE_STEPS)"; sed 's/\x1b\[[0-9;]*m//g' $(BUILD)/second-lane.log; \
	echo '== summary'; cat $$summary; \
	if grep -q ': FAILED in' $$summary; then echo "make test failed:$$(sed -n 's/^make \([^:]*\): FAILED.*/ \1/p' $$summary | tr -d '\n')"; exit 1; fi

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
