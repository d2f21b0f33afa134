# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The front door (private, pure): every kha_* input of a whole inventory checked at once, and the cluster
facts derived from them once.

``INPUTS`` declares every cluster input: its type, its default, whether it is cluster-wide or per host. It is the
one place the defaults live (inventories/prod/group_vars/all/cluster.yml documents the same values; a unit test
keeps the two in step).

``check_inventory(groups, variables, facts)`` takes the inventory groups, each host's kha_* variables (already
templated by the caller; a value that could not be templated is an ``Unresolved``) and each host's gathered facts,
and returns a ``Report``: every problem (each naming the variable or group and the hosts), warnings, and the
derived cluster facts (``cluster``): the effective value of every input, the node address of every host, the API
endpoint, the normalised version, its minor and kubeadm config API, the CRI socket, the load balancer hosts and
backends. The caller is the action plugin kubeadm_ha.cluster.cluster_facts; the playbooks hand the results to the
roles.

Controller-side code, no Ansible imports beyond module_utils, written to import on Python 3.8 too.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._preflight import (
    DEFAULT_IGNORE_INTERFACES,
    host_summary,
)

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# Inventory groups (kubespray's names).
CONTROL_PLANE_GROUP = "kube_control_plane"
WORKER_GROUP = "kube_node"
CLUSTER_GROUP = "k8s_cluster"
LB_GROUP = "kube_lb"

# The Kubernetes release series the roles render kubeadm configurations for.
SUPPORTED_SERIES = tuple((1, minor) for minor in range(20, 35))

# kubeadm's own limits (cmd/kubeadm/app/constants, .../apis/kubeadm/validation).
MIN_SERVICE_ADDRESSES = 10  # the API server takes the first address, cluster DNS the tenth
MAX_SERVICE_SUBNET_BITS = 20  # /12 for IPv4, /108 for IPv6
MIN_POD_ADDRESSES = 14
POD_NODE_MASK_MAX_DIFF = 16
NODE_MASK = {4: 24, 6: 64}  # kube-controller-manager's default node CIDR mask sizes

API_SERVER_PORT = 6443
CRI_SOCKETS = {
    "containerd": "unix:///run/containerd/containerd.sock",
    "cri-dockerd": "unix:///run/cri-dockerd.sock",
    "dockershim": "unix:///var/run/dockershim.sock",
}

VERSION_RE = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)$")
# RFC 1123 subdomain, as Kubernetes validates node names and the DNS domain.
DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DNS1123_SUBDOMAIN_RE = re.compile(rf"^{DNS_LABEL}(\.{DNS_LABEL})*$")
WILDCARD_SUBDOMAIN_RE = re.compile(rf"^\*\.{DNS_LABEL}(\.{DNS_LABEL})*$")
# A container image repository: registry host[:port] then path components (the distribution reference grammar,
# without tag or digest). kubeadm checks the same with "<repository>/name:tag".
_REPO_HOST = (
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?"
)
_REPO_PATH = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
IMAGE_REPOSITORY_RE = re.compile(rf"^(?:{_REPO_HOST}/)?{_REPO_PATH}(?:/{_REPO_PATH})*$")
REGISTRY_HOST_RE = re.compile(rf"^{_REPO_HOST}$")
IMAGE_REF_RE = re.compile(
    rf"^(?:{_REPO_HOST}/)?{_REPO_PATH}(?:/{_REPO_PATH})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?$"
)
URL_RE = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>[^\s]*)$")
PHASE_RE = re.compile(r"^[a-z0-9-]+(/[a-z0-9-]+)*$")
PREFLIGHT_CHECK_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
# keepalived's PASS authentication: 8 characters at most, and the config syntax has no quoting.
VRRP_PASSWORD_RE = re.compile(r"^[^\s#!\"';{}]{1,8}$")
CLUSTER_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")


