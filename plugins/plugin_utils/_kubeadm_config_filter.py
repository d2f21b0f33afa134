# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the kubeadm configuration filters share (private): the Kubernetes minor version of a filter's input.

The filters kubeadm_config_api and kubeadm_cri_socket (one file each in plugins/filter/) derive what the
kubeadm_init and join templates (and the front door) need from the Kubernetes version, by the rules of
module_utils._cluster_inputs.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_inputs import version_minor

__all__ = ["minor"]


def minor(version, name):
    """The minor version of a Kubernetes version (1.30.6 -> 30); AnsibleFilterError, naming filter ``name``, if bad."""
    try:
        return version_minor(version)
    except ValueError as exc:
        raise AnsibleFilterError(f"{name}: {exc}") from None
