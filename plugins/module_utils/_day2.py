# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Day-2 decisions (private, pure): what an upgrade must do or refuse, and which node removals etcd survives.

``upgrade_plan(cluster_version, target, kubelets, control_plane_versions)``
    the cluster's version (kubeadm-config), the target, each node's kubelet version and each control-plane node's
    static pod version -> a plan (apply on the first node? which nodes need `kubeadm upgrade node`, which kubelets)
    or the refusals (a skipped minor, a downgrade, a major change, nodes on versions the skew policy forbids).
``upgrade_apply(target, ...)``
    how kubeadm of the target release is asked to upgrade: the argv of `kubeadm upgrade apply`, and for v1beta4
    releases (1.31+) the UpgradeConfiguration it reads instead of flags.
``etcd_member_health(member_list, endpoint_health)``
    ``etcdctl member list -w json`` and ``etcdctl endpoint health --cluster -w json`` -> member name -> healthy
``removal_problems(control_plane, workers, remove, etcd_members)``
    refusals for removing nodes: unknown nodes, the last control-plane node, or an etcd left without quorum at any
    step of removing its members one at a time.

Controller-side code, no Ansible imports, written to import on Python 3.8 too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


def parse_version(text: Any) -> Optional[tuple[int, int, int]]:
    match = VERSION_RE.match(str(text or "").strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _show(version: tuple[int, int, int]) -> str:
    return "%d.%d.%d" % version


@dataclass
class UpgradePlan:
    target: str
    cluster_version: str
    apply: bool  # `kubeadm upgrade apply` on the first control-plane node
    upgrade_node: list[str] = field(default_factory=list)  # other control-plane nodes: `kubeadm upgrade node`
    kubelets: list[str] = field(default_factory=list)  # nodes whose kubelet/kubectl move to the target
    refusals: list[str] = field(default_factory=list)
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "cluster_version": self.cluster_version,
            "apply": self.apply,
            "upgrade_node": list(self.upgrade_node),
            "kubelets": list(self.kubelets),
            "refusals": list(self.refusals),
            "done": self.done,
        }


def upgrade_plan(
    cluster_version: str,
    target: str,
    kubelets: Mapping[str, str],
    control_plane_versions: Mapping[str, str],
) -> UpgradePlan:
    """What upgrading the cluster to ``target`` takes, and why it must be refused, if it must.

    ``cluster_version``: ClusterConfiguration.kubernetesVersion (what `kubeadm upgrade apply` last set);
    ``kubelets``: node -> kubelet version (Node.status.nodeInfo.kubeletVersion); ``control_plane_versions``:
    control-plane node -> the version of its kube-apiserver static pod (the image tag). A run interrupted anywhere
    is resumed: nodes may be on the cluster's old version or on the target, nothing else.
    """
    plan = UpgradePlan(target=str(target), cluster_version=str(cluster_version), apply=False)
    want = parse_version(target)
    have = parse_version(cluster_version)
    if want is None:
        plan.refusals.append(f"kha_kubernetes_version {target!r} is not a version MAJOR.MINOR.PATCH")
    if have is None:
        plan.refusals.append(f"the cluster's version {cluster_version!r} (kubeadm-config) could not be read")
    if plan.refusals or want is None or have is None:
        return plan
    if want[0] != have[0]:
        plan.refusals.append(f"{_show(have)} -> {_show(want)} changes the major version: kubeadm does not do that")
    elif want < have:
        plan.refusals.append(
            f"{_show(have)} -> {_show(want)} is a downgrade: kubeadm does not downgrade a cluster (restore an etcd "
            "backup taken before the upgrade instead)"
        )
    elif want[1] > have[1] + 1:
        plan.refusals.append(
            f"{_show(have)} -> {_show(want)} skips a minor release: kubeadm upgrades one minor at a time, so upgrade "
            f"to the newest {have[0]}.{have[1] + 1}.x first"
        )

    # Before `upgrade apply`, every node is on the cluster's version ("every node on one version"); a control-plane
    # node may already run the target (an apply interrupted before it recorded the new version). After it (a run
    # interrupted in the middle, resumed), nodes are on the target or on a release the target still serves: up to
    # one minor older, never newer.
    def allowed(version: tuple[int, int, int]) -> bool:
        if have != want:
            return version == have
        return version <= want and version[0] == want[0] and version[1] >= want[1] - 1

    expected = f"the cluster's version {_show(have)}" if have != want else f"{_show(want)} or one minor older"
    for node, text in sorted(kubelets.items()):
        version = parse_version(text)
        if version is None:
            plan.refusals.append(f"node {node}: kubelet version {text!r} could not be read")
        elif version > max(have, want):
            plan.refusals.append(
                f"node {node}: kubelet {_show(version)} is newer than the control plane will be (the version skew "
                "policy forbids a kubelet newer than the API server)"
            )
        elif not allowed(version):
            plan.refusals.append(
                f"node {node}: kubelet {_show(version)} is not {expected}: bring every node to one version first"
            )
    for node, text in sorted(control_plane_versions.items()):
        version = parse_version(text)
        if version is None:
            plan.refusals.append(f"control-plane node {node}: the kube-apiserver version {text!r} could not be read")
        elif not allowed(version) and version not in (have, want):
            plan.refusals.append(f"control-plane node {node}: runs kube-apiserver {_show(version)}, not {expected}")
    if plan.refusals:
        return plan
    plan.apply = have != want
    plan.upgrade_node = sorted(n for n, v in control_plane_versions.items() if parse_version(v) != want)
    plan.kubelets = sorted(n for n, v in kubelets.items() if parse_version(v) != want)
    plan.done = not plan.apply and not plan.upgrade_node and not plan.kubelets
    return plan


