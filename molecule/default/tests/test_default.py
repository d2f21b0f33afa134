"""Plumbing checks for the default scenario: the nodes are real systemd hosts that converge ran on."""

import pytest


def test_systemd_is_pid1_and_running(host):
    assert host.process.get(pid=1).comm == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in {"running", "degraded"}, state


def test_marker_written_by_converge(host):
    marker = host.file("/etc/kha-molecule-default")
    assert marker.exists
    assert marker.mode == 0o644
    name = host.backend.get_hostname()
    assert marker.content_string.startswith(f"{name} Debian")


def test_package_installed_from_apt(host):
    assert host.package("jq").is_installed
    assert host.run("jq -n 1+1").stdout.strip() == "2"


def test_proc_sys_writable(host):
    # Kubelet and the preflight role write sysctls: lab nodes get a writable /proc/sys (labctl passes
    # systempaths=unconfined; lab/image/kha-lab-node-init remounts it read-write otherwise).
    ro_mounts = [line.split()[1] for line in host.file("/proc/mounts").content_string.splitlines() if " ro," in line]
    assert "/proc/sys" not in ro_mounts
    assert host.run("sysctl -w net.ipv4.ip_forward=1").rc == 0
    assert host.file("/proc/sys/net/ipv4/ip_forward").content_string.strip() == "1"


@pytest.mark.parametrize("path", ["/proc/sys/net/bridge/bridge-nf-call-iptables", "/dev/kmsg"])
def test_kubelet_prerequisites_present(host, path):
    assert host.file(path).exists


def test_lab_registry_and_apt_repo_answer(host):
    assert host.run("curl -fsS http://172.30.0.2:5000/v2/").rc == 0
    assert host.run("curl -fsS http://172.30.0.2/apt/kha-lab.asc").stdout.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