class Unresolved:
    """A variable whose value could not be templated (e.g. it refers to an undefined vault variable)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unresolved) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)

    def __repr__(self) -> str:
        return f"Unresolved({self.message!r})"


@dataclass(frozen=True)
class Input:
    """One cluster input: ``kha_<name>`` in the inventory, ``<name>`` in the derived cluster facts."""

    name: str
    kind: str  # str, int, bool, list, dict
    default: Any
    doc: str
    scope: str = "cluster"  # cluster: one value for every host; host: per host (host_vars)
    required: bool = False
    secret: bool = False
    choices: tuple = ()
    extra_var_only: bool = False  # a play keyword reads it: only an extra variable (-e) reaches it

    @property
    def variable(self) -> str:
        return "kha_" + self.name


INPUTS: dict[str, Input] = {
    i.name: i
    for i in (
        # --- Kubernetes
        Input("kubernetes_version", "str", "1.32.8", "one exact version for kubelet, kubeadm and kubectl"),
        Input("kube_repo_base_url", "str", "https://pkgs.k8s.io", "pkgs.k8s.io or a mirror with its layout"),
        Input("image_repository", "str", "registry.k8s.io", "registry of the control-plane images"),
        Input("cluster_name", "str", "kubernetes", "ClusterConfiguration.clusterName"),
        Input("dns_domain", "str", "cluster.local", "the cluster DNS domain"),
        Input("pod_subnet", "str", "10.244.0.0/16", "pod network CIDR (dual stack: 'IPv4CIDR,IPv6CIDR')"),
        Input("service_subnet", "str", "10.96.0.0/12", "service network CIDR (dual stack: 'IPv4CIDR,IPv6CIDR')"),
        Input("kube_proxy_mode", "str", "iptables", "kube-proxy mode", choices=("iptables", "ipvs")),
        Input("apiserver_cert_extra_sans", "list", [], "extra names/addresses in the API server certificate"),
        Input("kube_proxy_config", "dict", {}, "more KubeProxyConfiguration fields"),
        Input("kubelet_config", "dict", {}, "more KubeletConfiguration fields"),
        # --- node addresses
        Input("node_ip", "str", "", "this node's address (host_vars); empty: derived", scope="host"),
        Input(
            "node_networks",
            "list",
            [],
            "CIDRs of the cluster network: a node without kha_node_ip uses its address there",
        ),
        # --- API endpoint
        Input(
            "lb_mode",
            "str",
            "colocated",
            "where haproxy + keepalived run",
            choices=("colocated", "dedicated", "external"),
        ),
        Input("api_vip", "str", None, "the API endpoint address (VIP)", required=True),
        Input("api_port", "int", 8443, "port of the endpoint on the VIP"),
        Input("vrrp_router_id", "int", 51, "VRRP virtual router id, unique on the network"),
        Input("vrrp_password", "str", None, "VRRP PASS secret (keep it in a vault)", required=True, secret=True),
        # --- container runtime
        Input("container_runtime", "str", "containerd", "container engine", choices=("containerd", "docker")),
        Input("cri_dockerd_url", "str", "", "cri-dockerd release asset (docker with Kubernetes >= 1.24)"),
        Input("cri_dockerd_checksum", "str", "", "checksum of that asset ('sha256:<hex>')"),
        Input(
            "cgroup_driver", "str", "systemd", "cgroup driver of runtime and kubelet", choices=("systemd", "cgroupfs")
        ),
        Input("registry_mirrors", "dict", {}, "registry host -> list of mirror endpoints"),
        Input("insecure_registries", "list", [], "registries reached over HTTP or without TLS verification"),
        # --- pod network
        Input("cni", "str", "calico", "the pod network", choices=("calico", "flannel", "bridge")),
        Input("cni_manifest_url", "str", "", "manifest URL of the CNI (mirror, air-gapped copy)"),
        Input("cni_image_repository", "str", "", "image repository of the CNI"),
        # --- control plane size
        Input("allow_even_control_plane", "bool", False, "accept 2 or 4 control-plane nodes"),
        # --- special environments
        Input("restrict_oom_score_adj", "bool", False, "containerd: hosts without CAP_SYS_RESOURCE"),
        Input("kubelet_cgroup_root", "str", "", "kubelet --cgroup-root (nodes sharing one cgroup tree)", scope="host"),
        Input("kubeadm_pull_images", "bool", True, "`kubeadm config images pull` before init"),
        Input("kubeadm_ignore_preflight_errors", "list", [], "kubeadm preflight checks to ignore (never 'all')"),
        Input("kubeadm_init_skip_phases", "list", [], "kubeadm init phases to skip"),
        Input("kubeadm_join_skip_phases", "list", [], "kubeadm join phases to skip"),
        # --- the acceptance check (site.yml's end, verify.yml)
        Input("smoke_test", "bool", True, "run the smoke workload of the acceptance check"),
        Input(
            "smoke_image",
            "str",
            "docker.io/library/nginx:1.27",
            "image of the smoke workload (HTTP on :80, curl or wget)",
        ),
        # --- day 2
        Input("cert_renew_threshold_days", "int", 30, "renew_certs.yml: renew what expires within this many days"),
        Input("etcd_backup_keep", "int", 7, "etcd_backup.yml: snapshots kept on each control-plane node"),
        Input(
            "etcd_backup_push_command",
            "list",
            [],
            "etcd_backup.yml: command pushing a snapshot elsewhere (path appended)",
        ),
        # --- playbook switches (extra variables)
        Input("reset_confirm", "str", "", "reset.yml: 'yes' confirms the reset"),
        Input("cert_renew_force", "bool", False, "renew_certs.yml: renew every certificate whatever its expiry"),
        Input("etcd_restore_confirm", "str", "", "etcd_restore.yml: 'yes' confirms the restore"),
        Input("etcd_restore_snapshot", "str", "", "etcd_restore.yml: the snapshot file name (default: the newest)"),
        Input("remove_nodes", "list", [], "remove_nodes.yml: the nodes to remove"),
        Input(
            "upgrade_worker_batch",
            "str",
            "25%",
            "upgrade.yml: workers upgraded at a time (N or N%; -e only)",
            extra_var_only=True,
        ),
    )
}

# Inputs that were removed, with what replaced them.
RETIRED = {
    "kha_join_worker_batch": "workers join all at once, bounded only by Ansible's forks (-f N, or forks in "
    "ansible.cfg): remove it",
}

# Inputs used only where the lb role runs keepalived (kha_lb_mode colocated or dedicated).
LB_ONLY = frozenset({"vrrp_password"})

# Names a playbook sets itself (derived facts), never inventory inputs.
DERIVED = frozenset({"kha_cluster"})


@dataclass
class Problem:
    subject: str  # a variable (kha_...) or a group ("group kube_node")
    where: str  # "every host", a host, or a list of hosts
    text: str

    def __str__(self) -> str:
        return f"{self.subject} ({self.where}): {self.text}"


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cluster: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------------------
def _join(items) -> str:
    return ", ".join(str(i) for i in items)


def _show(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _key(value: Any) -> str:
    if isinstance(value, Unresolved):
        return "unresolved:" + value.message
    return _show(value)


def _unique(items) -> list:
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _network(text: str) -> Optional[IPNetwork]:
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        return None


def _address(text: str):
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _overlap(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def _wrap(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def kubeadm_api_version(minor: int) -> str:
    """The kubeadm configuration API a kubeadm of this minor release speaks (1.x)."""
    if minor < 22:
        return "v1beta2"
    if minor < 31:
        return "v1beta3"
    return "v1beta4"


def version_minor(version: Any) -> int:
    """The minor number of a Kubernetes version ("1.30.6", "v1.31.0"); ValueError when it is not one."""
    match = VERSION_RE.match(str(version).strip())
    if not match:
        raise ValueError(f"{version!r} is not a Kubernetes version MAJOR.MINOR.PATCH")
    return int(match["minor"])


def kubeadm_cri_socket(socket: str, minor: int) -> str:
    """A CRI socket as kubeadm of this minor wants it: a unix:// URL from 1.24, a plain path before."""
    path = re.sub(r"^unix://", "", str(socket))
    return f"unix://{path}" if minor >= 24 else path


def cri_socket(runtime: str, minor: int) -> str:
    """The CRI endpoint kubeadm and the kubelet use for this runtime and Kubernetes minor (1.x)."""
    if runtime == "docker":
        return CRI_SOCKETS["cri-dockerd" if minor >= 24 else "dockershim"]
    return CRI_SOCKETS["containerd"]


