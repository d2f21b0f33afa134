"""The front door (module_utils/_cluster_inputs.py, behind the cluster_facts action plugin).

Every case starts from the shipped example, inventories/prod, copied as a user would use it (vault.yml made from
vault.yml.example), loaded with Ansible's own inventory and variable managers and templated through HostVars exactly
as the action plugin reads it, with facts shaped like those gathered on its hosts (one network 10.20.0.0/24, the
default route on it). Each bad input is ONE change to that example and must be rejected with a message naming the
variable (or group) and, for per-host problems, the host. The valid variants must pass.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_inputs import (
    INPUTS,
    check_inventory,
    cri_socket,
    kubeadm_api_version,
    kubeadm_cri_socket,
    version_minor,
)
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._inventory_vars import host_facts, host_inputs

ROOT = Path(__file__).resolve().parents[4]
PROD = ROOT / "inventories" / "prod"
CP = ["cp1.example.internal", "cp2.example.internal", "cp3.example.internal"]
WORKERS = ["worker1.example.internal", "worker2.example.internal", "worker3.example.internal"]


def facts_for(
    address: str,
    *,
    extra_interfaces: dict | None = None,
    default_interface: str = "eth0",
    ipv6: list[str] | None = None,
) -> dict[str, Any]:
    """Facts like `setup` gathers (subsets min, hardware, network) on a host with eth0 = address/24."""
    last = int(ipaddress.ip_address(address)) & 0xFF
    interfaces = {"eth0": {"address": address, "netmask": "255.255.255.0"}}
    interfaces.update(extra_interfaces or {})
    facts: dict[str, Any] = {"interfaces": ["lo", *interfaces], "all_ipv4_addresses": [], "all_ipv6_addresses": []}
    for n, (name, ipv4) in enumerate(interfaces.items()):
        facts[name] = {
            "device": name,
            "macaddress": f"52:54:00:{n:02x}:00:{last:02x}",
            "ipv4": {"address": ipv4["address"], "netmask": ipv4["netmask"]},
        }
        facts["all_ipv4_addresses"].append(ipv4["address"])
    for v6 in ipv6 or []:
        facts["eth0"]["ipv6"] = [{"address": v6, "prefix": "64", "scope": "global"}]
        facts["all_ipv6_addresses"].append(v6)
    default = interfaces[default_interface]
    facts["default_ipv4"] = {"address": default["address"], "interface": default_interface}
    facts["lo"] = {"device": "lo", "ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}}
    return facts


@dataclass
class Example:
    """inventories/prod as a user copies it, with one change applied."""

    root: Path
    facts: dict[str, dict | None] = field(default_factory=dict)
    extra_vars: list[str] = field(default_factory=list)  # names the "user" gives with -e

    @classmethod
    def copy(cls, tmp: Path) -> Example:
        dest = tmp / "prod"
        shutil.copytree(PROD, dest)
        shutil.copy(dest / "group_vars/all/vault.yml.example", dest / "group_vars/all/vault.yml")
        example = cls(dest)
        for host, address in example.addresses().items():
            example.facts[host] = facts_for(address)
        return example

    # -- changes ------------------------------------------------------------------------------------------------
    def hosts(self) -> dict:
        return yaml.safe_load((self.root / "hosts.yml").read_text())

    def write_hosts(self, data: dict) -> None:
        (self.root / "hosts.yml").write_text(yaml.safe_dump(data))

    def addresses(self) -> dict[str, str]:
        found: dict[str, str] = {}

        def walk(group: dict) -> None:
            for host, hvars in (group.get("hosts") or {}).items():
                found[host] = (hvars or {}).get("ansible_host", "")
            for child in (group.get("children") or {}).values():
                walk(child or {})

        walk(self.hosts()["all"])
        return found

    def set_vars(self, values: dict) -> None:
        """Change cluster-wide values (a file after cluster.yml in group_vars/all: these win)."""
        (self.root / "group_vars/all/zz-change.yml").write_text(yaml.safe_dump(values))

    def set_host_vars(self, host: str, values: dict) -> None:
        (self.root / "host_vars").mkdir(exist_ok=True)
        (self.root / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(values))

    def edit_cluster_yml(self, change: Callable[[str], str]) -> None:
        path = self.root / "group_vars/all/cluster.yml"
        path.write_text(change(path.read_text()))

    def edit_groups(self, change: Callable[[dict], None]) -> None:
        data = self.hosts()
        change(data["all"]["children"])
        self.write_hosts(data)

    def rename_host(self, old: str, new: str) -> None:
        text = (self.root / "hosts.yml").read_text().replace(old + ":", new + ":")
        (self.root / "hosts.yml").write_text(text)
        self.facts[new] = self.facts.pop(old)

    # -- run --------------------------------------------------------------------------------------------------
    def check(self, absent: list[str] | None = None):
        loader = DataLoader()
        inventory = InventoryManager(loader=loader, sources=[str(self.root)])
        manager = VariableManager(loader=loader, inventory=inventory)
        for host in inventory.get_hosts():
            facts = self.facts.get(host.name)
            if facts:
                manager.set_host_facts(host.name, facts)
        hostvars = HostVars(inventory=inventory, variable_manager=manager, loader=loader)
        groups = inventory.get_groups_dict()
        hosts = [h.name for h in inventory.get_hosts()]
        variables = {h: host_inputs(hostvars, h, skip=frozenset({"kha_cluster"})) for h in hosts}
        facts = {h: host_facts(hostvars, h) for h in hosts}
        return check_inventory(groups, variables, facts, extra_vars=self.extra_vars, absent=absent)


@pytest.fixture
def example(tmp_path: Path) -> Example:
    return Example.copy(tmp_path)


# ---------------------------------------------------------------------------------------------------------
# The example as shipped
# ---------------------------------------------------------------------------------------------------------
def test_the_prod_example_passes_and_derives_the_cluster_facts(example):
    report = example.check()
    assert report.errors == []
    assert report.warnings == []
    cluster = report.cluster
    assert cluster["kubernetes_version"] == INPUTS["kubernetes_version"].default
    assert cluster["kubernetes_minor"] == ".".join(INPUTS["kubernetes_version"].default.split(".")[:2])
    assert cluster["api_endpoint"] == "10.20.0.10:8443"
    assert cluster["cri_socket"] == "unix:///run/containerd/containerd.sock"
    assert cluster["control_plane"] == CP and cluster["workers"] == WORKERS
    assert cluster["first_control_plane"] == CP[0]
    assert cluster["lb_hosts"] == CP
    assert cluster["lb_backends"] == [
        {"name": h, "address": f"10.20.0.1{n}", "port": 6443} for n, h in enumerate(CP, start=1)
    ]
    assert cluster["hosts"]["worker2.example.internal"] == {
        "node_ip": "10.20.0.22",
        "node_ip_source": "default route",
        "kubelet_cgroup_root": "",
    }
    # every default, declared once
    for name, spec in INPUTS.items():
        if spec.scope == "cluster" and not spec.secret and not spec.required:
            assert cluster[name] == spec.default, name
    assert "vrrp_password" not in cluster
    assert "changeme" not in repr(cluster), "the VRRP password must never be returned"


def test_without_the_vault_file_the_password_is_reported_not_raised(example):
    (example.root / "group_vars/all/vault.yml").unlink()
    report = example.check()
    assert len(report.errors) == 1
    assert report.errors[0].startswith("kha_vrrp_password (every host): cannot be read:")
    assert "'vault_kha_vrrp_password' is undefined" in report.errors[0]
    assert "vault.yml" in report.errors[0]


# ---------------------------------------------------------------------------------------------------------
# The catalogue of bad inputs: (id, change, [patterns every one of which must be in some error])
# ---------------------------------------------------------------------------------------------------------
def v(**values):
    return lambda ex: ex.set_vars({f"kha_{k}": val for k, val in values.items()})


def hv(host, **values):
    return lambda ex: ex.set_host_vars(host, {f"kha_{k}": val for k, val in values.items()})


def vault(password):
    return lambda ex: (ex.root / "group_vars/all/vault.yml").write_text(
        yaml.safe_dump({"vault_kha_vrrp_password": password})
    )


def groups(change):
    return lambda ex: ex.edit_groups(change)


def control_plane(count):
    def change(children):
        cps = children["k8s_cluster"]["children"]["kube_control_plane"]["hosts"]
        for n in range(len(cps) + 1, count + 1):
            cps[f"cp{n}.example.internal"] = {"ansible_host": f"10.20.0.1{n}"}
        for name in list(cps)[count:]:
            del cps[name]

    def apply(ex):
        ex.edit_groups(change)
        for n in range(4, count + 1):
            ex.facts[f"cp{n}.example.internal"] = facts_for(f"10.20.0.1{n}")

    return apply


def facts(host, **kwargs):
    def apply(ex):
        ex.facts[host] = facts_for(ex.addresses()[host], **kwargs)

    return apply


def duplicate_address(ex):
    """A cloned VM: worker3 came up with worker2's address."""
    ex.facts[WORKERS[2]] = facts_for("10.20.0.22")


