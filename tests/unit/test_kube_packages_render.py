"""Rendering tests of the kube_packages role: repository entries (apt and dnf), and the expressions that pin.

The lab runs the apt path against the real v1.20.2 packages (molecule/kube_packages). Not reachable there:
pkgs.k8s.io itself, mirrors, the dnf path (RHEL family). These tests render the role's templates and evaluate
the expressions of its task files with the role's own variables (RoleVars: see test_container_runtime_render),
on outputs captured from the real tools.
"""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from test_container_runtime_render import RoleVars

ROLE = Path(__file__).resolve().parents[2] / "roles" / "kube_packages"


def packages(family: str = "Debian", facts: dict | None = None, **overrides) -> RoleVars:
    """The kube_packages role's variables, asking for 1.30.6 unless told otherwise."""
    overrides.setdefault("kube_packages_version", "1.30.6")
    return RoleVars(ROLE, family, facts, **overrides)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# --- repositories ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("base", "repo"), [
    ("https://pkgs.k8s.io", "https://pkgs.k8s.io/core:/stable:/v1.30/deb/"),
    ("https://mirrors.example.internal/kubernetes-new/", "https://mirrors.example.internal/kubernetes-new/core:/stable:/v1.30/deb/"),
    ("http://172.30.0.2/apt", "http://172.30.0.2/apt/core:/stable:/v1.30/deb/"),  # the lab's layout
])
def test_apt_entry(base, repo):
    role = packages(kube_packages_repo_base_url=base)
    assert role["__kube_packages_repo_file"] == "/etc/apt/sources.list.d/kubernetes.list"
    assert role["__kube_packages_repo_key_url"] == repo + "Release.key"
    assert role["__kube_packages_repo_key_file"] == "/etc/apt/keyrings/kubernetes-apt-keyring.asc"
    assert _lines(role.render("kubernetes.list.j2")) == [
        f"deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] {repo} /"]


def test_the_minor_picks_the_repository():
    assert packages(kube_packages_version="1.20.2")["__kube_packages_repo_url"] == \
        "https://pkgs.k8s.io/core:/stable:/v1.20/deb/"
    assert packages(kube_packages_version="1.9.11")["__kube_packages_minor"] == "1.9"  # a string, never 1.9 the number


@pytest.mark.parametrize("hold", [True, False])
def test_dnf_repository(hold):
    role = packages("RedHat", {"distribution": "Rocky", "distribution_major_version": "9"},
                    kube_packages_repo_base_url="https://mirrors.example.internal/kubernetes-new",
                    kube_packages_hold=hold)
    assert role["__kube_packages_repo_file"] == "/etc/yum.repos.d/kubernetes.repo"
    repo = configparser.ConfigParser(interpolation=None)
    repo.read_string(role.render("kubernetes.repo.j2"))
    section = repo["kubernetes"]
    assert section["baseurl"] == "https://mirrors.example.internal/kubernetes-new/core:/stable:/v1.30/rpm/"
    assert section["gpgkey"] == "https://mirrors.example.internal/kubernetes-new/core:/stable:/v1.30/rpm/repodata/repomd.xml.key"
    assert section["gpgcheck"] == "1" and section["enabled"] == "1"
    if hold:
        assert section["exclude"].split() == ["kubelet", "kubeadm", "kubectl", "cri-tools", "kubernetes-cni"]
    else:
        assert "exclude" not in section


@pytest.mark.parametrize(("revision", "names"), [
    ("", ["kubelet-1.30.6", "kubeadm-1.30.6", "kubectl-1.30.6"]),
    ("150500.1.1", ["kubelet-1.30.6-150500.1.1", "kubeadm-1.30.6-150500.1.1", "kubectl-1.30.6-150500.1.1"]),
])
def test_dnf_package_specs(revision, names):
    role = packages("RedHat", {"distribution": "Rocky"}, kube_packages_revision=revision, omit=None)
    install = role.task("install-RedHat.yml", "Install the packages at the pinned version")["ansible.builtin.dnf"]
    assert role.expr(install["name"]) == names
    assert role.expr(install["disable_excludes"]) == "kubernetes"


