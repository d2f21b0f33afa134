# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter kubeadm_ha.cluster.check_expiration: a thin adapter over module_utils._kubeadm_certs. Documented in
check_expiration.yml beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_certs import (
    certificates_to_renew,
    parse_check_expiration,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import KubeadmOutputError


def check_expiration(text, threshold_days=30):
    """The certificates and CAs of `kubeadm certs check-expiration`, and the ones to renew below the threshold."""
    if isinstance(text, dict) and "stdout" in text:
        text = text["stdout"]
    try:
        expiration = parse_check_expiration(text)
        result = expiration.to_dict()
        result["to_renew"] = certificates_to_renew(expiration, int(threshold_days))
    except (KubeadmOutputError, ValueError) as exc:
        raise AnsibleFilterError(f"check_expiration: {exc}") from None
    return result


class FilterModule:
    """kubeadm certificate filters."""

    def filters(self):
        return {"check_expiration": check_expiration}