def no_default_route(host):
    def apply(ex):
        f = facts_for(ex.addresses()[host])
        del f["default_ipv4"]
        ex.facts[host] = f

    return apply


def missing_facts(host):
    def apply(ex):
        ex.facts[host] = None

    return apply


def both(*changes):
    def apply(ex):
        for change in changes:
            change(ex)

    return apply


def delete_from_cluster_yml(variable):
    return lambda ex: ex.edit_cluster_yml(lambda text: re.sub(rf"(?m)^{variable}:.*$", "", text))


W1 = WORKERS[0]
BAD = [
    # --- Kubernetes version
    (
        "version-without-patch",
        v(kubernetes_version="1.30"),
        [r"^kha_kubernetes_version \(every host\): '1\.30' is not a Kubernetes release"],
    ),
    ("version-as-float", v(kubernetes_version=1.3), [r"^kha_kubernetes_version .*'1\.3' is not a Kubernetes release"]),
    ("version-too-old", v(kubernetes_version="1.19.3"), [r"kha_kubernetes_version .*1\.19\.3 is not supported"]),
    (
        "version-too-new",
        v(kubernetes_version="1.35.0"),
        [r"kha_kubernetes_version .*release series 1\.35 is outside 1\.20-1\.34"],
    ),
    ("version-latest", v(kubernetes_version="latest"), [r"kha_kubernetes_version .*'latest'"]),
    ("version-is-a-list", v(kubernetes_version=["1.30.6"]), [r"kha_kubernetes_version .*is a list, expected a string"]),
    # --- package and image sources
    (
        "repo-url-without-scheme",
        v(kube_repo_base_url="pkgs.k8s.io"),
        [r"kha_kube_repo_base_url .*'pkgs\.k8s\.io' is not a URL with a scheme"],
    ),
    (
        "repo-url-ftp",
        v(kube_repo_base_url="ftp://mirror.example.internal"),
        [r"kha_kube_repo_base_url .*not a URL with a scheme \(http/https/file\)"],
    ),
    (
        "image-repository-with-scheme",
        v(image_repository="https://registry.k8s.io"),
        [r"kha_image_repository .*has a URL scheme"],
    ),
    (
        "image-repository-upper-case-path",
        v(image_repository="registry.aliyuncs.com/Google_Containers"),
        [r"kha_image_repository .*is not an image repository"],
    ),
    ("image-repository-empty", v(image_repository=""), [r"kha_image_repository .*'' is not an image repository"]),
    # --- names
    ("cluster-name-with-space", v(cluster_name="prod cluster"), [r"kha_cluster_name .*'prod cluster' is not a name"]),
    (
        "dns-domain-upper-case",
        v(dns_domain="Cluster.Local"),
        [r"kha_dns_domain .*'Cluster\.Local' is not a DNS domain"],
    ),
    ("dns-domain-underscore", v(dns_domain="cluster_local"), [r"kha_dns_domain .*is not a DNS domain"]),
    (
        "extra-san-upper-case",
        v(apiserver_cert_extra_sans=["API.example.com"]),
        [r"kha_apiserver_cert_extra_sans .*API\.example\.com"],
    ),
    (
        "extra-san-with-space",
        v(apiserver_cert_extra_sans=["api example"]),
        [r"kha_apiserver_cert_extra_sans .*each entry must be an IP"],
    ),
    # --- networks
    (
        "pod-subnet-bad-prefix",
        v(pod_subnet="10.244.0.0/33"),
        [r"kha_pod_subnet .*'10\.244\.0\.0/33' is not a network in CIDR notation"],
    ),
    (
        "pod-subnet-host-bits",
        v(pod_subnet="10.244.0.1/16"),
        [r"kha_pod_subnet .*host bits set: did you mean 10\.244\.0\.0/16\?"],
    ),
    ("pod-subnet-not-an-address", v(pod_subnet="pods"), [r"kha_pod_subnet .*'pods' is not a network"]),
    (
        "pod-subnet-overlaps-service",
        v(pod_subnet="10.96.0.0/16"),
        [r"kha_pod_subnet .*10\.96\.0\.0/16 overlaps kha_service_subnet 10\.96\.0\.0/12"],
    ),
    (
        "pod-subnet-overlaps-node-network",
        v(pod_subnet="10.20.0.0/16"),
        [r"kha_pod_subnet .*overlaps the network 10\.20\.0\.0/24 of cp1\.example\.internal \(eth0\)"],
    ),
    (
        "pod-subnet-one-node-range",
        v(pod_subnet="10.244.0.0/24"),
        [r"kha_pod_subnet .*holds 1 node range\(s\) of /24, but the inventory has 6 nodes"],
    ),
    (
        "pod-subnet-too-few-node-ranges",
        v(pod_subnet="10.244.0.0/22"),
        [r"kha_pod_subnet .*holds 4 node range\(s\).*6 nodes: use a larger network \(e\.g\. /21"],
    ),
    (
        "pod-subnet-smaller-than-a-node-range",
        v(pod_subnet="10.244.0.0/25"),
        [r"kha_pod_subnet .*smaller than one node's pod range \(/24"],
    ),
    (
        "pod-subnet-too-large",
        v(pod_subnet="10.0.0.0/7"),
        [r"kha_pod_subnet .*too large: kubeadm allows at most 16 bits"],
    ),
    (
        "pod-subnet-two-ipv4",
        v(pod_subnet="10.244.0.0/16,10.245.0.0/16"),
        [r"kha_pod_subnet .*two of different families"],
    ),
    (
        "pod-subnet-ipv6-service-ipv4",
        v(pod_subnet="fd00:10::/56"),
        [r"kha_service_subnet .*families IPv4 differ from kha_pod_subnet's IPv6"],
    ),
    (
        "service-subnet-slash-8",
        v(service_subnet="10.0.0.0/8"),
        [r"kha_service_subnet .*10\.0\.0\.0/8 is too large.*/12 or longer"],
    ),
    (
        "service-subnet-too-small",
        v(service_subnet="10.96.0.0/29"),
        [r"kha_service_subnet .*has 8 addresses: kubeadm needs at least 10"],
    ),
    (
        "service-subnet-dual-pod-single",
        v(service_subnet="10.96.0.0/12,fd00:20::/108"),
        [r"kha_service_subnet .*families IPv4\+IPv6 differ"],
    ),
    (
        "service-subnet-overlaps-node-network",
        v(service_subnet="10.20.0.0/24"),
        [r"kha_service_subnet .*overlaps the network 10\.20\.0\.0/24 of"],
    ),
    (
        "kube-proxy-mode-nftables",
        v(kube_proxy_mode="nftables"),
        [r"kha_kube_proxy_mode .*\"nftables\" is not one of iptables, ipvs"],
    ),
    (
        "kube-proxy-config-a-string",
        v(kube_proxy_config="conntrack: 0"),
        [r"kha_kube_proxy_config .*is a str, expected a mapping"],
    ),
    ("kubelet-config-a-list", v(kubelet_config=["maxPods"]), [r"kha_kubelet_config .*is a list, expected a mapping"]),
    # --- node addresses
    (
        "node-ip-not-on-the-host",
        hv(CP[1], node_ip="10.20.0.99"),
        [
            rf"^kha_node_ip \({re.escape(CP[1])}\): 10\.20\.0\.99 is not an address of this host "
            r"\(it has 10\.20\.0\.12\)"
        ],
    ),
    (
        "node-ip-not-an-address",
        hv(W1, node_ip="10.20.0.300"),
        [rf"^kha_node_ip \({re.escape(W1)}\): '10\.20\.0\.300' is not an IP address"],
    ),
    (
        "node-ip-of-two-nodes",
        duplicate_address,
        [
            r"^kha_node_ip \(worker2\.example\.internal, worker3\.example\.internal\): "
            r"10\.20\.0\.22 is the node address of 2 nodes"
        ],
    ),
    (
        "node-networks-hold-no-address",
        v(node_networks=["10.30.0.0/24"]),
        [rf"^kha_node_networks \({re.escape(CP[0])}\): no address of this host is inside 10\.30\.0\.0/24"],
    ),
    (
        "node-networks-host-bits",
        v(node_networks=["10.20.0.1/24"]),
        [r"kha_node_networks .*each entry is a network in CIDR notation"],
    ),
    (
        "no-default-route-and-no-node-ip",
        no_default_route(W1),
        [rf"^kha_node_ip \({re.escape(W1)}\): is not set and this host has no default route"],
    ),
    ("no-facts-from-a-host", missing_facts(W1), [rf"^facts \({re.escape(W1)}\): none could be gathered"]),
    (
        "node-ip-ipv6-service-ipv4",
        both(facts(CP[0], ipv6=["fd00::11"]), hv(CP[0], node_ip="fd00::11")),
        [r"kha_node_ip \(mixed\): IPv4 node addresses on .* but IPv6 on cp1\.example\.internal"],
    ),
    # --- API endpoint
    (
        "lb-mode-unknown",
        v(lb_mode="haproxy"),
        [r"kha_lb_mode .*\"haproxy\" is not one of colocated, dedicated, external"],
    ),
    (
        "lb-mode-dedicated-without-lb-hosts",
        v(lb_mode="dedicated"),
        [r"^group kube_lb \(inventory\): is empty but kha_lb_mode is dedicated"],
    ),
    (
        "lb-hosts-with-colocated",
        groups(lambda c: c["kube_lb"].update(hosts={"lb1.example.internal": {"ansible_host": "10.20.0.31"}})),
        [r"^group kube_lb \(lb1\.example\.internal\): lists load balancers but kha_lb_mode is colocated"],
    ),
    ("api-vip-missing", delete_from_cluster_yml("kha_api_vip"), [r"^kha_api_vip \(default\): is required"]),
    (
        "api-vip-outside-the-subnet",
        v(api_vip="10.20.1.10"),
        [
            r"kha_api_vip .*10\.20\.1\.10 is outside the network of the node address of "
            r"cp1\.example\.internal \(10\.20\.0\.0/24\)"
        ],
    ),
    (
        "api-vip-is-a-node-address",
        v(api_vip="10.20.0.21"),
        [r"kha_api_vip .*10\.20\.0\.21 is the node address of worker1\.example\.internal"],
    ),
    (
        "api-vip-a-name-with-colocated",
        v(api_vip="api.example.internal"),
        [r"kha_api_vip .*'api\.example\.internal' is not an IP address: with kha_lb_mode colocated"],
    ),
    ("api-vip-ipv6", v(api_vip="fd00::10"), [r"kha_api_vip .*fd00::10 is IPv6"]),
    (
        "api-vip-in-the-service-subnet",
        v(api_vip="10.96.0.10"),
        [r"kha_api_vip .*10\.96\.0\.10 lies inside kha_service_subnet 10\.96\.0\.0/12"],
    ),
    ("api-port-6443-colocated", v(api_port=6443), [r"kha_api_port .*6443 is the API server's own port"]),
    ("api-port-out-of-range", v(api_port=70000), [r"kha_api_port .*70000 is not a port"]),
    ("api-port-not-a-number", v(api_port="eighty"), [r"kha_api_port .*\"eighty\" is not a whole number"]),
    ("vrrp-router-id-0", v(vrrp_router_id=0), [r"kha_vrrp_router_id .*0 is outside 1-255"]),
    ("vrrp-router-id-256", v(vrrp_router_id=256), [r"kha_vrrp_router_id .*256 is outside 1-255"]),
    (
        "vrrp-password-too-long",
        vault("averylongpassword"),
        [r"^kha_vrrp_password \(every host\): \(value not shown\) must be 1 to 8 characters"],
    ),
    ("vrrp-password-with-space", vault("a b"), [r"kha_vrrp_password .*must be 1 to 8 characters"]),
    ("vrrp-password-null", vault(None), [r"kha_vrrp_password .*is required with kha_lb_mode colocated"]),
    # --- container runtime
    (
        "runtime-cri-o",
        v(container_runtime="cri-o"),
        [r"kha_container_runtime .*\"cri-o\" is not one of containerd, docker"],
    ),
    (
        "docker-without-cri-dockerd",
        v(container_runtime="docker"),
        [r"kha_cri_dockerd_url .*is empty: docker with Kubernetes 1\.32\.8 needs cri-dockerd"],
    ),
    (
        "cri-dockerd-url-without-scheme",
        v(cri_dockerd_url="github.com/Mirantis/cri-dockerd.deb"),
        [r"kha_cri_dockerd_url .*is not a URL with a scheme"],
    ),
    (
        "cri-dockerd-checksum-format",
        v(cri_dockerd_checksum="0123abcd"),
        [r"kha_cri_dockerd_checksum .*'0123abcd' is not '<algorithm>:<hex or URL>'"],
    ),
    (
        "cgroup-driver-unknown",
        v(cgroup_driver="systemd-cgroup"),
        [r"kha_cgroup_driver .*is not one of systemd, cgroupfs"],
    ),
    (
        "mirrors-endpoint-a-string",
        v(registry_mirrors={"docker.io": "https://mirror.example.internal"}),
        [r"kha_registry_mirrors .*docker\.io: \"https://mirror\.example\.internal\" is not a list"],
    ),
    (
        "mirrors-endpoint-without-scheme",
        v(registry_mirrors={"docker.io": ["mirror.example.internal"]}),
        [r"kha_registry_mirrors .*endpoint 'mirror\.example\.internal' needs a scheme"],
    ),
    (
        "mirrors-a-list",
        v(registry_mirrors=["https://mirror.example.internal"]),
        [r"kha_registry_mirrors .*is a list, expected a mapping"],
    ),
    (
        "mirrors-for-quay-with-docker",
        v(
            container_runtime="docker",
            cri_dockerd_url="https://mirror.example.internal/cri-dockerd.deb",
            registry_mirrors={"quay.io": ["https://mirror.example.internal"]},
        ),
        [r"kha_registry_mirrors .*mirrors for quay\.io: docker takes mirrors for docker\.io only"],
    ),
    (
        "insecure-registry-with-http-scheme",
        v(insecure_registries=["http://registry.example.internal:5000"]),
        [r"kha_insecure_registries .*each entry is a registry"],
    ),
    (
        "insecure-registry-a-mapping",
        v(insecure_registries={"registry": 5000}),
        [r"kha_insecure_registries .*is a dict, expected a list"],
    ),
    # --- pod network
    ("cni-cilium", v(cni="cilium"), [r"kha_cni .*\"cilium\" is not one of calico, flannel, bridge"]),
    (
        "cni-manifest-without-scheme",
        v(cni_manifest_url="raw.githubusercontent.com/calico.yaml"),
        [r"kha_cni_manifest_url .*not a URL with a scheme"],
    ),
    (
        "cni-image-repository-with-scheme",
        v(cni_image_repository="https://docker.io/calico"),
        [r"kha_cni_image_repository .*has a URL scheme"],
    ),
    # --- booleans, lists, special settings
    (
        "restrict-oom-not-a-boolean",
        v(restrict_oom_score_adj="maybe"),
        [r"kha_restrict_oom_score_adj .*\"maybe\" is not a boolean"],
    ),
    ("pull-images-not-a-boolean", v(kubeadm_pull_images="sometimes"), [r"kha_kubeadm_pull_images .*is not a boolean"]),
    (
        "allow-even-not-a-boolean",
        v(allow_even_control_plane="perhaps"),
        [r"kha_allow_even_control_plane .*is not a boolean"],
    ),
    (
        "cgroup-root-relative",
        hv(W1, kubelet_cgroup_root="kubelet"),
        [rf"^kha_kubelet_cgroup_root \({re.escape(W1)}\): 'kubelet' is not an absolute cgroup path"],
    ),
    (
        "ignore-preflight-all",
        v(kubeadm_ignore_preflight_errors=["all"]),
        [r"kha_kubeadm_ignore_preflight_errors .*\"all\" would hide every failing kubeadm check"],
    ),
    (
        "ignore-preflight-all-in-a-string",
        v(kubeadm_ignore_preflight_errors="Swap,all"),
        [r"kha_kubeadm_ignore_preflight_errors .*\"all\""],
    ),
    (
        "ignore-preflight-a-mapping",
        v(kubeadm_ignore_preflight_errors={"Swap": True}),
        [r"kha_kubeadm_ignore_preflight_errors .*is a dict, expected a list"],
    ),
    (
        "init-skip-phase-with-spaces",
        v(kubeadm_init_skip_phases=["Preflight Checks"]),
        [r"kha_kubeadm_init_skip_phases .*are not kubeadm phase names"],
    ),
    (
        "join-skip-phases-a-mapping",
        v(kubeadm_join_skip_phases={"preflight": True}),
        [r"kha_kubeadm_join_skip_phases .*expected a list"],
    ),
    ("null-value", v(cni=None), [r"kha_cni .*is null"]),
    # --- the bridge network, the acceptance check and day 2
    (
        "bridge-across-subnets",
        both(
            v(cni="bridge"),
            lambda ex: ex.facts.update({WORKERS[2]: facts_for("10.20.0.23")}),
            lambda ex: ex.facts[WORKERS[2]]["eth0"]["ipv4"].update(netmask="255.255.255.252"),
        ),
        [
            r"^kha_cni \(every host\): bridge routes each node's pod network via the node's address, "
            r"so every node must "
            r"be on one layer-2 network"
        ],
    ),
    (
        "smoke-image-with-scheme",
        v(smoke_image="https://docker.io/library/nginx:1.27"),
        [r"kha_smoke_image .*is not an image reference"],
    ),
    ("smoke-test-not-a-boolean", v(smoke_test="sometimes"), [r"kha_smoke_test .*is not a boolean"]),
    (
        "cert-threshold-negative",
        v(cert_renew_threshold_days=-1),
        [r"kha_cert_renew_threshold_days .*-1 is not 0-3650 days"],
    ),
    ("etcd-backup-keep-zero", v(etcd_backup_keep=0), [r"kha_etcd_backup_keep .*0: keep at least 1 snapshot"]),
    (
        "etcd-push-command-a-mapping",
        v(etcd_backup_push_command={"rsync": "x"}),
        [r"kha_etcd_backup_push_command .*expected a list"],
    ),
    (
        "remove-an-unknown-node",
        v(remove_nodes=["w9.example.internal"]),
        [r"kha_remove_nodes .*not nodes of this inventory"],
    ),
    (
        "upgrade-batch-in-the-inventory",
        v(upgrade_worker_batch="50%"),
        [r"^kha_upgrade_worker_batch \(every host\): is read by a play keyword \(serial\)"],
    ),
    # --- unknown, retired and inconsistent variables
    (
        "typo-in-a-name",
        v(pod_subnett="10.244.0.0/16"),
        [r"^kha_pod_subnett \(every host\): is unknown: did you mean kha_pod_subnet\?"],
    ),
    ("retired-worker-batch", v(join_worker_batch=0), [r"^kha_join_worker_batch \(every host\): is no longer used"]),
    (
        "cluster-wide-value-in-host-vars",
        hv(W1, pod_subnet="10.245.0.0/16"),
        [
            rf"^kha_pod_subnet \(differs between hosts\): \"10\.245\.0\.0/16\" on {re.escape(W1)}; "
            r"unset \(default \"10\.244\.0\.0/16\"\) on cp1"
        ],
    ),
    (
        "secret-differs-between-hosts",
        hv(W1, vrrp_password="other"),
        [r"^kha_vrrp_password \(differs between hosts\): 5 host\(s\): .*1 host\(s\): worker1"],
    ),
    # --- groups and host names
    (
        "two-control-plane-nodes",
        control_plane(2),
        [r"^group kube_control_plane \(inventory\): has 2 hosts .*set kha_allow_even_control_plane: true"],
    ),
    ("four-control-plane-nodes", control_plane(4), [r"^group kube_control_plane \(inventory\): has 4 hosts"]),
    ("no-control-plane", control_plane(0), [r"^group kube_control_plane \(inventory\): is missing or empty"]),
    (
        "node-in-both-groups",
        groups(lambda c: c["k8s_cluster"]["children"]["kube_node"]["hosts"].update({CP[0]: None})),
        [rf"^group kube_node \({re.escape(CP[0])}\): also in kube_control_plane"],
    ),
    (
        "workers-outside-k8s-cluster",
        groups(lambda c: c.update(kube_node=c["k8s_cluster"]["children"].pop("kube_node"))),
        [
            r"^group k8s_cluster \(worker1\.example\.internal, worker2\.example\.internal, "
            r"worker3\.example\.internal\): does not contain these nodes"
        ],
    ),
    (
        "host-in-k8s-cluster-only",
        groups(lambda c: c["k8s_cluster"].update(hosts={"stray.example.internal": {"ansible_host": "10.20.0.40"}})),
        [r"^group k8s_cluster \(stray\.example\.internal\): holds hosts in neither"],
    ),
    (
        "host-name-upper-case",
        lambda ex: ex.rename_host(W1, "Worker1.example.internal"),
        [
            r"^inventory host name \(Worker1\.example\.internal\): is not a valid Kubernetes node name"
            r".*e\.g\. 'worker1\.example\.internal'"
        ],
    ),
    (
        "host-name-underscore",
        lambda ex: ex.rename_host(W1, "worker_1.example.internal"),
        [r"^inventory host name \(worker_1\.example\.internal\): is not a valid Kubernetes node name"],
    ),
]


