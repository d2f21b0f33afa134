"""Proof that secrets never reach a log, at -vvvv, while the registered values stay usable.

Runs a real ``ansible-playbook -vvvv`` against localhost with the fake kubeadm (a test double, see
tests/unit/plugins/modules/fake_kubeadm.py), with ANSIBLE_LOG_PATH set, and no task sets ``no_log``
except where a playbook has to (set_fact of the filter's result). It then searches the whole
console output and the log file for the secrets.

What it proves:
* kubeadm_init and kubeadm_join_info results are censored by their action plugin at any verbosity;
* the registered token and key are real, usable values: kubeadm_join receives them (the fake records
  its argv) and a transformed copy (reversed) printed on purpose shows up in the output;
* kubeadm_join masks its no_log options in its result and invocation;
* failures (a failing kubeadm init, invalid filter input) are shown, without secrets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FAKE = Path(__file__).resolve().parents[1] / "modules" / "fake_kubeadm.py"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kubeadm"
INIT_TOKEN = "abcdef.0123456789abcdef"
NEW_TOKEN = "newtok.9z8y7x6w5v4u3t2s"
KEY = "e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204"
SECRETS = [INIT_TOKEN, "0123456789abcdef", NEW_TOKEN, "9z8y7x6w5v4u3t2s", KEY, KEY[:32], KEY[32:]]

PLAYBOOK = """
- name: Secrets stay out of the logs
  hosts: localhost
  gather_facts: false
  vars:
    fake: "{{ lookup('ansible.builtin.env', 'KHA_FAKE_KUBEADM') }}"
    root: "{{ lookup('ansible.builtin.env', 'KHA_TEST_ROOT') }}"
  tasks:
    - name: Initialise the first control-plane node
      kubeadm_ha.cluster.kubeadm_init:
        kubeadm: "{{ fake }}"
        config: /etc/kubernetes/kubeadm-config.yaml
        upload_certs: true
        kubernetes_dir: "{{ root }}/cp1"
      environment:
        FAKE_KUBEADM_ETC: "{{ root }}/cp1"
      register: init

    - name: Get join material for a control-plane node
      kubeadm_ha.cluster.kubeadm_join_info:
        kubeadm: "{{ fake }}"
        kubeconfig: "{{ root }}/cp1/admin.conf"
        ca_cert: "{{ root }}/cp1/pki/ca.crt"
        control_plane: true
      register: info

    - name: Join a second control-plane node with the registered secrets
      kubeadm_ha.cluster.kubeadm_join:
        kubeadm: "{{ fake }}"
        api_endpoint: "{{ info.api_endpoint }}"
        token: "{{ info.token }}"
        ca_cert_hashes: "{{ info.ca_cert_hashes }}"
        control_plane: true
        certificate_key: "{{ info.certificate_key }}"
        kubernetes_dir: "{{ root }}/cp2"
      environment:
        FAKE_KUBEADM_ETC: "{{ root }}/cp2"

    - name: Parse kubeadm output with the filter
      ansible.builtin.set_fact:
        parsed: "{{ lookup('ansible.builtin.file', fixture) | kubeadm_ha.cluster.parse_kubeadm_output }}"
      vars:
        fixture: "{{ lookup('ansible.builtin.env', 'KHA_FIXTURES') }}/1.28.4.init.cpe-upload.txt"
      no_log: true

    - name: Show that the registered values are real (reversed, so not the secret itself)
      ansible.builtin.debug:
        msg: "REVERSED {{ info.token | reverse }} {{ info.certificate_key | reverse }} {{ parsed.token | reverse }}"

    - name: A failing kubeadm init is reported, without its secrets
      kubeadm_ha.cluster.kubeadm_init:
        kubeadm: "{{ fake }}"
        config: /etc/kubernetes/kubeadm-config.yaml
        upload_certs: true
        kubernetes_dir: "{{ root }}/broken"
      environment:
        FAKE_KUBEADM_FAIL: init
        FAKE_KUBEADM_ETC: "{{ root }}/broken"
      ignore_errors: true

    - name: Invalid filter input fails clearly, without the token
      ansible.builtin.debug:
        msg: "{{ bad | kubeadm_ha.cluster.parse_kubeadm_output }}"
      vars:
        bad: kubeadm join 10.0.0.10:6443 --token NOT-A.real-token-in-a-playbook
      ignore_errors: true
