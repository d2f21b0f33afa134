# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure check logic of the preflight role (private): host summaries, inventory-wide and port checks.

``host_summary``     gathered facts of one host -> the values the inventory-wide checks compare
``inventory_report`` the summaries of every node + cluster inputs -> errors and warnings
``port_report``      listening sockets of one host -> errors and warnings for the ports it needs

Every function here is pure (no I/O, no Ansible state), so each check is unit tested directly
(tests/unit/plugins/filter/test_preflight.py); the filters plugins/filter/preflight_*.py (one per file, their
adapter in plugin_utils/_preflight_filter.py) and the front door (module_utils/_cluster_inputs.py) use them.
Every message names the hosts and values involved, so an operator knows what to fix without reading the role.
Controller-side code, written to import on Python 3.8 too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any, Union

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

# Interfaces that belong to container runtimes, CNI plugins and kube-proxy, not to the node: their MAC
# addresses are random or shared by design, and their networks are the pod/service networks themselves
# once a node is installed (cni0 inside the pod subnet, kube-ipvs0 carrying service addresses).
DEFAULT_IGNORE_INTERFACES = (
    r"^(lo|veth.*|cni.*|flannel.*|cali.*|tunl.*|vxlan.*|kube-ipvs.*|kube-bridge|nodelocaldns|cilium.*|lxc.*|"
    r"weave.*|datapath|genev_sys.*|tap.*|docker.*|br-[0-9a-f]{12}|virbr.*)$"
)

# What each well-known port is for, to say so when it is taken.
PORT_USERS = {
    6443: "kube-apiserver",
    2379: "etcd (clients)",
    2380: "etcd (peers)",
    10250: "kubelet",
    10257: "kube-controller-manager",
    10259: "kube-scheduler",
}

# Linux truncates a process name (comm) to 15 characters: kube-controller-manager shows as kube-controller.
COMM_LEN = 15

UNAVAILABLE_UUIDS = {"", "na", "none", "not settable", "not specified", "00000000-0000-0000-0000-000000000000"}

VERSION_RE = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)(?P<pre>[-+][0-9A-Za-z.+-]*)?$")
MINOR_RE = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)$")


class PreflightInputError(ValueError):
    """An input of a preflight filter has the wrong shape (not a failed check: a bug in the caller)."""


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------
def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


def _networks(value: str | Iterable[str] | None, label: str, errors: list[str]) -> list[IPNetwork]:
    """Parse a network input ("10.244.0.0/16", dual stack "10.244.0.0/16,fd00:10::/56", or a list).

    Malformed values become an error message (naming the variable) and are left out.
    """
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    result: list[IPNetwork] = []
    for raw in items:
        text = str(raw).strip()
        if not text:
            continue
        try:
            result.append(ipaddress.ip_network(text, strict=True))
        except ValueError as exc:
            try:
                loose = ipaddress.ip_network(text, strict=False)
            except ValueError:
                errors.append(f"{label} {text!r} is not a network in CIDR notation: {exc}")
            else:
                errors.append(f"{label} {text} has host bits set: did you mean {loose}?")
    return result