def test_the_catalogue_is_large_enough():
    assert len(BAD) >= 60
    assert len({case for case, _c, _p in BAD}) == len(BAD)


@pytest.mark.parametrize(("case", "change", "patterns"), BAD, ids=[c for c, _ch, _p in BAD])
def test_a_bad_input_is_rejected_naming_the_variable(example, case, change, patterns):
    change(example)
    report = example.check()
    assert report.errors, f"{case}: accepted"
    for pattern in patterns:
        assert any(re.search(pattern, error) for error in report.errors), f"{pattern!r} not in {report.errors}"
    # every message names a variable, a group, the host names or the facts, and says where
    for error in report.errors:
        assert re.match(r"^(kha_[a-z_0-9]+|group [a-z_0-9]+|inventory host name|facts) \([^)]*\): ", error), error
    assert "averylongpassword" not in repr(report) and "'a b'" not in repr(report), "a secret was shown"


# ---------------------------------------------------------------------------------------------------------
# Valid variants of the example
# ---------------------------------------------------------------------------------------------------------
def no_workers(ex):
    ex.edit_groups(lambda c: c["k8s_cluster"]["children"]["kube_node"].update(hosts={}))


def two_networks(ex):
    """Every host gets a second network 192.168.50.0/24 (the cluster network); the default route stays on eth0."""
    for host, address in ex.addresses().items():
        last = address.rsplit(".", 1)[1]
        ex.facts[host] = facts_for(
            address, extra_interfaces={"eth1": {"address": f"192.168.50.{last}", "netmask": "255.255.255.0"}}
        )


