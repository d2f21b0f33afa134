# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the cluster report filters share (private): the adapter over module_utils._cluster_report.

The filters node_report, pod_report, smoke_pairs and worker_nodes (one file each in plugins/filter/) are the verify
role's reading of kubectl's JSON in module_utils._cluster_report, with its input errors raised as
AnsibleFilterError.
"""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _cluster_report

__all__ = ["as_filter"]


def as_filter(func):
    """``func`` of module_utils._cluster_report, raising AnsibleFilterError (named after it) on bad input."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _cluster_report.ReportInputError as exc:
            raise AnsibleFilterError(f"{func.__name__}: {exc}") from None

    return wrapper
