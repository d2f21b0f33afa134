# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for kubeadm_ha.cluster.kubeadm_join_info: successful results carry secrets, so they are hidden."""

from __future__ import annotations

from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._secret_result import SecretResultAction


class ActionModule(SecretResultAction):
    pass