def node_ip_everywhere(ex):
    """Two networks, and every host sets kha_node_ip to its address on the cluster network."""
    two_networks(ex)
    ex.set_vars({"kha_api_vip": "192.168.50.10"})
    for host, address in ex.addresses().items():
        ex.set_host_vars(host, {"kha_node_ip": "192.168.50." + address.rsplit(".", 1)[1]})


def dedicated(ex):
    ex.edit_groups(
        lambda c: c["kube_lb"].update(
            hosts={
                "lb1.example.internal": {"ansible_host": "10.20.0.31"},
                "lb2.example.internal": {"ansible_host": "10.20.0.32"},
            }
        )
    )
    ex.facts["lb1.example.internal"] = facts_for("10.20.0.31")
    ex.facts["lb2.example.internal"] = facts_for("10.20.0.32")
    ex.set_vars({"kha_lb_mode": "dedicated", "kha_api_port": 6443})


GOOD = [
    ("as-shipped", lambda ex: None, {}),
    ("no-workers", no_workers, {"workers": []}),
    ("one-control-plane-node", control_plane(1), {"control_plane": CP[:1], "lb_hosts": CP[:1]}),
    (
        "two-control-plane-nodes-accepted",
        both(control_plane(2), v(allow_even_control_plane=True)),
        {"control_plane": CP[:2]},
    ),
    (
        "false-as-a-string",
        v(restrict_oom_score_adj="false", kubeadm_pull_images="no"),
        {"restrict_oom_score_adj": False, "kubeadm_pull_images": False},
    ),
    ("true-as-a-string", v(restrict_oom_score_adj="True"), {"restrict_oom_score_adj": True}),
    (
        "version-with-v",
        v(kubernetes_version="v1.30.6"),
        {"kubernetes_version": "1.30.6", "kubeadm_api_version": "v1beta3"},
    ),
    ("oldest-version", v(kubernetes_version="1.20.2"), {"kubernetes_minor": "1.20", "kubeadm_api_version": "v1beta2"}),
    (
        "ignore-preflight-a-string",
        v(kubeadm_ignore_preflight_errors="Swap"),
        {"kubeadm_ignore_preflight_errors": ["Swap"]},
    ),
    (
        "ignore-preflight-comma-separated",
        v(kubeadm_ignore_preflight_errors="Swap, NumCPU"),
        {"kubeadm_ignore_preflight_errors": ["Swap", "NumCPU"]},
    ),
    ("port-as-a-string", v(api_port="9443"), {"api_port": 9443, "api_endpoint": "10.20.0.10:9443"}),
    (
        "external-lb-by-name-without-vault",
        both(
            v(lb_mode="external", api_vip="api.example.internal", api_port=6443),
            lambda ex: (ex.root / "group_vars/all/vault.yml").unlink(),
        ),
        {"api_endpoint": "api.example.internal:6443", "lb_hosts": CP[:1]},
    ),
    ("dedicated-load-balancers", dedicated, {"lb_hosts": ["lb1.example.internal", "lb2.example.internal"]}),
    (
        "dual-stack",
        v(pod_subnet="10.244.0.0/16,fd00:10::/56", service_subnet="10.96.0.0/12,fd00:20::/108"),
        {"pod_subnet": "10.244.0.0/16,fd00:10::/56"},
    ),
    (
        "docker-with-cri-dockerd",
        v(container_runtime="docker", cri_dockerd_url="https://mirror.example.internal/cri-dockerd.deb"),
        {"cri_socket": "unix:///run/cri-dockerd.sock", "cri_dockerd_needed": True},
    ),
    (
        "docker-before-1-24",
        v(container_runtime="docker", kubernetes_version="1.23.17"),
        {"cri_socket": "unix:///var/run/dockershim.sock", "cri_dockerd_needed": False},
    ),
    (
        "docker-io-mirror-with-docker",
        v(
            container_runtime="docker",
            kubernetes_version="1.23.17",
            registry_mirrors={"docker.io": ["https://mirror.example.internal"]},
        ),
        {},
    ),
    (
        "mirrors-and-insecure-registries",
        v(
            registry_mirrors={"registry.k8s.io": ["https://mirror.example.internal:5000", "http://10.20.0.5:5000"]},
            insecure_registries=["10.20.0.5:5000", "https://mirror.example.internal:5000"],
        ),
        {},
    ),
    (
        "image-repository-mirror",
        v(image_repository="registry.aliyuncs.com/google_containers"),
        {"image_repository": "registry.aliyuncs.com/google_containers"},
    ),
    ("extra-sans", v(apiserver_cert_extra_sans=["api.example.com", "*.k8s.example.com", "203.0.113.10"]), {}),
    ("larger-pod-subnet", v(pod_subnet="10.128.0.0/9"), {}),
    ("ipvs", v(kube_proxy_mode="ipvs"), {"kube_proxy_mode": "ipvs"}),
    ("cgroup-root-per-host", hv(W1, kubelet_cgroup_root="/kubelet"), {}),
    (
        "two-networks-node-networks",
        both(two_networks, v(node_networks=["192.168.50.0/24"], api_vip="192.168.50.10")),
        {"api_endpoint": "192.168.50.10:8443"},
    ),
    (
        "two-networks-node-ip",
        node_ip_everywhere,
        {"lb_backends": [{"name": h, "address": f"192.168.50.1{n}", "port": 6443} for n, h in enumerate(CP, start=1)]},
    ),
]


