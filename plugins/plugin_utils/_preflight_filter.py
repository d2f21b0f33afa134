# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the preflight filters share (private): their input error and the adapter over module_utils._preflight.

The filters preflight_host_summary, preflight_inventory_report and preflight_port_report (one file each in
plugins/filter/) are the pure check logic of module_utils._preflight with its input errors raised as
:class:`PreflightInputError`, an AnsibleFilterError.
"""

from __future__ import annotations

import functools
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _preflight

__all__ = ["PreflightInputError", "as_filter"]


class PreflightInputError(AnsibleFilterError):
    """An input of a preflight filter has the wrong shape (not a failed check: a bug in the caller)."""


def as_filter(func):
    """``func`` of module_utils._preflight, raising PreflightInputError where it raises its input error."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _preflight.PreflightInputError as exc:
            raise PreflightInputError(str(exc)) from None

    return wrapper
