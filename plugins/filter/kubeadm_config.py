# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters kubeadm_config_api and kubeadm_cri_socket: what the kubeadm_init and join templates (and the front door)
derive from the Kubernetes version, in one place (module_utils._cluster_inputs). Documented beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_inputs import (
    kubeadm_api_version,
    kubeadm_cri_socket,
    version_minor,
)


def _minor(version, name):
    try:
        return version_minor(version)
    except ValueError as exc:
        raise AnsibleFilterError(f"{name}: {exc}") from None


def kubeadm_config_api(version):
    """The kubeadm configuration API version (v1beta2/3/4) that kubeadm of this Kubernetes version speaks."""
    return kubeadm_api_version(_minor(version, "kubeadm_config_api"))


def kubeadm_cri_socket_filter(socket, version):
    """The CRI socket in the form kubeadm of this version wants (unix:// URL from 1.24, plain path before)."""
    return kubeadm_cri_socket(socket, _minor(version, "kubeadm_cri_socket"))


class FilterModule:
    """kubeadm configuration filters."""

    def filters(self):
        return {"kubeadm_config_api": kubeadm_config_api, "kubeadm_cri_socket": kubeadm_cri_socket_filter}
