# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the acceptance check (role verify) reads from the live cluster, as plain data (private, pure).

``node_report(nodes, expected)``  ``kubectl get nodes -o json`` -> one line per node that is missing or not Ready
``pod_report(pods)``              ``kubectl get pods -o json``  -> one line per pod that is not Running and Ready,
                                                                   saying why (ImagePullBackOff names the image)
``worker_nodes(nodes)``           ``kubectl get nodes -o json`` -> the nodes that are not control-plane nodes
``smoke_pairs(pods)``             the smoke pods -> (client, server IP) pairs on different nodes

Controller-side code, no Ansible imports, written to import on Python 3.8 too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class ReportInputError(ValueError):
    """The input is not what kubectl returns (a bug in the caller, not a finding)."""


def _items(data: Any, what: str) -> list:
    if isinstance(data, str):
        import json  # noqa: PLC0415 - only for a caller that passes kubectl's text

        try:
            data = json.loads(data)
        except ValueError as exc:
            raise ReportInputError(f"{what}: not JSON from kubectl ({exc})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise ReportInputError(f"{what}: expected kubectl's JSON list (an object with 'items')")
    return data["items"]


def _condition(obj: Mapping, kind: str) -> Mapping:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return {}


def node_report(nodes: Any, expected: Iterable[str] = ()) -> list[str]:
    """Lines for nodes in ``expected`` that are missing, and for every node that is not Ready."""
    items = _items(nodes, "nodes")
    problems = []
    names = {(item.get("metadata") or {}).get("name") for item in items}
    for name in sorted(set(expected) - names):
        problems.append(f"node {name}: not registered in the cluster")
    for item in sorted(items, key=lambda i: (i.get("metadata") or {}).get("name", "")):
        name = (item.get("metadata") or {}).get("name", "?")
        ready = _condition(item, "Ready")
        if ready.get("status") != "True":
            why = ready.get("message") or ready.get("reason") or "no Ready condition"
            problems.append(f"node {name}: not Ready ({why})")
    return problems


def _container_problem(status: Mapping) -> str:
    name = status.get("name", "?")
    state = status.get("state") or {}
    if "waiting" in state:
        waiting = state["waiting"] or {}
        reason = waiting.get("reason") or "waiting"
        if reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"):
            return f"container {name}: {reason}, image {status.get('image', '?')} cannot be pulled"
        message = waiting.get("message") or ""
        return f"container {name}: {reason}" + (f" ({message.splitlines()[0][:200]})" if message else "")
    if "terminated" in state:
        terminated = state["terminated"] or {}
        return (
            f"container {name}: terminated ({terminated.get('reason') or 'exit'}, exit code "
            f"{terminated.get('exitCode', '?')}, {status.get('restartCount', 0)} restarts)"
        )
    if not status.get("ready"):
        return f"container {name}: running but not ready ({status.get('restartCount', 0)} restarts)"
    return ""


def pod_report(pods: Any) -> list[str]:
    """One line per pod that is neither Succeeded nor Running with every container ready, saying why."""
    problems = []
    for item in sorted(_items(pods, "pods"), key=lambda i: (i.get("metadata") or {}).get("name", "")):
        meta = item.get("metadata") or {}
        status = item.get("status") or {}
        phase = status.get("phase", "Unknown")
        where = f"pod {meta.get('namespace', '?')}/{meta.get('name', '?')}"
        node = (item.get("spec") or {}).get("nodeName")
        where += f" on {node}" if node else " (not scheduled)"
        if phase == "Succeeded":
            continue
        containers = list(status.get("initContainerStatuses") or []) + list(status.get("containerStatuses") or [])
        reasons = [r for r in (_container_problem(c) for c in containers) if r]
        if phase == "Running" and not reasons and _condition(item, "Ready").get("status") == "True":
            continue
        if not reasons:
            scheduled = _condition(item, "PodScheduled")
            if scheduled.get("status") == "False":
                reasons.append(f"unschedulable: {scheduled.get('message') or scheduled.get('reason')}")
            else:
                reasons.append(status.get("reason") or status.get("message") or "not ready")
        problems.append(f"{where}: {phase}; " + "; ".join(reasons))
    return problems


CONTROL_PLANE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")


def worker_nodes(nodes: Any) -> list[str]:
    """Names of the nodes without a control-plane role label, sorted."""
    names = []
    for item in _items(nodes, "nodes"):
        labels = (item.get("metadata") or {}).get("labels") or {}
        if not any(label in labels for label in CONTROL_PLANE_LABELS):
            names.append(item["metadata"]["name"])
    return sorted(names)


def smoke_pairs(pods: Any) -> list[dict[str, str]]:
    """Cross-node traffic to test: each running pod (in name order) as the client of the next pod, cyclically, that
    runs on another node. Every pod is a client once and, with pods on at least two nodes, a server too; n pods give
    at most n pairs (not n*(n-1)), so large clusters stay quick."""
    running = []
    for item in _items(pods, "pods"):
        status = item.get("status") or {}
        if status.get("phase") == "Running" and status.get("podIP"):
            running.append(
                {
                    "name": item["metadata"]["name"],
                    "node": (item.get("spec") or {}).get("nodeName", ""),
                    "ip": status["podIP"],
                }
            )
    running.sort(key=lambda p: p["name"])
    pairs = []
    for i, client in enumerate(running):
        for step in range(1, len(running)):
            server = running[(i + step) % len(running)]
            if server["node"] != client["node"]:
                pairs.append(
                    {
                        "client": client["name"],
                        "client_node": client["node"],
                        "server": server["name"],
                        "server_node": server["node"],
                        "server_ip": server["ip"],
                    }
                )
                break
    return pairs
