"""The pure check logic of the preflight role, through its filters (plugins/filter/preflight_*.py).

Each bad input of the role's catalogue has a case here; the Molecule scenario `preflight` proves the same
inputs end to end on lab nodes (molecule/preflight/tests/test_bad_inputs.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.filter import (
    preflight_host_summary,
    preflight_inventory_report,
    preflight_port_report,
)
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._preflight_filter import PreflightInputError

# the filters as Ansible loads them, one plugin file each
host_summary = preflight_host_summary.FilterModule().filters()["preflight_host_summary"]
inventory_report = preflight_inventory_report.FilterModule().filters()["preflight_inventory_report"]
port_report = preflight_port_report.FilterModule().filters()["preflight_port_report"]

SUPPORTED = [f"1.{m}" for m in range(20, 35)]


def lab_facts(name: str, ip: str, mac: str, uuid: str = "NA", **extra) -> dict:
    """Facts shaped like those gathered on a lab node (gather_subset min, hardware, network)."""
    facts = {
        "nodename": name,
        "hostname": name.split(".")[0],
        "product_uuid": uuid,
        "interfaces": ["lo", "eth0"],
        "default_ipv4": {"address": ip, "alias": "eth0", "interface": "eth0", "netmask": "255.255.0.0"},
        "lo": {"device": "lo", "ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}, "macaddress": None},
        "eth0": {
            "device": "eth0",
            "macaddress": mac,
            "ipv4": {"address": ip, "netmask": "255.255.0.0", "network": "172.30.0.0", "prefix": "16"},
            "ipv6": [{"address": "fe80::42:acff:fe1e:30b", "prefix": "64", "scope": "link"}],
        },
    }
    facts.update(extra)
    return facts


def summaries(**overrides) -> dict:
    hosts = {
        "cp1": host_summary(lab_facts("kha-mol-preflight-cp1", "172.30.3.11", "02:42:ac:1e:03:0b")),
        "w1": host_summary(lab_facts("kha-mol-preflight-w1", "172.30.3.21", "02:42:ac:1e:03:15")),
        "w2": host_summary(lab_facts("kha-mol-preflight-w2", "172.30.3.22", "02:42:ac:1e:03:16")),
    }
    hosts.update(overrides)
    return hosts


GOOD = {
    "control_plane": ["cp1"],
    "pod_subnet": "10.244.0.0/16",
    "service_subnet": "10.96.0.0/12",
    "api_vip": "172.30.3.10",
    "kubernetes_version": "1.20.2",
    "supported_versions": SUPPORTED,
}


def report(hosts=None, **kwargs) -> dict:
    args = {**GOOD, **kwargs}
    return inventory_report(summaries() if hosts is None else hosts, **args)


def one_error(result: dict) -> str:
    assert len(result["errors"]) == 1, result["errors"]
    return result["errors"][0]


# --------------------------------------------------------------------------------------------------------
# preflight_host_summary
# --------------------------------------------------------------------------------------------------------
def test_summary_of_a_lab_node():
    s = host_summary(lab_facts("KHA-Node1", "172.30.3.11", "02:42:AC:1E:03:0B"))
    assert s == {
        "name": "kha-node1",
        "node_ip": "172.30.3.11",
        "node_networks": ["172.30.0.0/16"],
        "addresses": ["172.30.3.11"],
        "macs": {"eth0": "02:42:ac:1e:03:0b"},
        "networks": {"eth0": ["172.30.3.11/16"]},
        "product_uuid": None,
    }


def test_summary_overrides_and_interface_names_with_dashes():
    facts = lab_facts("node1", "172.30.3.11", "02:42:ac:1e:03:0b", uuid="4C4C4544-0042-4C10-8051-B4C04F4E4B32")
    facts["interfaces"] += ["kha-dup0", "cni0", "kube-ipvs0"]
    facts["kha_dup0"] = {
        "macaddress": "02:00:00:00:00:01",
        "ipv4": {"address": "192.0.2.1", "netmask": "255.255.255.0"},
    }
    facts["cni0"] = {"macaddress": "0a:58:0a:f4:00:01", "ipv4": {"address": "10.244.0.1", "netmask": "255.255.255.0"}}
    facts["kube_ipvs0"] = {
        "macaddress": "ee:11:22:33:44:55",
        "ipv4": {"address": "10.96.0.1", "netmask": "255.255.255.255"},
    }
    s = host_summary(facts, node_name="Custom-Name", node_ip="192.0.2.1")
    assert s["name"] == "custom-name"
    assert s["node_ip"] == "192.0.2.1"
    assert s["node_networks"] == ["192.0.2.0/24"]
    assert s["macs"] == {"eth0": "02:42:ac:1e:03:0b", "kha-dup0": "02:00:00:00:00:01"}  # cni0, kube-ipvs0 ignored
    assert set(s["networks"]) == {"eth0", "kha-dup0"}
    assert s["product_uuid"] == "4c4c4544-0042-4c10-8051-b4c04f4e4b32"


def test_summary_secondary_addresses_and_global_ipv6():
    facts = lab_facts("node1", "172.30.3.11", "02:42:ac:1e:03:0b")
    facts["eth0"]["ipv4_secondaries"] = [{"address": "172.30.3.10", "netmask": "255.255.255.255"}]
    facts["eth0"]["ipv6"].append({"address": "fd00:30::11", "prefix": "64", "scope": "global"})
    s = host_summary(facts)
    assert s["networks"]["eth0"] == ["172.30.3.11/16", "172.30.3.10/32", "fd00:30::11/64"]
    assert s["node_networks"] == ["172.30.0.0/16"]


@pytest.mark.parametrize("uuid", ["NA", "", None, "00000000-0000-0000-0000-000000000000", "Not Settable"])
def test_summary_unavailable_product_uuid_is_none(uuid):
    assert host_summary(lab_facts("n", "10.0.0.1", "02:00:00:00:00:09", uuid=uuid))["product_uuid"] is None


def test_summary_rejects_bad_inputs():
    with pytest.raises(PreflightInputError, match="expects ansible_facts"):
        host_summary(["not", "facts"])
    with pytest.raises(PreflightInputError, match="not a regular expression"):
        host_summary({}, ignore_interfaces="(")


# --------------------------------------------------------------------------------------------------------
# preflight_inventory_report: the good inventory and the catalogue of bad inputs
# --------------------------------------------------------------------------------------------------------
def test_good_inventory_passes_with_the_lab_warning_only():
    result = report()
    assert result["errors"] == []
    assert result["warnings"] == [
        "product_uuid is unavailable on cp1, w1, w2 (no readable /sys/class/dmi/id/product_uuid, as in containers and "
        "some VMs): its uniqueness was not checked there"
    ]


def test_pod_and_service_subnet_overlap():
    msg = one_error(report(pod_subnet="10.96.0.0/16"))
    assert msg == (
        "preflight_pod_subnet 10.96.0.0/16 and preflight_service_subnet 10.96.0.0/12 overlap: use disjoint networks"
    )


def test_pod_subnet_overlaps_node_network_names_every_host():
    msg = one_error(report(pod_subnet="172.30.128.0/17"))
    assert msg.startswith("preflight_pod_subnet 172.30.128.0/17 overlaps the node network 172.30.0.0/16 of ")
    assert "cp1 (eth0), w1 (eth0), w2 (eth0)" in msg


def test_service_subnet_overlaps_node_network():
    msg = one_error(report(service_subnet="172.30.0.0/24"))
    assert "preflight_service_subnet 172.30.0.0/24 overlaps the node network 172.30.0.0/16" in msg


def test_dual_stack_subnets_are_checked_per_family():
    assert report(pod_subnet="10.244.0.0/16,fd00:10::/56", service_subnet="10.96.0.0/12,fd00:20::/108")["errors"] == []
    msg = one_error(report(pod_subnet="10.244.0.0/16,fd00:10::/56", service_subnet="10.96.0.0/12,fd00:10::/108"))
    assert "fd00:10::/56" in msg and "fd00:10::/108" in msg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.244.1.0/16", "preflight_pod_subnet 10.244.1.0/16 has host bits set: did you mean 10.244.0.0/16?"),
        ("10.244.0.0/33", "preflight_pod_subnet '10.244.0.0/33' is not a network in CIDR notation"),
        ("banana", "preflight_pod_subnet 'banana' is not a network in CIDR notation"),
    ],
)
def test_malformed_pod_subnet(value, expected):
    assert one_error(report(pod_subnet=value)).startswith(expected)


def test_vip_outside_the_control_plane_subnet():
    msg = one_error(report(api_vip="192.168.99.10"))
    assert msg == (
        "preflight_api_vip 192.168.99.10 is outside the node network of control-plane node(s) cp1 (172.30.0.0/16): "
        "the VIP moves between control-plane nodes, so it must be in their subnet"
    )


def test_vip_equal_to_a_node_address():
    msg = one_error(report(api_vip="172.30.3.21"))
    assert msg == "preflight_api_vip 172.30.3.21 is the address of node w1: the VIP must be a free address"


def test_vip_inside_the_service_subnet_and_malformed_vip():
    assert "lies inside preflight_service_subnet 10.96.0.0/12" in report(api_vip="10.96.0.10")["errors"][0]
    assert one_error(report(api_vip="172.30.3.300")) == "preflight_api_vip '172.30.3.300' is not an IP address"


def test_vip_on_a_node_that_holds_it_already_is_fine():
    # On a re-run keepalived holds the VIP as a secondary address of one control-plane node.
    facts = lab_facts("kha-mol-preflight-cp1", "172.30.3.11", "02:42:ac:1e:03:0b")
    facts["eth0"]["ipv4_secondaries"] = [{"address": "172.30.3.10", "netmask": "255.255.255.255"}]
    assert report(summaries(cp1=host_summary(facts)))["errors"] == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "1.19.3",
            "preflight_kubernetes_version 1.19.3 is not supported: its release series 1.19 is not in "
            "preflight_supported_versions (1.20, 1.21, 1.22",
        ),
        ("1.30", "preflight_kubernetes_version '1.30' is not a Kubernetes release (expected MAJOR.MINOR.PATCH"),
        ("latest", "preflight_kubernetes_version 'latest' is not a Kubernetes release"),
    ],
)
def test_unsupported_or_malformed_version(version, expected):
    assert one_error(report(kubernetes_version=version)).startswith(expected)


@pytest.mark.parametrize("version", ["1.20.2", "v1.30.6", "1.34.0-rc.1"])
def test_supported_versions(version):
    assert report(kubernetes_version=version)["errors"] == []


def test_supported_versions_must_be_release_series():
    with pytest.raises(PreflightInputError, match=r"'1\.30\.1' is not a release series"):
        report(supported_versions=["1.30.1"])


def test_duplicate_hostname():
    dup = host_summary(lab_facts("KHA-MOL-PREFLIGHT-CP1", "172.30.3.22", "02:42:ac:1e:03:16"))
    msg = one_error(report(summaries(w2=dup)))
    assert msg.startswith("node name 'kha-mol-preflight-cp1' is used by cp1, w2: Kubernetes names each node")


def test_duplicate_mac_on_two_hosts_but_not_twice_on_one():
    facts = lab_facts("kha-mol-preflight-w2", "172.30.3.22", "02:42:ac:1e:03:0b")
    msg = one_error(report(summaries(w2=host_summary(facts))))
    assert msg.startswith("MAC address 02:42:ac:1e:03:0b is on cp1 (eth0), w2 (eth0)")
    # A bond and its slaves share a MAC on one host: not a duplicate across nodes.
    bonded = lab_facts("kha-mol-preflight-w2", "172.30.3.22", "02:42:ac:1e:03:16")
    bonded["interfaces"].append("eth1")
    bonded["eth1"] = {"macaddress": "02:42:ac:1e:03:16"}
    assert report(summaries(w2=host_summary(bonded)))["errors"] == []


def test_duplicate_product_uuid_and_partial_availability():
    uuid = "4c4c4544-0042-4c10-8051-b4c04f4e4b32"
    hosts = summaries(
        cp1=host_summary(lab_facts("cp1", "172.30.3.11", "02:42:ac:1e:03:0b", uuid=uuid)),
        w1=host_summary(lab_facts("w1", "172.30.3.21", "02:42:ac:1e:03:15", uuid=uuid.upper())),
    )
    result = report(hosts)
    assert one_error(result).startswith(f"product_uuid {uuid} is shared by cp1, w1")
    assert result["warnings"][0].startswith("product_uuid is unavailable on w2 ")


@pytest.mark.parametrize(("count", "warned"), [(1, False), (2, True), (3, False), (4, True)])
def test_even_control_plane_count_warns(count, warned):
    hosts = {
        f"cp{i}": host_summary(lab_facts(f"cp{i}", f"172.30.3.{i + 1}", f"02:42:ac:1e:03:0{i}")) for i in range(count)
    }
    result = report(hosts, control_plane=list(hosts))
    assert result["errors"] == []
    even = [w for w in result["warnings"] if "control-plane nodes" in w]
    assert bool(even) == warned
    if warned:
        assert even[0].startswith(f"{count} control-plane nodes (cp0, cp1")


def test_empty_inputs_skip_their_checks_and_unchecked_hosts_warn():
    result = inventory_report(summaries(), unchecked=["w9"])
    assert result["errors"] == []
    assert result["warnings"][-1] == (
        "no facts from w9 (unreachable?): uniqueness and network checks did not include them"
    )


def test_several_problems_are_all_reported():
    result = report(pod_subnet="10.96.0.0/16", api_vip="192.168.99.10", kubernetes_version="1.19.3")
    assert len(result["errors"]) == 3


# --------------------------------------------------------------------------------------------------------
# preflight_port_report
# --------------------------------------------------------------------------------------------------------
CP_PORTS = ("6443", "2379-2380", "10250", "10257", "10259")
KUBE = ["kube-apiserver", "etcd", "kubelet", "kube-controller-manager", "kube-scheduler", "kube-proxy"]


def sock(port, name="", pid="", address="0.0.0.0"):
    return {"port": port, "name": name, "pid": pid, "address": address, "protocol": "tcp"}


def ports(listening, required=CP_PORTS, **kwargs):
    kwargs.setdefault("nodeport_range", "30000-32767")
    kwargs.setdefault("kubernetes_processes", KUBE)
    return port_report(listening, required, **kwargs)


def test_free_ports_pass():
    assert ports([sock(22, "sshd", 1), sock(33491, "dockerd", 9, "127.0.0.11")]) == {
        "errors": [],
        "warnings": [],
        "kubernetes": [],
    }


def test_port_bound_by_another_process_fails_and_names_it():
    result = ports([sock(10250, "python3", 4242), sock(10250, "python3", 4242, "::")])
    assert result["errors"] == [
        "port 10250/tcp is already in use by python3 (pid 4242) on 0.0.0.0; kubelet needs it: stop that process or "
        "free the port"
    ]


def test_port_inside_a_range_and_unidentified_process():
    result = ports([sock(2380, address="127.0.0.1")])
    assert result["errors"] == [
        "port 2380/tcp is already in use by an unidentified process on 127.0.0.1; etcd (peers) needs it: stop that "
        "process or free the port"
    ]


def test_ports_held_by_kubernetes_are_fine_including_truncated_names():
    listening = [
        sock(6443, "kube-apiserver", 10),
        sock(2379, "etcd", 11, "127.0.0.1"),
        sock(2380, "etcd", 11),
        sock(10250, "kubelet", 12),
        sock(10257, "kube-controller", 13, "127.0.0.1"),  # comm is cut at 15 characters
        sock(10259, "kube-scheduler", 14, "127.0.0.1"),
        sock(30080, "kube-proxy", 15),
    ]
    result = ports(listening)
    assert result["errors"] == [] and result["warnings"] == []
    assert result["kubernetes"][0] == "2379/tcp (etcd)"
    assert len(result["kubernetes"]) == 6


def test_installed_node_downgrades_foreign_holders_to_warnings():
    result = ports([sock(10250, "", "")], ["10250"], installed=True)
    assert result["errors"] == []
    assert result["warnings"] == [
        "port 10250/tcp (kubelet) is held by an unidentified process on 0.0.0.0, and this node is already installed: "
        "check that it is the Kubernetes component"
    ]


def test_nodeport_range_listener_warns():
    result = ports([sock(30080, "nginx", 77)], ["10250"])
    assert result["errors"] == []
    assert result["warnings"] == [
        "nginx (pid 77) listens on 0.0.0.0:30080, inside the NodePort range 30000-32767: a NodePort service given that "
        "port would collide with it"
    ]


def test_worker_does_not_need_control_plane_ports():
    assert ports([sock(6443, "haproxy", 5)], ["10250"])["errors"] == []


SS_LINES = [
    'LISTEN 0      4096       127.0.0.1:2379       0.0.0.0:*    users:(("etcd",pid=1234,fd=7))',
    'LISTEN 0      4096               *:6443             *:*    users:(("kube-apiserver",pid=999,fd=3))',
    'LISTEN 0 128 [::]:10250 [::]:* users:(("python3",pid=42,fd=4),("python3",pid=43,fd=4))',
    "LISTEN 0      4096      127.0.0.11:38073      0.0.0.0:*",
    "LISTEN 0      4096  [fe80::1]%eth0:2380          [::]:*",
    "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
]


def test_lines_of_ss_are_read_like_listen_ports_facts():
    result = ports(SS_LINES)
    assert result["kubernetes"] == ["2379/tcp (etcd)", "6443/tcp (kube-apiserver)"]
    assert result["errors"] == [
        "port 2380/tcp is already in use by an unidentified process on fe80::1; etcd (peers) needs it: stop that "
        "process or free the port",
        "port 10250/tcp is already in use by python3 (pid 42) on ::; kubelet needs it: stop that process or free "
        "the port",
    ]


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_the_real_ss_output_names_a_process_holding_a_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        lines = subprocess.run(["ss", "-Htlnp"], check=True, capture_output=True, text=True).stdout.splitlines()
        result = ports(lines, [str(port)])
    assert any(
        f"port {port}/tcp is already in use by " in error and f"(pid {os.getpid()})" in error
        for error in result["errors"]
    ), result


@pytest.mark.parametrize("bad", ["http", "0", "70000", "2380-2379"])
def test_bad_port_specs_are_input_errors(bad):
    with pytest.raises(PreflightInputError):
        ports([], [bad])


@pytest.mark.parametrize("plugin", [preflight_host_summary, preflight_inventory_report, preflight_port_report])
def test_each_filter_file_registers_its_filter(plugin):
    name = plugin.__name__.rpartition(".")[2]
    assert plugin.FilterModule().filters() == {name: getattr(plugin, name)}
