"""Module test helpers: run a module's main() in-process against the fake kubeadm (a test double)."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args

FAKE = Path(__file__).resolve().parent / "fake_kubeadm.py"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kubeadm"
TOKEN = "abcdef.0123456789abcdef"
KEY = "e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204"
HASH = "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"
JOIN_GROUP = "system:bootstrappers:kubeadm:default-node-token"


@dataclass
class FakeKubeadm:
    """The fake kubeadm of one test: its executable, state directory and fake /etc/kubernetes."""

    binary: str
    state: Path
    etc: Path

    def calls(self) -> list[list[str]]:
        log = self.state / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def commands(self) -> list[str]:
        """Each call as its sub-command words (up to the first flag), e.g. 'token create'."""
        result = []
        for call in self.calls():
            words = []
            for word in call:
                if word.startswith("-"):
                    break
                words.append(word)
            result.append(" ".join(words))
        return result

    def seed_tokens(self, tokens: list[dict]) -> None:
        (self.state / "tokens.json").write_text(json.dumps(tokens))

    def make_cluster(self) -> None:
        """The files of an initialised control-plane node."""
        (self.etc / "manifests").mkdir(parents=True, exist_ok=True)
        (self.etc / "pki").mkdir(parents=True, exist_ok=True)
        (self.etc / "admin.conf").write_text(
            "apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.10:6443\n"
        )
        (self.etc / "kubelet.conf").write_text("fake\n")
        (self.etc / "manifests" / "kube-apiserver.yaml").write_text("fake\n")
        shutil.copy(FIXTURES / "pubkeypin_testCertPEM.crt", self.etc / "pki" / "ca.crt")


@pytest.fixture
def fake_kubeadm(tmp_path, monkeypatch) -> FakeKubeadm:
    state = tmp_path / "state"
    state.mkdir()
    wrapper = tmp_path / "bin" / "kubeadm"
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\n# TEST DOUBLE, see fake_kubeadm.py\nexec "%s" "%s" "$@"\n' % (sys.executable, FAKE))
    wrapper.chmod(0o755)
    for var in ("FAKE_KUBEADM_VERSION", "FAKE_KUBEADM_TOKEN", "FAKE_KUBEADM_KEY", "FAKE_KUBEADM_FAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FAKE_KUBEADM_DIR", str(state))
    monkeypatch.setenv("FAKE_KUBEADM_FIXTURES", str(FIXTURES))
    return FakeKubeadm(binary=str(wrapper), state=state, etc=state / "etc")


@dataclass
class ModuleRun:
    rc: int
    result: dict
    printed: str  # everything the module printed: what travels to the controller


@pytest.fixture
def run_module(capsys):
    def run(module, args: dict, check_mode: bool = False) -> ModuleRun:
        capsys.readouterr()
        with patch_module_args(dict(args, _ansible_check_mode=check_mode)), pytest.raises(SystemExit) as exit_info:
            module.main()
        printed = capsys.readouterr().out
        return ModuleRun(rc=exit_info.value.code or 0, result=json.loads(printed), printed=printed)

    return run


def assert_secret_free(text: str, *secrets: str) -> None:
    for secret in secrets or (TOKEN, KEY):
        assert secret not in text
        # the secret half of a token is what matters
        if "." in secret:
            assert secret.split(".")[1] not in text
