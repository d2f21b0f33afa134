# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters node_report, pod_report, smoke_pairs and worker_nodes: thin adapters over module_utils._cluster_report
(the verify role's reading of kubectl's JSON). Documented beside this file."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _cluster_report


def _as_filter(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _cluster_report.ReportInputError as exc:
            raise AnsibleFilterError(f"{func.__name__}: {exc}") from None

    return wrapper


class FilterModule:
    """Cluster report filters."""

    def filters(self):
        return {
            "node_report": _as_filter(_cluster_report.node_report),
            "pod_report": _as_filter(_cluster_report.pod_report),
            "smoke_pairs": _as_filter(_cluster_report.smoke_pairs),
            "worker_nodes": _as_filter(_cluster_report.worker_nodes),
        }
