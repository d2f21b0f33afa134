# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters upgrade_plan, upgrade_apply, removal_problems and etcd_member_health: thin adapters over
module_utils._day2 (the day-2 playbooks' decisions). Documented beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _day2


def upgrade_plan(cluster_version, target, kubelets, control_plane_versions):
    """The upgrade plan (apply, upgrade_node, kubelets, refusals, done) as a dict."""
    return _day2.upgrade_plan(
        cluster_version, target, dict(kubelets or {}), dict(control_plane_versions or {})
    ).to_dict()


def upgrade_apply(target, certificate_renewal=True, etcd_upgrade=True, ignore_preflight_errors=()):
    """How to run `kubeadm upgrade apply` for the target: api, argv, config (UpgradeConfiguration or None)."""
    try:
        return _day2.upgrade_apply(
            target,
            certificate_renewal=certificate_renewal,
            etcd_upgrade=etcd_upgrade,
            ignore_preflight_errors=list(ignore_preflight_errors or []),
        )
    except ValueError as exc:
        raise AnsibleFilterError(f"upgrade_apply: {exc}") from None


def removal_problems(remove, control_plane, workers, etcd_members):
    """Why removing these nodes must be refused (empty: go ahead)."""
    return _day2.removal_problems(
        list(control_plane or []), list(workers or []), list(remove or []), dict(etcd_members or {})
    )


def etcd_member_health(member_list, endpoint_health):
    """etcd member name -> healthy, from etcdctl's member list and endpoint health (JSON)."""
    try:
        return _day2.etcd_member_health(member_list, endpoint_health)
    except ValueError as exc:
        raise AnsibleFilterError(f"etcd_member_health: {exc}") from None


class FilterModule:
    """Day-2 filters."""

    def filters(self):
        return {
            "upgrade_plan": upgrade_plan,
            "upgrade_apply": upgrade_apply,
            "removal_problems": removal_problems,
            "etcd_member_health": etcd_member_health,
        }