# --- resolving the exact version (apt) -----------------------------------------------------------------------
# `apt-cache madison kubelet kubeadm kubectl` on kp-trixie of the lab (the Debian archive's own kubectl shows up)
# and on a host with pkgs.k8s.io's v1.30 repository (several revisions of one version).
MADISON_LAB = """\
   kubelet | 1.20.2-1.1 | http://172.30.0.2/apt/core:/stable:/v1.20/deb  Packages
   kubeadm | 1.20.2-1.1 | http://172.30.0.2/apt/core:/stable:/v1.20/deb  Packages
   kubectl | 1.32.3+ds-2 | http://deb.debian.org/debian trixie/main amd64 Packages
   kubectl | 1.20.2-1.1 | http://172.30.0.2/apt/core:/stable:/v1.20/deb  Packages
"""
MADISON_UPSTREAM = """\
   kubelet | 1.30.7-1.1 | https://pkgs.k8s.io/core:/stable:/v1.30/deb  Packages
   kubelet | 1.30.6-1.2 | https://pkgs.k8s.io/core:/stable:/v1.30/deb  Packages
   kubelet | 1.30.6-1.1 | https://pkgs.k8s.io/core:/stable:/v1.30/deb  Packages
   kubelet | 1.30.16-1.1 | https://pkgs.k8s.io/core:/stable:/v1.30/deb  Packages
"""


def _resolve(role: RoleVars, madison: str) -> dict:
    """What the role's loop of set_fact builds, package by package."""
    step = role.task("resolve-Debian.yml", "Resolve the exact package versions")
    result: dict = {}
    for name in role["kube_packages_names"]:
        local = RoleVars(role.role, **{**role.raw, "item": name, "__kube_packages_resolved": result,
                                       "__kube_packages_madison": {"stdout_lines": madison.splitlines()},
                                       **step["vars"]})
        result = local.expr(step["ansible.builtin.set_fact"]["__kube_packages_resolved"])
    return result


def test_resolution_in_the_lab_skips_debians_kubectl():
    resolved = _resolve(packages(kube_packages_version="1.20.2"), MADISON_LAB)
    assert resolved == {"kubelet": "1.20.2-1.1", "kubeadm": "1.20.2-1.1", "kubectl": "1.20.2-1.1"}


@pytest.mark.parametrize(("revision", "kubelet"), [("", "1.30.6-1.2"), ("1.1", "1.30.6-1.1"), ("9.9", "")])
def test_resolution_takes_the_newest_revision_or_the_asked_one(revision, kubelet):
    resolved = _resolve(packages(kube_packages_revision=revision, kube_packages_names=["kubelet"]), MADISON_UPSTREAM)
    assert resolved == {"kubelet": kubelet}  # "" is reported by the next task with what is on offer


def test_nothing_on_offer_resolves_to_nothing():
    assert _resolve(packages(), "N: Unable to locate package kubelet\n") == {"kubelet": "", "kubeadm": "",
                                                                             "kubectl": ""}


def test_install_names_pin_the_resolved_versions():
    role = packages(__kube_packages_resolved={"kubelet": "1.30.6-1.2", "kubeadm": "1.30.6-1.2"})
    task = role.task("install-Debian.yml", "Install the packages at the pinned version")
    install = task["ansible.builtin.apt"]
    assert role.expr(install["name"]) == ["kubelet=1.30.6-1.2", "kubeadm=1.30.6-1.2"]


# --- installed versions and the refusals -------------------------------------------------------------------
# What node_probe returns (its own tests read dpkg-query's output): kubectl is not installed.
@pytest.mark.parametrize(("family", "probe", "installed", "held"), [
    ("Debian", {"packages": {"kubelet": "1.20.2-1.1", "kubeadm": "1.20.2-1.1", "kubectl": None},
                "held_packages": ["kubelet"]},
     {"kubelet": "1.20.2-1.1", "kubeadm": "1.20.2-1.1"}, ["kubelet"]),
    ("RedHat", {"packages": {"kubelet": "1.30.6-150500.1.1", "kubeadm": "1.30.6-150500.1.1", "kubectl": None},
                "held_packages": []},
     {"kubelet": "1.30.6-150500.1.1", "kubeadm": "1.30.6-150500.1.1"}, []),
    ("Debian", {"packages": {"kubelet": None, "kubeadm": None, "kubectl": None}, "held_packages": []}, {}, []),
])
def test_installed_versions_are_read(family, probe, installed, held):
    role = packages(family, __kube_packages_probe=probe)
    assert role.expr("{{ __kube_packages_installed }}") == installed
    assert role.expr("{{ __kube_packages_held }}") == held


