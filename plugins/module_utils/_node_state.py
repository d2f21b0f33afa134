# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What state each node is in, worked out from the hosts themselves (private, pure).

Every run reads each node (module ``kubeadm_ha.cluster.node_state``: its kubeadm files, and on control-plane nodes
their API server, etcd and the cluster's Node objects as seen from there), then decides here, on the controller:

``serving_control_plane(control_plane, probes)``
    which control-plane node serves this run (join material, kubectl, etcd members): the first one, in inventory
    order, that is reachable, whose API server answers, that is a started etcd member, and that could list the
    cluster's nodes. The others are named with the reason they were passed over.
``node_states(...)``
    for every node: ``joined`` (a full member: leave it), ``fresh`` (nothing of kubeadm on it: join it),
    ``partial`` (something of a join is there, not all of it: a run was interrupted in the middle of ``kubeadm
    join``, or a node was reset but its Node object or etcd member were left behind: repair it by removing what the
    cluster holds of it, ``kubeadm reset``, and joining again), ``unreachable`` or ``unknown`` (no control-plane
    node could serve, so nothing is decided).

A node is only ever called ``partial`` on positive evidence read from a serving control-plane node: a missing
answer never turns a member into something to repair.

Controller-side code, no Ansible imports, written to import on Python 3.8 too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import urlsplit

CONTROL_PLANE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
# What `kubeadm join --control-plane` leaves in /etc/kubernetes/manifests when it completed.
CONTROL_PLANE_MANIFESTS = ("etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml")


def _first_line(text: Any, default: str) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else default


def _host_of(url: str) -> str:
    try:
        host = urlsplit(str(url)).hostname or ""
    except ValueError:
        return ""
    return host.lower()


@dataclass
class Serving:
    host: Optional[str]
    passed_over: dict[str, str] = field(default_factory=dict)
    # A cluster exists: some control-plane node holds an admin kubeconfig or runs an etcd member.
    cluster_exists: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "passed_over": dict(self.passed_over), "cluster_exists": self.cluster_exists}


def _started_member(probe: Mapping[str, Any], node_name: str) -> bool:
    for member in probe.get("etcd_members") or []:
        if member.get("name") == node_name:
            return True
    return False


def serving_control_plane(
    control_plane: Sequence[str], probes: Mapping[str, Mapping[str, Any]], node_names: Mapping[str, str]
) -> Serving:
    """``probes``: host -> the node_state module's result (``{"unreachable": True, "msg": ...}`` for a host that
    could not be reached). ``node_names``: host -> its node name."""
    result = Serving(host=None)
    for host in control_plane:
        probe = probes.get(host)
        if probe is None:
            result.passed_over[host] = "not read in this run"
            continue
        if probe.get("unreachable"):
            result.passed_over[host] = "unreachable: " + _first_line(probe.get("msg"), "no connection")
            continue
        files = probe.get("files") or {}
        if files.get("admin.conf") or files.get("manifests/etcd.yaml"):
            result.cluster_exists = True
        if not files.get("admin.conf"):
            result.passed_over[host] = "no /etc/kubernetes/admin.conf (not an initialised control-plane node)"
            continue
        if not probe.get("api_healthy"):
            result.passed_over[host] = "its API server does not answer /healthz: " + str(probe.get("api_error") or "")
            continue
        if probe.get("etcd_members") is None:
            result.passed_over[host] = "its etcd member does not answer: " + str(probe.get("etcd_error") or "")
            continue
        if not _started_member(probe, node_names.get(host, host)):
            result.passed_over[host] = "it is not a started member of the etcd cluster it reaches"
            continue
        if probe.get("nodes") is None:
            result.passed_over[host] = "kubectl could not list the nodes: " + str(probe.get("nodes_error") or "")
            continue
        if result.host is None:
            result.host = host
    if not result.cluster_exists:
        # No cluster yet: nothing to serve, nobody passed over (the first node is to run kubeadm init).
        result.passed_over = {}
    elif result.host is not None:
        # Nodes behind the serving one are not "passed over": they simply were not needed.
        order = list(control_plane)
        cut = order.index(result.host)
        result.passed_over = {h: why for h, why in result.passed_over.items() if h in order[:cut]}
    return result


@dataclass
class NodeState:
    state: str  # joined | fresh | partial | unreachable | unknown
    reasons: list[str] = field(default_factory=list)
    # What the cluster still holds of a partial node, for the repair: etcd member ids (hex) and the Node object.
    stale_etcd_members: list[str] = field(default_factory=list)
    registered: bool = False
    # A joined control-plane node whose own API server answered /healthz and whose own etcd member listed itself
    # as started when it was read.
    healthy: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "reasons": list(self.reasons),
            "stale_etcd_members": list(self.stale_etcd_members),
            "registered": self.registered,
            "healthy": self.healthy,
        }