@pytest.mark.parametrize(("case", "change", "expected"), GOOD, ids=[c for c, _ch, _e in GOOD])
def test_a_valid_variant_is_accepted(example, case, change, expected):
    change(example)
    report = example.check()
    assert report.errors == [], report.errors
    for key, value in expected.items():
        assert report.cluster[key] == value, key


def test_one_control_plane_node_warns_that_it_is_not_highly_available(example):
    control_plane(1)(example)
    report = example.check()
    assert any("not highly available" in w for w in report.warnings), report.warnings


def test_an_accepted_even_control_plane_still_warns(example):
    both(control_plane(2), v(allow_even_control_plane=True))(example)
    assert any("accepted: kha_allow_even_control_plane" in w for w in example.check().warnings)


def test_node_addresses_follow_kha_node_ip_then_node_networks_then_the_default_route(example):
    two_networks(example)
    example.set_vars({"kha_node_networks": ["192.168.50.0/24"], "kha_api_vip": "192.168.50.10"})
    example.set_host_vars(CP[0], {"kha_node_ip": "192.168.50.11"})
    report = example.check()
    assert report.errors == []
    hosts = report.cluster["hosts"]
    assert hosts[CP[0]]["node_ip"] == "192.168.50.11" and hosts[CP[0]]["node_ip_source"] == "kha_node_ip"
    assert hosts[CP[2]]["node_ip"] == "192.168.50.13" and hosts[CP[2]]["node_ip_source"] == "kha_node_networks"
    assert report.cluster["lb_backends"][2] == {"name": CP[2], "address": "192.168.50.13", "port": 6443}
    # without kha_node_networks the default route's address is taken: the VIP is then outside their network
    example.set_vars({"kha_api_vip": "192.168.50.10"})
    report = example.check()
    assert report.cluster["hosts"][CP[2]] == {
        "node_ip": "10.20.0.13",
        "node_ip_source": "default route",
        "kubelet_cgroup_root": "",
    }
    assert any(
        e.startswith("kha_api_vip") and "outside the network of the node address of cp2.example.internal" in e
        for e in report.errors
    ), report.errors