"""


@pytest.fixture(scope="module")
def playbook_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secret-results")
    state = tmp / "state"
    state.mkdir()
    fake = tmp / "kubeadm"
    fake.write_text('#!/bin/sh\n# TEST DOUBLE, see fake_kubeadm.py\nexec "%s" "%s" "$@"\n' % (sys.executable, FAKE))
    fake.chmod(0o755)
    (tmp / "play.yml").write_text(textwrap.dedent(PLAYBOOK))
    (tmp / "ansible.cfg").write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "FAKE_KUBEADM_"))}
    env.update(
        ANSIBLE_CONFIG=str(tmp / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.environ["KHA_TEST_COLLECTIONS_PATH"],
        ANSIBLE_LOG_PATH=str(tmp / "ansible.log"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "local-tmp"),
        ANSIBLE_REMOTE_TEMP=str(tmp / "remote-tmp"),
        ANSIBLE_NOCOLOR="1",
        KHA_FAKE_KUBEADM=str(fake),
        KHA_TEST_ROOT=str(tmp / "nodes"),
        KHA_FIXTURES=str(FIXTURES),
        FAKE_KUBEADM_DIR=str(state),
        FAKE_KUBEADM_FIXTURES=str(FIXTURES),
        FAKE_KUBEADM_TOKEN=NEW_TOKEN,
    )
    # the fake's init prints FAKE_KUBEADM_TOKEN; give init its own token so both secrets are tracked
    env["FAKE_KUBEADM_TOKEN"] = INIT_TOKEN
    (state / "tokens.json").write_text("[]")
    ansible_playbook = Path(sys.executable).with_name("ansible-playbook")
    proc = subprocess.run(
        [
            str(ansible_playbook),
            "-vvvv",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
            str(tmp / "play.yml"),
        ],
        env=env,
        cwd=str(tmp),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    calls = [json.loads(line) for line in (state / "calls.jsonl").read_text().splitlines()]
    return {
        "rc": proc.returncode,
        "output": proc.stdout + proc.stderr,
        "log": (tmp / "ansible.log").read_text(),
        "calls": calls,
    }


def test_playbook_succeeds(playbook_run):
    assert playbook_run["rc"] == 0, playbook_run["output"][-3000:]


@pytest.mark.parametrize("channel", ["output", "log"])
def test_no_secret_in_any_log(playbook_run, channel):
    text = playbook_run[channel]
    assert "PLAY RECAP" in text  # the channel really holds the run
    for secret in SECRETS:
        assert secret not in text, "secret leaked into the %s" % channel


def test_secret_results_are_censored(playbook_run):
    text = playbook_run["output"]
    assert text.count("the output has been hidden due to the fact that 'no_log: true'") >= 3  # init, info, set_fact


def test_registered_secrets_are_usable(playbook_run):
    text = playbook_run["output"]
    # a valid token is the same for init (the fake's first token) and join_info (reused, it has the join usages)
    assert "REVERSED %s %s %s" % (INIT_TOKEN[::-1], KEY[::-1], INIT_TOKEN[::-1]) in text
    joins = [call for call in playbook_run["calls"] if call[:1] == ["join"]]
    assert joins == [
        ["join", "10.0.0.10:6443", "--token", INIT_TOKEN, "--discovery-token-ca-cert-hash",
         "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3", "--control-plane",
         "--certificate-key", KEY],
    ]  # fmt: skip


def test_join_result_masks_its_no_log_options(playbook_run):
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in playbook_run["output"]


def test_failures_are_visible_without_secrets(playbook_run):
    text = playbook_run["output"]
    assert "'kubeadm init --config /etc/kubernetes/kubeadm-config.yaml' failed with exit code 1" in text
    assert "error execution phase init" in text
    assert "parse_kubeadm_output: expected a bootstrap token" in text