def _overlap(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def _parse_version(value: str) -> tuple[int, int, int] | None:
    match = VERSION_RE.match(value.strip())
    if not match:
        return None
    return int(match["major"]), int(match["minor"]), int(match["patch"])


def _port_ranges(ports: Iterable[Any], label: str) -> list[tuple[int, int]]:
    """Turn [6443, "2379-2380", "10250"] into [(6443, 6443), (2379, 2380), (10250, 10250)]."""
    ranges = []
    for raw in ports:
        text = str(raw).strip()
        match = re.fullmatch(r"(\d+)(?:[-:](\d+))?", text)
        if not match:
            raise PreflightInputError(f"{label}: {text!r} is neither a port nor a range PORT-PORT")
        low = int(match[1])
        high = int(match[2]) if match[2] else low
        if not 0 < low <= high <= 65535:
            raise PreflightInputError(f"{label}: {text!r} is not a valid port range (1-65535, low-high)")
        ranges.append((low, high))
    return ranges


def _range_text(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _is_kubernetes_process(name: str, kubernetes_processes: Iterable[str]) -> bool:
    if not name:
        return False
    for known in kubernetes_processes:
        if name == known or (len(name) == COMM_LEN and known.startswith(name)):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------
# preflight_host_summary
# ---------------------------------------------------------------------------------------------------------
def host_summary(
    facts: Mapping[str, Any],
    node_name: str = "",
    node_ip: str = "",
    ignore_interfaces: str = DEFAULT_IGNORE_INTERFACES,
) -> dict[str, Any]:
    """Extract what the inventory-wide checks compare from one host's gathered facts.

    ``facts`` is ``ansible_facts`` (gather_subset min, hardware, network). ``node_name`` overrides the
    Kubernetes node name (default: the kernel host name, lower-cased, as kubelet does); ``node_ip``
    overrides the node address (default: the address of the default IPv4 route).
    Returns ``{name, node_ip, node_networks, macs, networks, product_uuid}`` where ``macs`` maps interface ->
    MAC, ``networks`` maps interface -> list of CIDRs, ``node_networks`` lists the networks that hold
    ``node_ip`` and ``product_uuid`` is None when the host does not expose one.
    """
    if not isinstance(facts, Mapping):
        raise PreflightInputError(f"preflight_host_summary expects ansible_facts, got {type(facts).__name__}")
    try:
        ignore = re.compile(ignore_interfaces)
    except re.error as exc:
        raise PreflightInputError(
            f"ignore_interfaces {ignore_interfaces!r} is not a regular expression: {exc}"
        ) from exc

    name = (node_name or facts.get("nodename") or facts.get("hostname") or "").strip().lower()
    address = (node_ip or (facts.get("default_ipv4") or {}).get("address") or "").strip()

    macs: dict[str, str] = {}
    networks: dict[str, list[str]] = {}
    for iface in facts.get("interfaces") or []:
        if ignore.fullmatch(iface):
            continue
        data = facts.get(iface.replace("-", "_")) or facts.get(iface) or {}
        if not isinstance(data, Mapping):
            continue
        mac = str(data.get("macaddress") or "").lower()
        if mac and mac.strip("0:"):
            macs[iface] = mac
        cidrs: list[str] = []
        v4 = [data["ipv4"]] if isinstance(data.get("ipv4"), Mapping) else []
        for entry in v4 + list(data.get("ipv4_secondaries") or []):
            if entry.get("address") and entry.get("netmask"):
                cidrs.append(str(ipaddress.ip_interface(f"{entry['address']}/{entry['netmask']}")))
        for entry in data.get("ipv6") or []:
            if entry.get("address") and entry.get("prefix") and entry.get("scope", "global") not in ("link", "host"):
                cidrs.append(str(ipaddress.ip_interface(f"{entry['address']}/{entry['prefix']}")))
        if cidrs:
            networks[iface] = cidrs

    node_networks = []
    if address:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            ip = None
        if ip is not None:
            for cidrs in networks.values():
                for cidr in cidrs:
                    net = ipaddress.ip_interface(cidr).network
                    if ip.version == net.version and ip in net and str(net) not in node_networks:
                        node_networks.append(str(net))

    uuid = str(facts.get("product_uuid") or "").strip()
    return {
        "name": name,
        "node_ip": address,
        "node_networks": node_networks,
        "addresses": sorted({ipaddress.ip_interface(c).ip.compressed for cs in networks.values() for c in cs}),
        "macs": macs,
        "networks": networks,
        "product_uuid": None if uuid.lower() in UNAVAILABLE_UUIDS else uuid.lower(),
    }


# ---------------------------------------------------------------------------------------------------------
# preflight_inventory_report
# ---------------------------------------------------------------------------------------------------------
def _check_unique(hosts: Mapping[str, Mapping[str, Any]], errors: list[str], warnings: list[str]) -> None:
    names: dict[str, list[str]] = {}
    macs: dict[str, list[str]] = {}
    uuids: dict[str, list[str]] = {}
    no_uuid: list[str] = []
    for host, summary in sorted(hosts.items()):
        if summary.get("name"):
            names.setdefault(summary["name"], []).append(host)
        for iface, mac in sorted((summary.get("macs") or {}).items()):
            macs.setdefault(mac, []).append(f"{host} ({iface})")
        if summary.get("product_uuid"):
            uuids.setdefault(summary["product_uuid"], []).append(host)
        else:
            no_uuid.append(host)
    for name, owners in sorted(names.items()):
        if len(owners) > 1:
            errors.append(
                f"node name {name!r} is used by {_join(owners)}: Kubernetes names each node after its host name, "
                "so every node needs its own (rename the hosts or set preflight_node_name per host)"
            )
    for mac, owners in sorted(macs.items()):
        hosts_with_mac = {owner.split(" ", 1)[0] for owner in owners}
        if len(hosts_with_mac) > 1:
            errors.append(
                f"MAC address {mac} is on {_join(owners)}: every node needs unique MAC addresses "
                "(cloned VMs? regenerate them)"
            )
    for uuid, owners in sorted(uuids.items()):
        if len(owners) > 1:
            errors.append(
                f"product_uuid {uuid} is shared by {_join(owners)}: every node needs a unique product_uuid "
                "(cloned VMs? give each one its own UUID)"
            )
    if no_uuid:
        warnings.append(
            f"product_uuid is unavailable on {_join(sorted(no_uuid))} (no readable /sys/class/dmi/id/product_uuid, "
            "as in containers and some VMs): its uniqueness was not checked there"
        )


def _check_networks(
    hosts: Mapping[str, Mapping[str, Any]],
    pod: list[IPNetwork],
    service: list[IPNetwork],
    errors: list[str],
) -> None:
    for p in pod:
        for s in service:
            if _overlap(p, s):
                errors.append(
                    f"preflight_pod_subnet {p} and preflight_service_subnet {s} overlap: use disjoint networks"
                )
    for label, nets in (("preflight_pod_subnet", pod), ("preflight_service_subnet", service)):
        for net in nets:
            clashes: dict[str, list[str]] = {}
            for host, summary in sorted(hosts.items()):
                for iface, cidrs in sorted((summary.get("networks") or {}).items()):
                    for cidr in cidrs:
                        node_net = ipaddress.ip_interface(cidr).network
                        if _overlap(net, node_net):
                            clashes.setdefault(str(node_net), []).append(f"{host} ({iface})")
            for node_net, owners in sorted(clashes.items()):
                errors.append(
                    f"{label} {net} overlaps the node network {node_net} of {_join(owners)}: "
                    "pod and service networks must not overlap any network the nodes are on"
                )


def _check_vip(
    hosts: Mapping[str, Mapping[str, Any]],
    *,
    control_plane: list[str],
    api_vip: str,
    pod: list[IPNetwork],
    service: list[IPNetwork],
    errors: list[str],
) -> None:
    try:
        vip = ipaddress.ip_address(api_vip.strip())
    except ValueError:
        errors.append(f"preflight_api_vip {api_vip!r} is not an IP address")
        return
    for host, summary in sorted(hosts.items()):
        if summary.get("node_ip") == vip.compressed:
            errors.append(f"preflight_api_vip {vip} is the address of node {host}: the VIP must be a free address")
    for label, nets in (("preflight_pod_subnet", pod), ("preflight_service_subnet", service)):
        for net in nets:
            if vip.version == net.version and vip in net:
                errors.append(f"preflight_api_vip {vip} lies inside {label} {net}")
    outside = []
    for host in control_plane:
        summary = hosts.get(host)
        if summary is None:
            continue
        nets = [ipaddress.ip_network(n) for n in summary.get("node_networks") or []]
        if not any(vip.version == n.version and vip in n for n in nets):
            where = _join(str(n) for n in nets) or f"no network holds node address {summary.get('node_ip') or '(none)'}"
            outside.append(f"{host} ({where})")
    if outside:
        errors.append(
            f"preflight_api_vip {vip} is outside the node network of control-plane node(s) {_join(outside)}: "
            "the VIP moves between control-plane nodes, so it must be in their subnet"
        )


def _check_version(kubernetes_version: str, supported: list[str], errors: list[str]) -> None:
    parsed = _parse_version(kubernetes_version)
    if parsed is None:
        errors.append(
            f"preflight_kubernetes_version {kubernetes_version!r} is not a Kubernetes release "
            "(expected MAJOR.MINOR.PATCH, e.g. 1.30.6)"
        )
        return
    series = []
    for item in supported:
        match = MINOR_RE.match(str(item).strip())
        if not match:
            raise PreflightInputError(f"preflight_supported_versions: {item!r} is not a release series MAJOR.MINOR")
        series.append((int(match["major"]), int(match["minor"])))
    if parsed[:2] not in series:
        listed = _join(f"{a}.{b}" for a, b in sorted(series)) or "(none)"
        errors.append(
            f"preflight_kubernetes_version {kubernetes_version} is not supported: its release series "
            f"{parsed[0]}.{parsed[1]} is not in preflight_supported_versions ({listed})"
        )


def inventory_report(
    hosts: Mapping[str, Mapping[str, Any]],
    *,
    control_plane: Iterable[str] | None = None,
    pod_subnet: str = "",
    service_subnet: str = "",
    api_vip: str = "",
    kubernetes_version: str = "",
    supported_versions: Iterable[str] | None = None,
    unchecked: Iterable[str] | None = None,
) -> dict[str, list[str]]:
    """Check the inventory as a whole. Returns ``{"errors": [...], "warnings": [...]}``.

    ``hosts`` maps inventory host -> preflight_host_summary of every node; ``control_plane`` lists the
    control-plane nodes; empty string inputs skip their checks; ``unchecked`` lists nodes whose facts could
    not be read (reported as a warning).
    """
    if not isinstance(hosts, Mapping):
        raise PreflightInputError(f"preflight_inventory_report expects host -> summary, got {type(hosts).__name__}")
    errors: list[str] = []
    warnings: list[str] = []
    cp = list(control_plane or [])

    _check_unique(hosts, errors, warnings)

    pod = _networks(pod_subnet, "preflight_pod_subnet", errors)
    service = _networks(service_subnet, "preflight_service_subnet", errors)
    _check_networks(hosts, pod, service, errors)

    if cp and len(cp) % 2 == 0:
        warnings.append(
            f"{len(cp)} control-plane nodes ({_join(cp)}): etcd needs a majority, and an even number tolerates no more "
            f"failures than {len(cp) - 1}; use an odd number (1, 3, 5)"
        )
    if api_vip:
        _check_vip(hosts, control_plane=cp, api_vip=api_vip, pod=pod, service=service, errors=errors)
    if kubernetes_version:
        _check_version(str(kubernetes_version), [str(v) for v in (supported_versions or [])], errors)
    missing = sorted(unchecked or [])
    if missing:
        warnings.append(
            f"no facts from {_join(missing)} (unreachable?): uniqueness and network checks did not include them"
        )
    return {"errors": errors, "warnings": warnings}


# ---------------------------------------------------------------------------------------------------------
# preflight_port_report
# ---------------------------------------------------------------------------------------------------------
_SS_PROCESS = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+)')


def parse_ss_listen(line: str) -> dict[str, Any] | None:
    """One line of ``ss -Htlnp`` as a listen_ports_facts ``tcp_listen`` entry (port, address, name, pid, protocol).

    ``LISTEN 0 4096 127.0.0.1:2379 0.0.0.0:* users:(("etcd",pid=1234,fd=7))``; the address may be ``*``,
    ``[::]``, ``[fe80::1]%eth0`` or ``0.0.0.0%lo``; a socket of another namespace's process has no users part.
    Returns None for a line that is not a listening TCP socket.
    """
    fields = line.split()
    if len(fields) < 5 or fields[0] != "LISTEN" or ":" not in fields[3]:
        return None
    address, port = fields[3].rsplit(":", 1)
    if not port.isdigit():
        return None
    address = address.split("%", 1)[0].strip("[]") or "*"
    process = _SS_PROCESS.search(" ".join(fields[5:]))
    return {
        "port": int(port),
        "address": address,
        "name": process.group(1) if process else "",
        "pid": int(process.group(2)) if process else "",
        "protocol": "tcp",
    }


def port_report(
    listening: Iterable[Mapping[str, Any] | str],
    required: Iterable[Any],
    *,
    nodeport_range: str = "",
    kubernetes_processes: Iterable[str] | None = None,
    installed: bool = False,
) -> dict[str, list[str]]:
    """Check that the ports a node needs are free.

    ``listening`` is ``tcp_listen`` from community.general.listen_ports_facts (dicts with port, address,
    name, pid), or the lines of ``ss -Htlnp`` (parse_ss_listen; other lines are skipped). A required port held
    by a Kubernetes process (``kubernetes_processes``; the 15-character
    truncated process name counts) is fine: the node runs Kubernetes already. On an ``installed`` node
    (kubelet.conf exists) a port held by another or an unnamed process is a warning, on a new node an error.
    Anything listening in ``nodeport_range`` is a warning. Returns ``{"errors", "warnings", "kubernetes"}``,
    the last listing ports already served by Kubernetes.
    """
    kube = list(kubernetes_processes or [])
    needed = _port_ranges(required, "required ports")
    nodeports = _port_ranges([nodeport_range], "preflight_nodeport_range") if nodeport_range else []
    errors: list[str] = []
    warnings: list[str] = []
    by_kubernetes: list[str] = []
    seen: set[tuple[int, str, str]] = set()
    listening = [parse_ss_listen(item) if isinstance(item, str) else item for item in listening]
    listening = [item for item in listening if item]
    for sock in sorted(listening, key=lambda s: (int(s.get("port", 0)), str(s.get("address", "")))):
        port = int(sock.get("port", 0))
        name = str(sock.get("name") or "").strip()
        pid = sock.get("pid") or ""
        address = str(sock.get("address") or "*")
        key = (port, name, str(pid))
        if key in seen:  # the same process on 0.0.0.0 and [::]
            continue
        seen.add(key)
        who = f"{name} (pid {pid})" if name else "an unidentified process"
        for low, high in needed:
            if low <= port <= high:
                user = PORT_USERS.get(port, "Kubernetes")
                if _is_kubernetes_process(name, kube):
                    by_kubernetes.append(f"{port}/tcp ({name})")
                elif installed:
                    warnings.append(
                        f"port {port}/tcp ({user}) is held by {who} on {address}, and this node is already installed: "
                        "check that it is the Kubernetes component"
                    )
                else:
                    errors.append(
                        f"port {port}/tcp is already in use by {who} on {address}; {user} needs it: stop that process "
                        "or free the port"
                    )
        for low, high in nodeports:
            if low <= port <= high and not _is_kubernetes_process(name, kube):
                warnings.append(
                    f"{who} listens on {address}:{port}, inside the NodePort range {_range_text(low, high)}: "
                    "a NodePort service given that port would collide with it"
                )
    return {"errors": errors, "warnings": warnings, "kubernetes": by_kubernetes}