def test_ipv6_default_route_gives_an_ipv6_node_address(example):
    for host in [*CP, *WORKERS]:
        f = facts_for(
            example.addresses()[host], ipv6=[f"fd00:20::{host[2] if host.startswith('cp') else '2' + host[6]}"]
        )
        del f["default_ipv4"]
        f["default_ipv6"] = {"address": f["all_ipv6_addresses"][0], "interface": "eth0"}
        example.facts[host] = f
    example.set_vars(
        {
            "kha_pod_subnet": "fd00:10::/56",
            "kha_service_subnet": "fd00:30::/108",
            "kha_lb_mode": "external",
            "kha_api_vip": "api.example.internal",
        }
    )
    report = example.check()
    assert report.errors == []
    assert report.cluster["hosts"][CP[0]]["node_ip"] == "fd00:20::1"


def test_several_problems_are_reported_together(example):
    example.set_vars({"kha_pod_subnet": "10.96.0.0/16", "kha_api_port": 6443, "kha_cni": "cilium"})
    example.set_host_vars(W1, {"kha_node_ip": "10.20.0.99"})
    errors = example.check().errors
    assert len(errors) == 4, errors


# ---------------------------------------------------------------------------------------------------------
# Derivations shared with the roles' templates
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("minor", "api"),
    [(20, "v1beta2"), (21, "v1beta2"), (22, "v1beta3"), (30, "v1beta3"), (31, "v1beta4"), (34, "v1beta4")],
)
def test_kubeadm_api_version(minor, api):
    assert kubeadm_api_version(minor) == api


