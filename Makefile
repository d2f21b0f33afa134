# kubeadm_ha.cluster: the two commands the README promises are `make demo` and `make test`.
# Everything else here is a building block of those two.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help venv lab-up lab-down lab-clean k8s demo demo-down bench test lint sanity unit build molecule

help:
	@echo "make demo      bring up the lab (3 control-plane + 2 workers) and run site.yml -i inventories/lab"
	@echo "make test      every gate: lint, sanity, unit tests, build, Molecule scenarios (what CI runs)"
	@echo "make lab-up / lab-down / lab-clean, make venv, make k8s, make bench, make lint|sanity|unit|build|molecule"

# The virtualenv is rebuilt when requirements.txt changes. The .collections link makes this checkout the
# installed collection kubeadm_ha.cluster for every ansible command run from here (see ansible.cfg).
$(VENV)/.stamp: requirements.txt requirements-runtime.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -U pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	mkdir -p .collections/ansible_collections/kubeadm_ha
	ln -sfn ../../.. .collections/ansible_collections/kubeadm_ha/cluster
	touch $@

venv: $(VENV)/.stamp
	@mkdir -p .collections/ansible_collections/kubeadm_ha
	@ln -sfn ../../.. .collections/ansible_collections/kubeadm_ha/cluster

lab-up: venv
	lab/labctl up

lab-down:
	lab/labctl down

lab-clean:
	lab/labctl clean

# Real Kubernetes v1.20.2 built from Debian's source package, packaged and published into the lab.
k8s: venv
	lab/labctl infra-up
	lab/k8s/build.sh
	lab/k8s/publish.sh

demo: lab-up k8s
	ansible-playbook site.yml -i inventories/lab
	ansible-playbook playbooks/show_nodes.yml -i inventories/lab

demo-down: lab-down

# A measurement, not a test: fresh deploy + no-change re-run of the demo lab, table in docs/benchmark.md.
bench: venv
	lab/bench.sh

test: venv
	tests/run-all.sh

lint: venv
	tests/run-all.sh lint

sanity: venv
	tests/run-all.sh sanity

unit: venv
	tests/run-all.sh unit

build: venv
	tests/run-all.sh build

molecule: venv
	tests/run-all.sh molecule