def node_state(
    node_name: str,
    node_ip: Optional[str],
    control_plane: bool,
    probe: Optional[Mapping[str, Any]],
    view: Optional[Mapping[str, Any]],
) -> NodeState:
    """One node: ``probe`` is its own node_state result, ``view`` the serving control-plane node's (its ``nodes``
    and ``etcd_members``), None when no control-plane node serves."""
    if probe is None:
        return NodeState("unknown", ["not read in this run"])
    if probe.get("unreachable"):
        # Whether the cluster knows it (a member that does not answer is left out; a host to be added that does not
        # answer cannot be set up) comes from the serving node, which still lists it.
        known = view is not None and any(n.get("name") == node_name for n in view.get("nodes") or [])
        return NodeState(
            "unreachable", ["unreachable: " + _first_line(probe.get("msg"), "no connection")], registered=known
        )
    files = probe.get("files") or {}
    kubelet_conf = bool(files.get("kubelet.conf"))
    manifests = [name for name in CONTROL_PLANE_MANIFESTS if files.get("manifests/" + name)]
    anything = bool(kubelet_conf or manifests or files.get("bootstrap-kubelet.conf") or files.get("pki/ca.crt"))
    if view is None:
        if not anything:
            return NodeState("fresh")
        return NodeState("unknown", ["kubeadm files are here, and no control-plane node serves to compare them with"])
    nodes = {n.get("name"): n for n in view.get("nodes") or []}
    registered = node_name in nodes
    members = view.get("etcd_members") or []
    ip = (node_ip or "").lower().strip("[]")
    mine = [
        m
        for m in members
        if m.get("name") == node_name or (ip and any(_host_of(u) == ip for u in m.get("peerURLs") or []))
    ]
    reasons: list[str] = []
    if control_plane:
        labels = (nodes.get(node_name) or {}).get("labels") or {}
        started = [m for m in mine if m.get("name") == node_name]
        complete = len(manifests) == len(CONTROL_PLANE_MANIFESTS)
        if kubelet_conf and registered and complete and started and len(mine) == 1:
            if any(label in labels for label in CONTROL_PLANE_LABELS):
                healthy = bool(probe.get("api_healthy")) and _started_member(probe, node_name)
                return NodeState("joined", registered=True, healthy=healthy)
            reasons.append("not marked as a control-plane node (kubeadm stopped before mark-control-plane)")
        if not anything and not registered and not mine:
            return NodeState("fresh")
        if not kubelet_conf:
            reasons.append("no /etc/kubernetes/kubelet.conf")
        if not registered:
            reasons.append("no Node object %s in the cluster" % node_name)
        missing = [m for m in CONTROL_PLANE_MANIFESTS if m not in manifests]
        if missing:
            reasons.append("static pod manifests missing: " + ", ".join(missing))
        if not mine:
            reasons.append("no etcd member")
        elif not started:
            reasons.append("an etcd member that never started (added, but its etcd did not join)")
        elif len(mine) > 1:
            reasons.append("%d etcd members for one node" % len(mine))
    else:
        if kubelet_conf and registered:
            return NodeState("joined", registered=True)
        if not anything and not registered and not mine:
            return NodeState("fresh")
        if not kubelet_conf:
            reasons.append("no /etc/kubernetes/kubelet.conf")
        if not registered:
            reasons.append("no Node object %s in the cluster" % node_name)
        if mine:
            reasons.append("an etcd member on a worker")
        if manifests:
            reasons.append("control-plane static pod manifests on a worker: " + ", ".join(manifests))
    return NodeState(
        "partial",
        reasons=reasons,
        # As etcd's JSON gateway gives them (uint64 as a decimal string), and takes them back in member/remove.
        stale_etcd_members=[str(m["ID"]) for m in mine if m.get("ID") is not None],
        registered=registered,
    )


def cluster_state(
    control_plane: Sequence[str],
    workers: Sequence[str],
    probes: Mapping[str, Mapping[str, Any]],
    node_names: Mapping[str, str],
    node_ips: Mapping[str, Optional[str]],
) -> dict[str, Any]:
    """Everything a run needs: the serving control-plane node (while no cluster exists: the first control-plane
    node, which is to run ``kubeadm init``), the init play's host, and each node's state."""
    serving = serving_control_plane(control_plane, probes, node_names)
    view = probes.get(serving.host) if serving.host else None
    states = {}
    for host in list(control_plane) + [w for w in workers if w not in control_plane]:
        states[host] = node_state(
            node_names.get(host, host), node_ips.get(host), host in control_plane, probes.get(host), view
        ).to_dict()
    first = control_plane[0] if control_plane else None
    # The init play's host: the first control-plane node while no cluster exists (it runs kubeadm init), and after
    # that while it is a full member (the play keeps it in shape). A first node that is gone, fresh or half joined
    # while the cluster lives on elsewhere joins like any other control-plane node.
    init_host = None
    if first and probes.get(first) is not None and not probes[first].get("unreachable"):
        if not serving.cluster_exists or states[first]["state"] == "joined":
            init_host = first
    problems = []
    if serving.cluster_exists and serving.host is None:
        problems.append(
            "group kube_control_plane: a cluster exists but no control-plane node can serve it: "
            + "; ".join("%s: %s" % (h, why) for h, why in serving.passed_over.items())
        )
    if not serving.cluster_exists and first and (probes.get(first) or {}).get("unreachable"):
        problems.append(
            "group kube_control_plane (%s): the first control-plane node runs kubeadm init, and it is unreachable"
            % first
        )
    return {
        "serving_control_plane": serving.host or (init_host if not serving.cluster_exists else None),
        "init_host": init_host,
        "passed_over": serving.passed_over,
        "cluster_exists": serving.cluster_exists,
        "node_states": states,
        "unreachable": sorted(h for h, p in probes.items() if (p or {}).get("unreachable")),
        "problems": problems,
    }