@pytest.mark.parametrize(
    ("runtime", "minor", "socket"),
    [
        ("containerd", 20, "unix:///run/containerd/containerd.sock"),
        ("containerd", 32, "unix:///run/containerd/containerd.sock"),
        ("docker", 23, "unix:///var/run/dockershim.sock"),
        ("docker", 24, "unix:///run/cri-dockerd.sock"),
    ],
)
def test_cri_socket_follows_the_runtime(runtime, minor, socket):
    assert cri_socket(runtime, minor) == socket


def test_kubeadm_cri_socket_form_and_version_minor():
    assert kubeadm_cri_socket("unix:///run/containerd/containerd.sock", 23) == "/run/containerd/containerd.sock"
    assert kubeadm_cri_socket("/run/containerd/containerd.sock", 24) == "unix:///run/containerd/containerd.sock"
    assert version_minor("v1.31.0") == 31
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        version_minor("1.31")


# ---------------------------------------------------------------------------------------------------------
# The example documents every input with the default declared here
# ---------------------------------------------------------------------------------------------------------
def test_the_prod_example_documents_every_input_and_its_default():
    text = (PROD / "group_vars/all/cluster.yml").read_text()
    set_values = yaml.safe_load(text)
    assert set(set_values) == {f"kha_{n}" for n, spec in INPUTS.items() if spec.required}, (
        "the example sets exactly the required inputs; the optional ones are shown commented out"
    )
    for name, spec in INPUTS.items():
        if spec.required:
            continue
        match = re.search(rf"(?m)^# kha_{name}: (.*?)(\s+#.*)?$", text)
        assert match, f"kha_{name} is not documented in inventories/prod/group_vars/all/cluster.yml"
        documented = yaml.safe_load(match.group(1))
        if spec.scope == "host" and name == "node_ip":
            continue  # an example value (host_vars only)
        assert documented == spec.default, f"kha_{name}: documented {documented!r}, default {spec.default!r}"


