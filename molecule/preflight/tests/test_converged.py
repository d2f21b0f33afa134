"""The converged hosts: what the preflight role changed on every lab node (testinfra, once per node)."""

from __future__ import annotations

import pytest

SWAP_LINES = (
    "UUID=0a3407de-014b-458b-b5c1-848e92a327a3 none swap sw 0 0",
    "/kha-no-such-swapfile none swap sw,pri=5 0 0",
)


def test_swap_entries_commented_out_other_mounts_kept(host):
    lines = host.file("/etc/fstab").content_string.splitlines()
    for entry in SWAP_LINES:
        assert f"# {entry}" in lines
        assert entry not in lines
    assert "tmpfs /mnt/kha-scratch tmpfs noauto,size=1m 0 0" in lines
    assert "# # " not in "\n".join(lines), "a swap entry was commented out twice"


def test_no_swap_active(host):
    assert host.file("/proc/swaps").content_string.splitlines()[1:] == []


def test_modules_load_file(host):
    f = host.file("/etc/modules-load.d/k8s.conf")
    assert f.user == "root" and f.mode == 0o644
    lines = [line for line in f.content_string.splitlines() if not line.startswith("#")]
    assert lines == ["br_netfilter", "overlay"]


def test_kernel_modules_active(host):
    # Built into the lab's kernel (no /lib/modules in a node): their own files in /proc prove them active.
    assert host.file("/proc/sys/net/bridge/bridge-nf-call-iptables").exists
    assert "overlay" in host.file("/proc/filesystems").content_string.split()


@pytest.mark.parametrize(
    "key", ["net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.ipv4.ip_forward"]
)
def test_sysctl_persisted_and_set(host, key):
    f = host.file("/etc/sysctl.d/k8s.conf")
    assert f.user == "root" and f.mode == 0o644
    assert f"{key} = 1" in f.content_string.splitlines()
    # prepare.yml set net.ipv4.ip_forward to 0: the role set it back at run time.
    assert host.sysctl(key) == 1


def test_firewall_opened_where_one_runs(host):
    name = host.backend.get_hostname()
    if name == "cp1":
        status = host.check_output("ufw status")
        assert "Status: active" in status
        for rule in ("6443/tcp", "2379:2380/tcp", "10250/tcp", "10257/tcp", "10259/tcp", "30000:32767/tcp", "8472/udp"):
            assert rule in status, status
    elif name == "w2":
        assert host.check_output("firewall-cmd --state") == "running"
        ports = host.check_output("firewall-cmd --permanent --list-ports").split()
        assert sorted(ports) == ["10250/tcp", "30000-32767/tcp", "8472/udp"]
        assert sorted(host.check_output("firewall-cmd --list-ports").split()) == sorted(ports)
        assert "6443/tcp" not in ports  # a worker: no control-plane port
    else:
        assert not host.exists("ufw") and not host.exists("firewall-cmd")


def test_w2_runs_trixie(host):
    if host.backend.get_hostname() == "w2":
        assert host.system_info.codename == "trixie"
