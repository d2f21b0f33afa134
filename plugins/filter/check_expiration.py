# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.check_expiration: a thin adapter over module_utils._kubeadm_certs."""

from __future__ import annotations

DOCUMENTATION = r"""
name: check_expiration
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: Parse kubeadm certs check-expiration, and pick the certificates to renew
description:
  - Reads the output of C(kubeadm certs check-expiration) (C(kubeadm alpha certs check-expiration) in 1.15-1.19;
    the text tables, or C(-o json)/C(-o yaml) from 1.30) and returns the certificates and certificate authorities
    with their expiry, and C(to_renew), the certificates kubeadm can renew whose residual time is below
    O(threshold_days) (never a CA, an externally managed or a missing certificate).
  - Anything that is not such output fails with a message saying what was expected and what was found.
  - Used by the P(kubeadm_ha.cluster.certificates#role) role.
positional: _input, threshold_days
options:
  _input:
    description: The output (stdout, stderr may be mixed in), or a registered command result.
    type: raw
    required: true
  threshold_days:
    description: Renew what expires within this many days.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: What expires within 60 days
  ansible.builtin.debug:
    msg: "{{ (__expiration.stdout | kubeadm_ha.cluster.check_expiration(60)).to_renew }}"
"""

RETURN = r"""
_value:
  description:
    - C(certificates) and C(authorities) (lists of C(name), C(expires) ISO 8601, C(residual), C(residual_days),
      C(authority), C(externally_managed), C(missing)), C(to_renew) (names).
  type: dict
"""

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
    """The filter kubeadm_ha.cluster.check_expiration."""

    def filters(self):
        return {"check_expiration": check_expiration}