def upgrade_apply(
    target: str,
    *,
    certificate_renewal: bool = True,
    etcd_upgrade: bool = True,
    ignore_preflight_errors: Iterable[str] = (),
) -> dict[str, Any]:
    """``{"api": ..., "argv": [...], "config": {...} or None}``: how to run `kubeadm upgrade apply` for ``target``.

    kubeadm 1.31+ (config API v1beta4) reads an UpgradeConfiguration (``--config``); older releases take the version
    and options as flags. Both forms answer the confirmation prompt (``--yes``/``yes: true``).
    """
    version = parse_version(target)
    if version is None:
        raise ValueError(f"{target!r} is not a version MAJOR.MINOR.PATCH")
    tag = "v" + _show(version)
    ignore = sorted(set(ignore_preflight_errors))
    if version[1] >= 31:
        apply: dict[str, Any] = {
            "kubernetesVersion": tag,
            "certificateRenewal": certificate_renewal,
            "etcdUpgrade": etcd_upgrade,
            "forceUpgrade": True,
        }
        if ignore:
            apply["ignorePreflightErrors"] = ignore
        config = {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "UpgradeConfiguration", "apply": apply}
        return {"api": "v1beta4", "argv": ["kubeadm", "upgrade", "apply", "--config", "{config}"], "config": config}
    argv = [
        "kubeadm",
        "upgrade",
        "apply",
        tag,
        "--yes",
        f"--certificate-renewal={'true' if certificate_renewal else 'false'}",
        f"--etcd-upgrade={'true' if etcd_upgrade else 'false'}",
    ]
    if ignore:
        argv.append("--ignore-preflight-errors=" + ",".join(ignore))
    return {"api": "v1beta3" if version[1] >= 22 else "v1beta2", "argv": argv, "config": None}


def _quorum(size: int) -> int:
    return size // 2 + 1


def removal_problems(
    control_plane: Iterable[str],
    workers: Iterable[str],
    remove: Iterable[str],
    etcd_members: Mapping[str, bool],
) -> list[str]:
    """Why removing ``remove`` must be refused (empty: go ahead).

    ``etcd_members``: member name (the node name) -> healthy. Members are removed one at a time, control-plane nodes in
    the order given; before each removal the members left must keep a healthy majority of the smaller cluster.
    """
    cp = list(control_plane)
    known = set(cp) | set(workers)
    remove = list(dict.fromkeys(remove))
    problems = []
    unknown = [n for n in remove if n not in known]
    if unknown:
        problems.append(f"{', '.join(unknown)}: not a node of this inventory (kube_control_plane or kube_node)")
    if not remove:
        problems.append("no node to remove: name them with -e kha_remove_nodes=NODE[,NODE...]")
    leaving_cp = [n for n in remove if n in cp]
    if cp and len(leaving_cp) == len(cp):
        problems.append(
            f"removing {', '.join(leaving_cp)} would remove every control-plane node: the cluster needs at least one "
            "(reset it with reset.yml instead)"
        )
        return problems
    members = dict(etcd_members)
    healthy = sum(1 for ok in members.values() if ok)
    if members and healthy < _quorum(len(members)):
        problems.append(
            f"etcd has no quorum now ({healthy} of {len(members)} members healthy): members cannot be removed until a "
            "majority is healthy again (or restore from a backup)"
        )
        return problems
    for node in leaving_cp:
        if node not in members:
            continue
        was_healthy = members.pop(node)
        healthy -= 1 if was_healthy else 0
        if not members:
            problems.append(
                f"removing {node} would remove the last etcd member: the control-plane nodes that stay "
                f"({', '.join(n for n in cp if n not in leaving_cp)}) are not etcd members; add or repair them first"
            )
            break
        if healthy < _quorum(len(members)):
            problems.append(
                f"removing {node} would leave etcd without quorum: {healthy} healthy of {len(members)} members "
                f"(needs {_quorum(len(members))}); repair or replace the unhealthy members first"
            )
            break
    return problems


def etcd_member_health(member_list: Any, endpoint_health: Any) -> dict[str, bool]:
    """member name -> healthy, from ``etcdctl member list -w json`` and ``etcdctl endpoint health --cluster -w json``.

    A member counts as healthy when one of its client URLs reported healthy; a member that never started (no name,
    no client URL) is listed under its ID, unhealthy.
    """
    import json  # noqa: PLC0415 - only to accept kubectl's and etcdctl's text

    if isinstance(member_list, str):
        member_list = json.loads(member_list) if member_list.strip() else {}
    if isinstance(endpoint_health, str):
        endpoint_health = json.loads(endpoint_health) if endpoint_health.strip() else []
    healthy = {e.get("endpoint") for e in endpoint_health or [] if e.get("health") in (True, "true")}
    result = {}
    for member in (member_list or {}).get("members") or []:
        name = member.get("name") or f"unstarted member {member.get('ID', '?')}"
        result[name] = any(url in healthy for url in member.get("clientURLs") or [])
    return result
