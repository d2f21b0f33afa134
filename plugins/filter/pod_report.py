# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.pod_report: a thin adapter over module_utils._cluster_report."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pod_report
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: The pods that are not Running and Ready, one line each, saying why
description:
  - Reads C(kubectl get pods -o json) and returns one line per pod that is neither Succeeded nor Running with every
    container ready. The line names the pod, its node and the reason of each container that is not ready; an image
    that cannot be pulled (C(ImagePullBackOff), C(ErrImagePull)) is named. Unschedulable pods say why.
  - Used by the P(kubeadm_ha.cluster.verify#role) role.
positional: _input
options:
  _input:
    description: The output of C(kubectl get pods -o json), parsed or as text.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Report the kube-system pods that are not ready
  ansible.builtin.debug:
    msg: "{{ __pods.stdout | kubeadm_ha.cluster.pod_report }}"
"""

RETURN = r"""
_value:
  description:
    - "One line per pod, e.g. C(pod kube-system/coredns-7f89b7bc75-4n925 on cp1: Pending; container coredns:
      ImagePullBackOff, image registry.k8s.io/coredns:1.7.0 cannot be pulled)."
  type: list
  elements: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _cluster_report
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._cluster_report_filter import as_filter

pod_report = as_filter(_cluster_report.pod_report)


class FilterModule:
    """The filter kubeadm_ha.cluster.pod_report."""

    def filters(self):
        return {"pod_report": pod_report}