# ---------------------------------------------------------------------------------------------------------
# Hosts that do not answer
# ---------------------------------------------------------------------------------------------------------
def test_a_host_input_made_from_facts_is_not_read_on_a_host_that_does_not_answer(example):
    """The lab sets kha_kubelet_cgroup_root from each host's facts: a host without facts that the caller reports as
    not answering is warned about, not a problem (the front door leaves it out); on a host that answers, the same
    unreadable value is a problem that names the variable and the host."""
    example.set_vars({"kha_kubelet_cgroup_root": "/{{ ansible_facts['nodename'] }}"})
    for host, address in example.addresses().items():
        example.facts[host] = dict(facts_for(address), nodename=host.split(".")[0])
    worker = WORKERS[1]
    example.facts[worker] = None
    report = example.check(absent=[worker])
    assert report.errors == []
    assert any(w.startswith(f"kha_kubelet_cgroup_root ({worker}): does not answer: not read") for w in report.warnings)
    assert report.cluster["hosts"][CP[0]]["kubelet_cgroup_root"] == "/cp1"
    assert report.cluster["hosts"][worker]["kubelet_cgroup_root"] == ""

    report = example.check()
    unread = f"kha_kubelet_cgroup_root ({worker}): cannot be read:"
    assert any(e.startswith(unread) for e in report.errors), report.errors
