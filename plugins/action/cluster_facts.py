# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin kubeadm_ha.cluster.cluster_facts: the front door, on the controller (documented in
plugins/modules/cluster_facts.py). A thin layer: reads groups, hostvars and facts, hands them to
module_utils._cluster_inputs, returns its report. Never returns a secret."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_inputs import DERIVED, check_inventory
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._inventory_vars import host_facts, host_inputs

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("fail_on_problems", "require_facts", "unreachable"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self.validate_argument_spec(
            argument_spec={
                "fail_on_problems": {"type": "bool", "default": True},
                "require_facts": {"type": "bool", "default": True},
                "unreachable": {"type": "list", "elements": "str", "default": []},
            }
        )[1]
        groups = {name: list(hosts) for name, hosts in (task_vars.get("groups") or {}).items()}
        hostvars = task_vars.get("hostvars") or {}
        hosts = []
        for group in ("kube_control_plane", "kube_node", "k8s_cluster", "kube_lb"):
            for host in groups.get(group, []):
                if host not in hosts:
                    hosts.append(host)
        variables = {host: host_inputs(hostvars, host, skip=DERIVED) for host in hosts}
        facts = {host: host_facts(hostvars, host) for host in hosts}
        manager = self._task.get_variable_manager() if hasattr(self._task, "get_variable_manager") else None
        extra_vars = list(manager.extra_vars) if manager is not None else None
        report = check_inventory(
            groups,
            variables,
            facts,
            require_facts=args["require_facts"],
            extra_vars=extra_vars,
            absent=args["unreachable"],
        )
        for warning in report.warnings:
            display.warning(warning)
        result.update(changed=False, problems=report.errors, cluster=report.cluster)
        if report.warnings:
            result["notes"] = report.warnings
        if report.errors and args["fail_on_problems"]:
            result["failed"] = True
            result["msg"] = [f"{len(report.errors)} problem(s) in the inventory, no host was changed:", *report.errors]
        else:
            result["msg"] = (
                f"{len(report.errors)} problem(s) in the inventory"
                if report.errors
                else f"inventory checked: {len(hosts)} hosts, no problem"
            )
        return result
