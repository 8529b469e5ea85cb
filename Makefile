# Every target installs what it needs; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
LOCALCLOUD := tests/localcloud/bin/localcloud

.PHONY: localcloud-up localcloud-down localcloud-status localcloud-env

localcloud-up:
	$(LOCALCLOUD) up

localcloud-down:
	$(LOCALCLOUD) down

localcloud-status:
	$(LOCALCLOUD) status

localcloud-env:
	@$(LOCALCLOUD) env