# ---------------------------------------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------------------------------------
class _Checker:
    def __init__(
        self,
        groups: Mapping[str, Sequence[str]],
        variables: Mapping[str, Mapping[str, Any]],
        facts: Mapping[str, Optional[Mapping[str, Any]]],
        *,
        require_facts: bool,
        absent: Optional[Sequence[str]] = None,
        ignore_interfaces: str,
        extra_vars: Optional[frozenset] = None,
    ) -> None:
        self.extra_vars = extra_vars
        self.groups = {name: list(hosts or []) for name, hosts in groups.items()}
        self.variables = variables
        self.facts = facts
        self.require_facts = require_facts
        self.absent = frozenset(absent or ())
        self.ignore_interfaces = ignore_interfaces
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.values: dict[str, Any] = {}  # name -> effective cluster-wide value (None: unusable)
        self.host_values: dict[str, dict[str, Any]] = {}  # host -> name -> value, for host-scoped inputs
        self.bad: set[str] = set()  # inputs whose value is unusable (later checks skip them)
        self.where_of: dict[str, str] = {}  # cluster-wide input -> where it is set ("every host", hosts, "default")
        self.series: Optional[tuple[int, int]] = None
        self.deferred: dict[str, list[Problem]] = {}  # problems of inputs not needed in every mode (LB_ONLY)

        self.control_plane = self.groups.get(CONTROL_PLANE_GROUP, [])
        self.workers = self.groups.get(WORKER_GROUP, [])
        self.cluster_hosts = self.groups.get(CLUSTER_GROUP, [])
        self.lb_group = self.groups.get(LB_GROUP, [])
        self.nodes = _unique(self.control_plane + self.workers)
        self.hosts = _unique(self.nodes + self.cluster_hosts + self.lb_group)

    # -- reporting -------------------------------------------------------------------------------------------
    def error(self, subject: str, where: str, text: str) -> None:
        self.problems.append(Problem(subject, where, text))

    def warn(self, subject: str, where: str, text: str) -> None:
        self.warnings.append(str(Problem(subject, where, text)))

    def where(self, hosts: Sequence[str]) -> str:
        hosts = list(hosts)
        if hosts and sorted(hosts) == sorted(self.hosts) and len(hosts) > 1:
            return "every host"
        return _join(hosts) or "inventory"

    # -- reading values --------------------------------------------------------------------------------------
    def _raw(self, host: str, name: str) -> tuple[bool, Any]:
        values = self.variables.get(host) or {}
        variable = "kha_" + name
        if variable in values:
            return True, values[variable]
        return False, None

    def read_cluster(self, spec: Input) -> tuple[Any, str, bool]:
        """(value, where, set) of a cluster-wide input; differing values across hosts are a problem."""
        by_value: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        unset: list[str] = []
        for host in self.hosts:
            present, value = self._raw(host, spec.name)
            if not present:
                unset.append(host)
                continue
            key = _key(value)
            by_value.setdefault(key, []).append(host)
            values[key] = value
        if not by_value:
            return spec.default, "default", False
        if len(by_value) > 1 or unset:
            if spec.secret:
                shown = [f"{len(hosts)} host(s): {_join(hosts)}" for hosts in by_value.values()]
            else:
                shown = [
                    f"{_show(values[k]) if not isinstance(values[k], Unresolved) else '(unreadable)'} on {_join(hosts)}"
                    for k, hosts in by_value.items()
                ]
            if unset:
                shown.append(f"unset (default {_show(spec.default)}) on {_join(unset)}")
            self.error(
                spec.variable,
                "differs between hosts",
                f"{'; '.join(shown)}: a cluster-wide input takes one value for every host "
                "(set it once, e.g. in group_vars/all)",
            )
            self.bad.add(spec.name)
        key = max(by_value, key=lambda k: len(by_value[k]))
        if len(unset) > len(by_value[key]):
            return spec.default, "default", False
        return values[key], self.where(by_value[key]), True

    # -- type conversion ---------------------------------------------------------------------------------------
    def convert(self, spec: Input, value: Any, where: str) -> tuple[bool, Any]:
        """(ok, converted value) of one raw value; reports the problem when not ok."""
        variable = spec.variable
        if isinstance(value, Unresolved):
            hint = ""
            match = re.search(r"'(vault_[A-Za-z0-9_]+)' is undefined", value.message)
            if match:
                hint = (
                    f": {match.group(1)} comes from the vault file (inventories/<name>/group_vars/all/vault.yml, "
                    "see vault.yml.example); create it, and give --ask-vault-pass or --vault-password-file"
                )
            self.error(variable, where, f"cannot be read: {value.message}{hint}")
            return False, None
        shown = "(value not shown)" if spec.secret else _show(value)
        if value is None:
            if spec.required:
                return True, None  # reported as missing by the caller
            self.error(
                variable, where, f"is null: give a {spec.kind} value or remove it (default {_show(spec.default)})"
            )
            return False, None
        if spec.kind == "str":
            if isinstance(value, bool) or isinstance(value, (dict, list)):
                self.error(variable, where, f"{shown} is a {type(value).__name__}, expected a string")
                return False, None
            value = str(value)
            if spec.choices and value not in spec.choices:
                self.error(variable, where, f"{shown} is not one of {_join(spec.choices)}")
                return False, None
            return True, value
        if spec.kind == "int":
            if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
            ):
                self.error(variable, where, f"{shown} is not a whole number")
                return False, None
            return True, int(value)
        if spec.kind == "bool":
            if isinstance(value, bool):
                return True, value
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                text = value.strip().lower() if isinstance(value, str) else value
                if text in BOOLEANS_TRUE:
                    return True, True
                if text in BOOLEANS_FALSE:
                    return True, False
            self.error(variable, where, f"{shown} is not a boolean (true/false, yes/no)")
            return False, None
        if spec.kind == "list":
            if isinstance(value, str):
                # what kubeadm's own flags take: a comma-separated list
                return True, [item.strip() for item in value.split(",") if item.strip()]
            if not isinstance(value, (list, tuple)):
                self.error(variable, where, f"{shown} is a {type(value).__name__}, expected a list")
                return False, None
            return True, list(value)
        if spec.kind == "dict":
            if not isinstance(value, Mapping):
                self.error(variable, where, f"{shown} is a {type(value).__name__}, expected a mapping")
                return False, None
            return True, dict(value)
        raise ValueError(f"unknown kind {spec.kind}")  # pragma: no cover - a bug in INPUTS

    def load(self) -> None:
        for spec in INPUTS.values():
            if spec.scope == "cluster":
                hosts = [h for h in self.hosts if self._raw(h, spec.name)[0]]
                self.where_of[spec.name] = self.where(hosts) if hosts else "default"
        for spec in INPUTS.values():
            if spec.scope == "host":
                for host in self.hosts:
                    present, raw = self._raw(host, spec.name)
                    if present and host in self.absent and isinstance(raw, Unresolved):
                        # A value made from the host's own facts cannot be read where none were gathered: the
                        # host takes no part in the run (the caller decides what its absence means).
                        self.warn(spec.variable, host, f"does not answer: not read ({raw.message})")
                        self.host_values.setdefault(host, {})[spec.name] = spec.default
                        continue
                    ok, value = self.convert(spec, raw, host) if present else (True, spec.default)
                    if not ok:
                        self.bad.add(spec.name)
                    self.host_values.setdefault(host, {})[spec.name] = value if ok else spec.default
                continue
            # The VRRP secret matters only where keepalived runs: its problems wait for the endpoint checks.
            found = self.problems
            if spec.name in LB_ONLY:
                self.problems = self.deferred.setdefault(spec.name, [])
            raw, where, _present = self.read_cluster(spec)
            if raw is None and spec.required:
                self.values[spec.name] = None
            else:
                ok, value = self.convert(spec, raw, where)
                self.values[spec.name] = value if ok else None
                if not ok:
                    self.bad.add(spec.name)
            self.problems = found

    def ok(self, *names: str) -> bool:
        return all(n not in self.bad and self.values.get(n) is not None for n in names)

    def e(self, name: str, text: str) -> None:
        """A problem with a cluster-wide input."""
        self.error("kha_" + name, self.where_of.get(name, "default"), text)
        self.bad.add(name)

    # -- unknown variables -------------------------------------------------------------------------------------
    def check_unknown(self) -> None:
        known = {spec.variable for spec in INPUTS.values()} | DERIVED
        seen: dict[str, list[str]] = {}
        for host in self.hosts:
            for name in self.variables.get(host) or {}:
                if name.startswith("kha_") and name not in known:
                    seen.setdefault(name, []).append(host)
        for name, hosts in sorted(seen.items()):
            if name in RETIRED:
                self.error(name, self.where(hosts), f"is no longer used: {RETIRED[name]}")
                continue
            close = difflib.get_close_matches(name, sorted(known - DERIVED), n=1, cutoff=0.75)
            hint = f": did you mean {close[0]}?" if close else ": not an input of kubeadm_ha.cluster (a typo?)"
            self.error(name, self.where(hosts), f"is unknown{hint}")

    # -- groups and host names --------------------------------------------------------------------------------
    def check_groups(self) -> None:
        if CONTROL_PLANE_GROUP not in self.groups or not self.control_plane:
            self.error(
                f"group {CONTROL_PLANE_GROUP}",
                "inventory",
                "is missing or empty: list the control-plane nodes (the first one runs kubeadm init)",
            )
        count = len(self.control_plane)
        if count and count % 2 == 0:
            text = (
                f"has {count} hosts ({_join(self.control_plane)}): etcd needs a majority, so {count} members "
                f"tolerate no more failures than {count - 1}"
            )
            if self.values.get("allow_even_control_plane"):
                self.warn(
                    f"group {CONTROL_PLANE_GROUP}", "inventory", text + " (accepted: kha_allow_even_control_plane)"
                )
            else:
                self.error(
                    f"group {CONTROL_PLANE_GROUP}",
                    "inventory",
                    text + "; use 1, 3 or 5, or set kha_allow_even_control_plane: true to accept it",
                )
        elif count == 1:
            self.warn(
                f"group {CONTROL_PLANE_GROUP}",
                "inventory",
                f"has one host ({self.control_plane[0]}): the control plane and etcd are not highly available",
            )
        both = [h for h in self.control_plane if h in self.workers]
        if both:
            self.error(
                f"group {WORKER_GROUP}",
                _join(both),
                f"also in {CONTROL_PLANE_GROUP}: a node is either a control-plane node or a worker; keep it in one "
                "group (remove the control-plane taint with kubelet settings to run workloads there)",
            )
        if CLUSTER_GROUP not in self.groups:
            self.error(
                f"group {CLUSTER_GROUP}",
                "inventory",
                f"is missing: make {CONTROL_PLANE_GROUP} and {WORKER_GROUP} its children",
            )
        else:
            outside = [h for h in self.nodes if h not in self.cluster_hosts]
            if outside:
                self.error(
                    f"group {CLUSTER_GROUP}",
                    _join(outside),
                    f"does not contain these nodes of {CONTROL_PLANE_GROUP}/{WORKER_GROUP}: the runtime and packages "
                    f"are installed on {CLUSTER_GROUP} only (make both groups its children)",
                )
            stray = [h for h in self.cluster_hosts if h not in self.nodes]
            if stray:
                self.error(
                    f"group {CLUSTER_GROUP}",
                    _join(stray),
                    f"holds hosts in neither {CONTROL_PLANE_GROUP} nor {WORKER_GROUP}: they would be prepared but "
                    "never join; put each in one of them",
                )
        for host in self.nodes:
            if len(host) > 253 or not DNS1123_SUBDOMAIN_RE.match(host):
                suggestion = re.sub(r"[^a-z0-9.-]+", "-", host.lower()).strip("-.")
                self.error(
                    "inventory host name",
                    host,
                    "is not a valid Kubernetes node name (lower-case letters, digits, '-' and '.', starting and "
                    f"ending with a letter or digit, at most 253 characters): rename it, e.g. {suggestion!r}, and "
                    "keep the address in ansible_host",
                )

    # -- single inputs --------------------------------------------------------------------------------------------
    def check_version(self) -> None:
        if not self.ok("kubernetes_version"):
            return
        text = self.values["kubernetes_version"].strip()
        match = VERSION_RE.match(text)
        if not match:
            self.e("kubernetes_version", f"{text!r} is not a Kubernetes release (MAJOR.MINOR.PATCH, e.g. 1.32.8)")
            return
        series = (int(match["major"]), int(match["minor"]))
        if series not in SUPPORTED_SERIES:
            listed = (
                f"{SUPPORTED_SERIES[0][0]}.{SUPPORTED_SERIES[0][1]}-{SUPPORTED_SERIES[-1][0]}.{SUPPORTED_SERIES[-1][1]}"
            )
            self.e(
                "kubernetes_version",
                f"{text} is not supported: its release series {series[0]}.{series[1]} is outside {listed}",
            )
            return
        self.values["kubernetes_version"] = f"{match['major']}.{match['minor']}.{match['patch']}"
        self.series = series

    def check_urls(self) -> None:
        for name, schemes in (
            ("kube_repo_base_url", ("http", "https", "file")),
            ("cri_dockerd_url", ("http", "https", "file")),
            ("cni_manifest_url", ("http", "https", "file")),
        ):
            value = self.values.get(name)
            if not self.ok(name) or value == "":
                continue
            match = URL_RE.match(value)
            if not match or match["scheme"].lower() not in schemes or not match["rest"]:
                self.e(
                    name,
                    f"{value!r} is not a URL with a scheme ({'/'.join(schemes)}), e.g. "
                    f"{'https://pkgs.k8s.io' if name == 'kube_repo_base_url' else 'https://mirror.example.internal/...'}",
                )
        checksum = self.values.get("cri_dockerd_checksum")
        if self.ok("cri_dockerd_checksum") and checksum and not re.match(r"^(sha256|sha512|sha1|md5):\S+$", checksum):
            self.e("cri_dockerd_checksum", f"{checksum!r} is not '<algorithm>:<hex or URL>', e.g. 'sha256:<hex>'")

    def check_image_repositories(self) -> None:
        for name in ("image_repository", "cni_image_repository"):
            value = self.values.get(name)
            if not self.ok(name) or (value == "" and name == "cni_image_repository"):
                continue
            if URL_RE.match(value):
                self.e(
                    name,
                    f"{value!r} has a URL scheme: an image repository is 'host[:port]/path' without one, "
                    "e.g. registry.k8s.io or registry.aliyuncs.com/google_containers",
                )
            elif not IMAGE_REPOSITORY_RE.match(value):
                self.e(
                    name,
                    f"{value!r} is not an image repository ('host[:port]/path', path in lower case), e.g. "
                    "registry.k8s.io or registry.aliyuncs.com/google_containers",
                )

    def check_names(self) -> None:
        if self.ok("cluster_name") and not CLUSTER_NAME_RE.match(self.values["cluster_name"]):
            self.e(
                "cluster_name",
                f"{self.values['cluster_name']!r} is not a name (letters, digits, '.', '_', '-', "
                "at most 63 characters)",
            )
        domain = self.values.get("dns_domain")
        if self.ok("dns_domain") and (len(domain) > 253 or not DNS1123_SUBDOMAIN_RE.match(domain)):
            self.e("dns_domain", f"{domain!r} is not a DNS domain (lower-case RFC 1123 subdomain, e.g. cluster.local)")
        if self.ok("apiserver_cert_extra_sans"):
            bad = [
                s
                for s in self.values["apiserver_cert_extra_sans"]
                if not isinstance(s, str)
                or not (_address(s) or DNS1123_SUBDOMAIN_RE.match(s) or WILDCARD_SUBDOMAIN_RE.match(s))
            ]
            if bad:
                self.e(
                    "apiserver_cert_extra_sans",
                    f"{_show(bad)}: each entry must be an IP address or a DNS name "
                    "(lower case, '*.' allowed as the first label)",
                )

    def check_lists(self) -> None:
        if self.ok("kubeadm_ignore_preflight_errors"):
            items = self.values["kubeadm_ignore_preflight_errors"]
            bad = [i for i in items if not isinstance(i, str) or not PREFLIGHT_CHECK_RE.match(i)]
            if bad:
                self.e(
                    "kubeadm_ignore_preflight_errors",
                    f"{_show(bad)} are not kubeadm preflight check names (e.g. FileExisting-crictl, Swap)",
                )
            elif any(i.lower() == "all" for i in items):
                self.e(
                    "kubeadm_ignore_preflight_errors",
                    '"all" would hide every failing kubeadm check: name the checks to ignore instead',
                )
        for name in ("kubeadm_init_skip_phases", "kubeadm_join_skip_phases"):
            if self.ok(name):
                bad = [p for p in self.values[name] if not isinstance(p, str) or not PHASE_RE.match(p)]
                if bad:
                    self.e(name, f"{_show(bad)} are not kubeadm phase names (e.g. preflight, addon/kube-proxy)")
        if self.ok("insecure_registries"):
            bad = [
                r
                for r in self.values["insecure_registries"]
                if not isinstance(r, str) or not REGISTRY_HOST_RE.match(re.sub(r"^https://", "", r).rstrip("/"))
            ]
            if bad:
                self.e(
                    "insecure_registries",
                    f"{_show(bad)}: each entry is a registry 'host[:port]' (plain HTTP) or "
                    "'https://host[:port]' (TLS without verification)",
                )
        for host in self.hosts:
            root = self.host_values.get(host, {}).get("kubelet_cgroup_root", "")
            if root and (not root.startswith("/") or re.search(r"\s|//|/\.\.?(/|$)", root)):
                self.error("kha_kubelet_cgroup_root", host, f"{root!r} is not an absolute cgroup path like /kubelet")
                self.bad.add("kubelet_cgroup_root")

    def check_mirrors(self) -> None:
        if not self.ok("registry_mirrors"):
            return
        mirrors = self.values["registry_mirrors"]
        problems = []
        for registry, endpoints in mirrors.items():
            if not isinstance(registry, str) or not REGISTRY_HOST_RE.match(registry):
                problems.append(f"key {registry!r} is not a registry host[:port]")
            if not isinstance(endpoints, (list, tuple)):
                problems.append(f"{registry}: {_show(endpoints)} is not a list of endpoints")
                continue
            for endpoint in endpoints:
                match = URL_RE.match(str(endpoint))
                if not isinstance(endpoint, str) or not match or match["scheme"] not in ("http", "https"):
                    problems.append(f"{registry}: endpoint {endpoint!r} needs a scheme (https:// or http://)")
        if problems:
            self.e(
                "registry_mirrors", "; ".join(problems) + ' (e.g. {"docker.io": ["https://mirror.example.internal"]})'
            )
            return
        if self.ok("container_runtime") and self.values["container_runtime"] == "docker":
            others = sorted(r for r in mirrors if r != "docker.io")
            if others:
                self.e(
                    "registry_mirrors",
                    f"mirrors for {_join(others)}: docker takes mirrors for docker.io only "
                    "(registry-mirrors); use kha_container_runtime: containerd for other registries",
                )

    def check_runtime(self) -> None:
        series = self.series
        if (
            self.ok("container_runtime")
            and self.values["container_runtime"] == "docker"
            and series
            and series >= (1, 24)
            and self.ok("cri_dockerd_url")
            and not self.values["cri_dockerd_url"]
        ):
            self.e(
                "cri_dockerd_url",
                f"is empty: docker with Kubernetes {self.values['kubernetes_version']} needs "
                "cri-dockerd (the dockershim was removed in 1.24) and no distribution packages it; give a release "
                "asset (.deb, .rpm or .tgz from github.com/Mirantis/cri-dockerd) or a copy on an internal server",
            )

    # -- networks ----------------------------------------------------------------------------------------------
    def parse_subnet(self, name: str) -> list[IPNetwork]:
        if not self.ok(name):
            return []
        text = self.values[name]
        nets: list[IPNetwork] = []
        for part in [p.strip() for p in text.split(",")]:
            net = _network(part)
            if net is None:
                try:
                    loose = ipaddress.ip_network(part, strict=False)
                except ValueError:
                    self.e(name, f"{part!r} is not a network in CIDR notation (e.g. 10.244.0.0/16)")
                else:
                    self.e(name, f"{part} has host bits set: did you mean {loose}?")
                return []
            nets.append(net)
        if len(nets) > 2 or (len(nets) == 2 and nets[0].version == nets[1].version):
            self.e(name, f"{text!r}: one CIDR, or two of different families (IPv4,IPv6) for dual stack")
            return []
        return nets

    def check_subnets(self) -> tuple[list[IPNetwork], list[IPNetwork]]:
        pod = self.parse_subnet("pod_subnet")
        service = self.parse_subnet("service_subnet")
        for net in service:
            bits = net.max_prefixlen - net.prefixlen
            if bits > MAX_SERVICE_SUBNET_BITS:
                longest = net.max_prefixlen - MAX_SERVICE_SUBNET_BITS
                self.e(
                    "service_subnet",
                    f"{net} is too large: the API server takes at most 2^{MAX_SERVICE_SUBNET_BITS} "
                    f"service addresses, so the prefix must be /{longest} or longer",
                )
            elif net.num_addresses < MIN_SERVICE_ADDRESSES:
                self.e(
                    "service_subnet",
                    f"{net} has {net.num_addresses} addresses: kubeadm needs at least "
                    f"{MIN_SERVICE_ADDRESSES} (cluster DNS takes the tenth)",
                )
        node_count = len(self.nodes)
        for net in pod:
            node_mask = NODE_MASK[net.version]
            if net.prefixlen > node_mask:
                self.e(
                    "pod_subnet",
                    f"{net} is smaller than one node's pod range (/{node_mask}, the controller "
                    f"manager's node CIDR size for IPv{net.version})",
                )
            elif node_mask - net.prefixlen > POD_NODE_MASK_MAX_DIFF:
                self.e(
                    "pod_subnet",
                    f"{net} is too large: kubeadm allows at most {POD_NODE_MASK_MAX_DIFF} bits between it "
                    f"and the node CIDR size /{node_mask}, so /{node_mask - POD_NODE_MASK_MAX_DIFF} or longer",
                )
            else:
                capacity = 2 ** (node_mask - net.prefixlen)
                if capacity < node_count:
                    wanted = node_mask - max(node_count - 1, 1).bit_length()
                    self.e(
                        "pod_subnet",
                        f"{net} holds {capacity} node range(s) of /{node_mask}, but the inventory has "
                        f"{node_count} nodes: use a larger network (e.g. /{wanted} or shorter)",
                    )
                elif capacity < 2 * node_count:
                    self.warn(
                        "kha_pod_subnet",
                        self.where_of.get("pod_subnet", "default"),
                        f"{net} holds {capacity} node ranges of /{node_mask} for {node_count} nodes: little room "
                        "to add nodes",
                    )
        for p in pod:
            for s in service:
                if _overlap(p, s):
                    self.e("pod_subnet", f"{p} overlaps kha_service_subnet {s}: use disjoint networks")
        if pod and service and [n.version for n in pod] != [n.version for n in service]:
            service_families = "+".join(f"IPv{n.version}" for n in service)
            pod_families = "+".join(f"IPv{n.version}" for n in pod)
            self.e(
                "service_subnet",
                f"families {service_families} differ from kha_pod_subnet's {pod_families}: both single stack of one "
                "family, or both dual stack in the same order",
            )
        for name in ("node_networks",):
            if self.ok(name):
                bad = [n for n in self.values[name] if not isinstance(n, str) or _network(n) is None]
                if bad:
                    self.e(
                        name,
                        f"{_show(bad)}: each entry is a network in CIDR notation without host bits (e.g. 10.20.0.0/24)",
                    )
        return pod, service

    # -- the API endpoint ----------------------------------------------------------------------------------------
    def lb_hosts(self) -> list[str]:
        mode = self.values.get("lb_mode") or "colocated"
        if mode == "dedicated":
            return list(self.lb_group)
        if mode == "colocated":
            return list(self.control_plane)
        return list(self.control_plane[:1])

    def check_endpoint(self) -> None:
        mode = self.values.get("lb_mode")
        if mode is None:
            return
        vip = self.values.get("api_vip")
        if "api_vip" not in self.bad and vip is None:
            self.e(
                "api_vip",
                "is required: the address of the API endpoint (a free address in the control-plane "
                "nodes' subnet for colocated/dedicated, the load balancer's address or name for external)",
            )
        elif self.ok("api_vip"):
            address = _address(vip)
            if mode == "external":
                if address is None and (len(vip) > 253 or not DNS1123_SUBDOMAIN_RE.match(vip)):
                    self.e("api_vip", f"{vip!r} is neither an IP address nor a DNS name of the external load balancer")
            elif address is None:
                self.e(
                    "api_vip",
                    f"{vip!r} is not an IP address: with kha_lb_mode {mode} it is the VRRP virtual IP "
                    "(a name only works with kha_lb_mode external)",
                )
            elif address.version != 4:
                self.e(
                    "api_vip",
                    f"{vip} is IPv6: keepalived here carries an IPv4 VIP only (use an IPv4 VIP, or "
                    "kha_lb_mode external)",
                )
            else:
                self.values["api_vip"] = address.compressed
        if self.ok("api_port"):
            port = self.values["api_port"]
            if not 1 <= port <= 65535:
                self.e("api_port", f"{port} is not a port (1-65535)")
            elif mode == "colocated" and port == API_SERVER_PORT:
                self.e(
                    "api_port",
                    f"{port} is the API server's own port: with kha_lb_mode colocated haproxy runs beside "
                    "the API server and needs another port (e.g. 8443)",
                )
        if mode != "external":
            if self.ok("vrrp_router_id") and not 1 <= self.values["vrrp_router_id"] <= 255:
                self.e("vrrp_router_id", f"{self.values['vrrp_router_id']} is outside 1-255")
            self.problems.extend(self.deferred.get("vrrp_password", []))
            password = self.values.get("vrrp_password")
            if "vrrp_password" not in self.bad:
                if password is None:
                    self.e(
                        "vrrp_password",
                        "is required with kha_lb_mode " + mode + ": keep it in a vault "
                        "(vault_kha_vrrp_password, see vault.yml.example)",
                    )
                elif not VRRP_PASSWORD_RE.match(password):
                    self.e(
                        "vrrp_password",
                        "(value not shown) must be 1 to 8 characters without whitespace, quotes, "
                        "'#', '!', ';' or braces: keepalived's PASS authentication uses 8 characters",
                    )
        if mode == "dedicated":
            if not self.lb_group:
                self.error(
                    f"group {LB_GROUP}",
                    "inventory",
                    "is empty but kha_lb_mode is dedicated: list the load-balancer hosts, or use kha_lb_mode colocated",
                )
            elif len(self.lb_group) == 1:
                self.warn(
                    f"group {LB_GROUP}", self.lb_group[0], "has one host: the VIP has no second holder to fail over to"
                )
        elif self.lb_group:
            self.error(
                f"group {LB_GROUP}",
                _join(self.lb_group),
                f"lists load balancers but kha_lb_mode is {mode}: they would get nothing; remove them or set "
                "kha_lb_mode: dedicated",
            )

    # -- addresses (need facts) --------------------------------------------------------------------------------
    def node_addresses(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        node_networks = (
            [
                n
                for n in (_network(x) for x in (self.values.get("node_networks") or []) if isinstance(x, str))
                if n is not None
            ]
            if self.ok("node_networks")
            else []
        )
        for host in self.hosts:
            explicit = self.host_values.get(host, {}).get("node_ip", "")
            facts = self.facts.get(host)
            entry: dict[str, Any] = {"node_ip": "", "node_ip_source": "", "networks": []}
            result[host] = entry
            if explicit:
                address = _address(explicit)
                if address is None:
                    self.error("kha_node_ip", host, f"{explicit!r} is not an IP address")
                    self.bad.add("node_ip")
                    continue
                entry.update(node_ip=address.compressed, node_ip_source="kha_node_ip")
            if not facts:
                if host in self.absent:
                    # The caller decides what a host that does not answer means (front door: a member is left out).
                    self.warnings.append(f"{host}: does not answer: its addresses were not checked")
                elif self.require_facts:
                    self.error("facts", host, "none could be gathered (unreachable?): its addresses cannot be checked")
                else:
                    self.warnings.append(f"{host}: no facts (unreachable?): its addresses were not checked")
                continue
            summary = host_summary(facts, "", entry["node_ip"], self.ignore_interfaces)
            own = set(list(facts.get("all_ipv4_addresses") or []) + list(facts.get("all_ipv6_addresses") or []))
            own = {a.compressed for a in (_address(x) for x in own) if a is not None}
            if explicit:
                if entry["node_ip"] not in own:
                    self.error(
                        "kha_node_ip",
                        host,
                        f"{entry['node_ip']} is not an address of this host (it has {_join(sorted(own)) or 'none'})",
                    )
                    self.bad.add("node_ip")
                    continue
            elif node_networks:
                found = [
                    ipaddress.ip_interface(c).ip.compressed
                    for cidrs in summary["networks"].values()
                    for c in cidrs
                    if any(ipaddress.ip_interface(c).ip in n for n in node_networks)
                ]
                if not found:
                    self.error(
                        "kha_node_networks",
                        host,
                        f"no address of this host is inside "
                        f"{_join(str(n) for n in node_networks)} (it has {_join(summary['addresses']) or 'none'}): "
                        "set kha_node_ip for it",
                    )
                    self.bad.add("node_ip")
                    continue
                entry.update(node_ip=found[0], node_ip_source="kha_node_networks")
                summary = host_summary(facts, "", found[0], self.ignore_interfaces)
            else:
                default = (
                    (facts.get("default_ipv4") or {}).get("address")
                    or (facts.get("default_ipv6") or {}).get("address")
                    or ""
                )
                if not default:
                    self.error(
                        "kha_node_ip",
                        host,
                        "is not set and this host has no default route to take an address "
                        "from: set kha_node_ip (or kha_node_networks)",
                    )
                    self.bad.add("node_ip")
                    continue
                entry.update(node_ip=_address(default).compressed, node_ip_source="default route")
                summary = host_summary(facts, "", entry["node_ip"], self.ignore_interfaces)
            entry["networks"] = summary["node_networks"]
            entry["all_networks"] = summary["networks"]
            if node_networks and explicit:
                address = ipaddress.ip_address(entry["node_ip"])
                if not any(address in n for n in node_networks):
                    self.warn(
                        "kha_node_ip",
                        host,
                        f"{entry['node_ip']} is outside kha_node_networks ({_join(str(n) for n in node_networks)})",
                    )
        return result

    def check_addresses(
        self, addresses: dict[str, dict[str, Any]], pod: list[IPNetwork], service: list[IPNetwork]
    ) -> None:
        known = {h: a for h, a in addresses.items() if a.get("node_ip")}
        # one address, one node
        owners: dict[str, list[str]] = {}
        for host in self.nodes:
            if host in known:
                owners.setdefault(known[host]["node_ip"], []).append(host)
        for address, hosts in owners.items():
            if len(hosts) > 1:
                self.error(
                    "kha_node_ip",
                    _join(hosts),
                    f"{address} is the node address of {len(hosts)} nodes: every node needs its own",
                )
        # one family for every node, matching the cluster networks
        families = {h: ipaddress.ip_address(known[h]["node_ip"]).version for h in self.nodes if h in known}
        if len(set(families.values())) > 1:
            v4 = [h for h, f in families.items() if f == 4]
            v6 = [h for h, f in families.items() if f == 6]
            self.error(
                "kha_node_ip",
                "mixed",
                f"IPv4 node addresses on {_join(v4)} but IPv6 on {_join(v6)}: every node uses the same family",
            )
        elif families and (pod or service):
            family = next(iter(families.values()))
            primary = (service or pod)[0].version
            if family != primary:
                self.error(
                    "kha_node_ip",
                    self.where(list(families)),
                    f"the node addresses are IPv{family} but the first family of "
                    f"{'kha_service_subnet' if service else 'kha_pod_subnet'} is IPv{primary}: the API server "
                    "advertises a node address of the primary service family",
                )
        # pod and service networks against every network a node is on
        for label, nets in (("pod_subnet", pod), ("service_subnet", service)):
            for net in nets:
                clashes: dict[str, list[str]] = {}
                for host in self.hosts:
                    for iface, cidrs in sorted((addresses.get(host, {}).get("all_networks") or {}).items()):
                        for cidr in cidrs:
                            node_net = ipaddress.ip_interface(cidr).network
                            if _overlap(net, node_net):
                                clashes.setdefault(str(node_net), []).append(f"{host} ({iface})")
                for node_net, hosts in sorted(clashes.items()):
                    self.e(
                        label,
                        f"{net} overlaps the network {node_net} of {_join(hosts)}: pod and service networks "
                        "must not overlap any network the hosts are on",
                    )
        # the VIP
        mode = self.values.get("lb_mode")
        if not self.ok("api_vip", "lb_mode") or mode == "external":
            return
        vip = _address(self.values["api_vip"])
        if vip is None:
            return
        for host, entry in known.items():
            if entry["node_ip"] == vip.compressed:
                self.e("api_vip", f"{vip} is the node address of {host}: the VIP must be a free address")
        for label, nets in (("pod_subnet", pod), ("service_subnet", service)):
            for net in nets:
                if vip.version == net.version and vip in net:
                    self.e("api_vip", f"{vip} lies inside kha_{label} {net}")
        outside = []
        for host in self.lb_hosts():
            entry = addresses.get(host) or {}
            # (without facts, e.g. a host that does not answer, its networks are unknown)
            if not entry.get("node_ip") or "all_networks" not in entry:
                continue
            nets = [ipaddress.ip_network(n) for n in entry.get("networks") or []]
            if not any(vip.version == n.version and vip in n for n in nets):
                outside.append(f"{host} ({_join(str(n) for n in nets) or 'no network holds ' + entry['node_ip']})")
        if outside:
            holders = "control-plane nodes" if mode == "colocated" else f"{LB_GROUP} hosts"
            self.e(
                "api_vip",
                f"{vip} is outside the network of the node address of {_join(outside)}: the VIP moves "
                f"between the {holders}, so it must be in their subnet (or set kha_node_ip / kha_node_networks to "
                "their address in the VIP's network)",
            )

    def check_bridge(self, addresses: dict[str, dict[str, Any]]) -> None:
        """kha_cni bridge routes each podCIDR via the node's address: every node on one layer-2 network."""
        if self.values.get("cni") != "bridge":
            return
        nets: dict[str, set[str]] = {}
        for host in self.nodes:
            entry = addresses.get(host) or {}
            if entry.get("node_ip") and "all_networks" in entry:
                nets[host] = set(entry.get("networks") or [])
        if len(nets) < 2:
            return
        common = set.intersection(*nets.values())
        if not common:
            shown = "; ".join(f"{h} in {_join(sorted(n)) or 'no network'}" for h, n in sorted(nets.items()))
            self.e(
                "cni",
                f"bridge routes each node's pod network via the node's address, so every node must be on one "
                f"layer-2 network, but {shown}: use calico or flannel across routed networks",
            )

    def check_extra_var_only(self) -> None:
        for spec in INPUTS.values():
            if not spec.extra_var_only:
                continue
            hosts = [h for h in self.hosts if self._raw(h, spec.name)[0]]
            if hosts and self.extra_vars is not None and spec.variable not in self.extra_vars:
                self.error(
                    spec.variable,
                    self.where(hosts),
                    "is read by a play keyword (serial), which does not see "
                    f"inventory variables: give it as an extra variable (-e {spec.variable}=...)",
                )
                self.bad.add(spec.name)
        batch = self.values.get("upgrade_worker_batch")
        if self.ok("upgrade_worker_batch") and not re.match(r"^([1-9][0-9]*|([1-9][0-9]?|100)%)$", str(batch)):
            self.e(
                "upgrade_worker_batch",
                f"{batch!r} is not a batch size: a number of hosts (1 or more) or a percentage (1%-100%)",
            )

    def check_day2(self) -> None:
        if self.ok("etcd_backup_keep") and self.values["etcd_backup_keep"] < 1:
            self.e("etcd_backup_keep", f"{self.values['etcd_backup_keep']}: keep at least 1 snapshot")
        if self.ok("cert_renew_threshold_days") and not 0 <= self.values["cert_renew_threshold_days"] <= 3650:
            self.e("cert_renew_threshold_days", f"{self.values['cert_renew_threshold_days']} is not 0-3650 days")
        if self.ok("etcd_backup_push_command"):
            bad = [a for a in self.values["etcd_backup_push_command"] if not isinstance(a, str)]
            if bad:
                self.e(
                    "etcd_backup_push_command",
                    f"{_show(bad)}: a command is a list of strings (the snapshot path is appended)",
                )
        if self.ok("remove_nodes"):
            bad = [n for n in self.values["remove_nodes"] if not isinstance(n, str) or n not in self.nodes]
            if bad:
                self.e("remove_nodes", f"{_show(bad)}: not nodes of this inventory (kube_control_plane or kube_node)")
        image = self.values.get("smoke_image")
        if self.ok("smoke_image") and not IMAGE_REF_RE.match(image):
            self.e("smoke_image", f"{image!r} is not an image reference ('host[:port]/path[:tag]' or '...@sha256:...')")

    # -- the result ---------------------------------------------------------------------------------------------
    def derive(self, addresses: dict[str, dict[str, Any]]) -> dict[str, Any]:
        cluster: dict[str, Any] = {}
        for spec in INPUTS.values():
            if spec.scope == "cluster" and not spec.secret:
                cluster[spec.name] = self.values.get(spec.name)
        series = self.series
        minor = series[1] if series else None
        cluster["kubernetes_minor"] = f"{series[0]}.{series[1]}" if series else None
        cluster["kubeadm_api_version"] = kubeadm_api_version(minor) if minor is not None else None
        runtime = self.values.get("container_runtime") or "containerd"
        cluster["cri_socket"] = cri_socket(runtime, minor) if minor is not None else None
        cluster["cri_dockerd_needed"] = bool(runtime == "docker" and minor is not None and minor >= 24)
        cluster["control_plane"] = list(self.control_plane)
        cluster["first_control_plane"] = self.control_plane[0] if self.control_plane else None
        cluster["workers"] = list(self.workers)
        cluster["nodes"] = list(self.nodes)
        vip = self.values.get("api_vip")
        port = self.values.get("api_port")
        cluster["api_endpoint"] = f"{_wrap(vip)}:{port}" if vip and port else None
        cluster["lb_hosts"] = self.lb_hosts()
        cluster["lb_backends"] = [
            {"name": host, "address": (addresses.get(host) or {}).get("node_ip", ""), "port": API_SERVER_PORT}
            for host in self.control_plane
        ]
        cluster["hosts"] = {
            host: {
                "node_ip": (addresses.get(host) or {}).get("node_ip", ""),
                "node_ip_source": (addresses.get(host) or {}).get("node_ip_source", ""),
                "kubelet_cgroup_root": self.host_values.get(host, {}).get("kubelet_cgroup_root", ""),
            }
            for host in self.hosts
        }
        return cluster

    def run(self) -> Report:
        self.load()
        self.check_unknown()
        self.check_groups()
        self.check_version()
        self.check_urls()
        self.check_image_repositories()
        self.check_names()
        self.check_lists()
        self.check_mirrors()
        self.check_runtime()
        pod, service = self.check_subnets()
        self.check_endpoint()
        addresses = self.node_addresses()
        self.check_addresses(addresses, pod, service)
        self.check_bridge(addresses)
        self.check_extra_var_only()
        self.check_day2()
        cluster = self.derive(addresses)
        return Report(errors=[str(p) for p in self.problems], warnings=list(self.warnings), cluster=cluster)


def check_inventory(
    groups: Mapping[str, Sequence[str]],
    variables: Mapping[str, Mapping[str, Any]],
    facts: Mapping[str, Optional[Mapping[str, Any]]],
    *,
    require_facts: bool = True,
    ignore_interfaces: str = DEFAULT_IGNORE_INTERFACES,
    extra_vars: Optional[Sequence[str]] = None,
    absent: Optional[Sequence[str]] = None,
) -> Report:
    """Check every kha_* input and the groups of an inventory; derive the cluster facts.

    ``groups``: inventory group -> hosts (Ansible's ``groups``). ``variables``: host -> that host's kha_* variables
    (templated; ``Unresolved`` where templating failed). ``facts``: host -> its ``ansible_facts`` (None or empty when
    they could not be gathered; an error when ``require_facts``, else a warning). ``extra_vars``: the names given as
    extra variables (-e), when known: an input only a play keyword reads must be one of them. ``absent``: hosts that
    did not answer, whose missing facts are a warning (the caller decides what their absence means).
    """
    return _Checker(
        groups,
        variables,
        facts,
        require_facts=require_facts,
        absent=absent,
        ignore_interfaces=ignore_interfaces,
        extra_vars=frozenset(extra_vars) if extra_vars is not None else None,
    ).run()


__all__ = [
    "INPUTS",
    "RETIRED",
    "Input",
    "Report",
    "Unresolved",
    "check_inventory",
    "cri_socket",
    "kubeadm_api_version",
    "kubeadm_cri_socket",
    "version_minor",
]