def _check(role: RoleVars, name: str) -> tuple[bool, str]:
    step = role.task("preflight.yml", name)
    scoped = RoleVars(role.role, **{**role.raw, **step.get("vars", {})})
    passed = all(scoped.expr("{{ " + condition + " }}") for condition in step["ansible.builtin.assert"]["that"])
    return passed, " ".join(str(scoped.expr(step["ansible.builtin.assert"]["fail_msg"])).split())


@pytest.mark.parametrize(("version", "upgrade", "passes"), [
    ("1.20.2", False, True),   # what is installed
    ("1.20.3", False, False),  # an upgrade nobody asked for
    ("1.20.3", True, True),
    ("1.21.0", True, True),
])
def test_installed_version_must_match_unless_upgrading(version, upgrade, passes):
    role = packages(kube_packages_version=version, kube_packages_upgrade=upgrade,
                    __kube_packages_installed={"kubelet": "1.20.2-1.1", "kubeadm": "1.20.2-1.1"})
    passed, message = _check(role, "Check the installed versions against the requested one")
    assert passed is passes
    if not passes:
        assert message.startswith('kubelet, kubeadm installed at {"kubelet": "1.20.2-1.1"')
        assert "kube_packages_upgrade: true" in message


@pytest.mark.parametrize(("version", "passes", "message"), [
    ("1.21.9", True, None),
    ("1.20.2", True, None),
    ("1.20.1", False, "Refusing to downgrade"),
    ("1.22.0", False, "one minor version at a time (first to the newest 1.21.x)"),
])
def test_upgrades_go_up_one_minor_at_most(version, passes, message):
    role = packages(kube_packages_version=version, kube_packages_upgrade=True,
                    __kube_packages_installed={"kubelet": "1.20.2-1.1", "kubectl": "1:1.20.2-00"})
    passed, text = _check(role, "Check the installed versions against the requested one")
    assert passed is passes
    if message:
        assert message in text


def test_version_skew_names_every_host():
    hostvars = {"cp1": {"__kube_packages_requested": "1.30.6"}, "cp2": {"__kube_packages_requested": "1.30.6"},
                "w1": {"__kube_packages_requested": "1.30.5"}}
    role = packages(ansible_play_batch=list(hostvars), hostvars=hostvars)
    passed, message = _check(role, "Check that every host of the play asks for the same version")
    assert not passed
    assert '{"cp1": "1.30.6", "cp2": "1.30.6", "w1": "1.30.5"}' in message
    same = packages(ansible_play_batch=["cp1", "cp2"], hostvars=hostvars)
    assert _check(same, "Check that every host of the play asks for the same version")[0]


# --- whether the install step runs at all (main.yml includes it only where the packages are not current) --------
HELD_ALL = {"packages": {"kubelet": "1.30.6-1.1", "kubeadm": "1.30.6-1.1", "kubectl": "1.30.6-1.1"},
            "held_packages": ["kubelet", "kubeadm", "kubectl"]}


@pytest.mark.parametrize(("probe", "extra", "current"), [
    (HELD_ALL, {}, True),
    ({**HELD_ALL, "held_packages": ["kubelet", "kubeadm"]}, {}, False),  # kubectl not held
    ({**HELD_ALL, "packages": {**HELD_ALL["packages"], "kubeadm": "1.30.5-1.1"}}, {}, False),  # another version
    ({**HELD_ALL, "packages": {**HELD_ALL["packages"], "kubectl": None}}, {}, False),  # missing
    (HELD_ALL, {"kube_packages_revision": "1.2"}, False),  # another revision asked for
    (HELD_ALL, {"kube_packages_hold": False}, False),  # held, and asked not to be
    (HELD_ALL, {"__kube_packages_repo": {"changed": True}}, False),  # the repository changed
])
def test_packages_are_current_only_when_installed_at_the_version_and_held_as_asked(probe, extra, current):
    role = packages(__kube_packages_probe=probe, **extra)
    assert role.expr("{{ __kube_packages_current }}") is current
