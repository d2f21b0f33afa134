# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.upgrade_apply: a thin adapter over module_utils._day2."""

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_apply
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: How kubeadm of a release is asked to upgrade the control plane
description:
  - Returns the argv of C(kubeadm upgrade apply) for the target version, and for kubeadm 1.31 and later (config API
    v1beta4) the UpgradeConfiguration it reads with C(--config) instead of flags; the argv then holds the
    placeholder C({config}) for the file's path.
positional: _input, certificate_renewal, etcd_upgrade, ignore_preflight_errors
options:
  _input:
    description: The target version, e.g. V(1.31.2).
    type: str
    required: true
  certificate_renewal:
    description: Renew the certificates kubeadm manages during the upgrade.
    type: bool
    default: true
  etcd_upgrade:
    description: Upgrade etcd with the control plane.
    type: bool
    default: true
  ignore_preflight_errors:
    description: Preflight checks to ignore.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: The argv for 1.20.3
  ansible.builtin.debug:
    msg: "{{ ('1.20.3' | kubeadm_ha.cluster.upgrade_apply).argv }}"
"""

RETURN = r"""
_value:
  description: C(api) (v1beta2/3/4), C(argv), C(config) (a dict, or null before v1beta4).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _day2


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


class FilterModule:
    """The filter kubeadm_ha.cluster.upgrade_apply."""

    def filters(self):
        return {"upgrade_apply": upgrade_apply}
