# Copyright: kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the preflight role: thin adapters over module_utils._preflight (the pure check logic).

``preflight_host_summary``     gathered facts of one host -> the values the inventory-wide checks compare
``preflight_inventory_report`` the summaries of every node + cluster inputs -> errors and warnings
``preflight_port_report``      listening sockets of one host -> errors and warnings for the ports it needs

Documentation: preflight_<filter>.yml beside this file.
"""

from __future__ import annotations

import functools
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _preflight
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._preflight import DEFAULT_IGNORE_INTERFACES

__all__ = ["DEFAULT_IGNORE_INTERFACES", "FilterModule", "PreflightInputError", "host_summary", "inventory_report",
           "port_report"]


class PreflightInputError(AnsibleFilterError):
    """An input of a preflight filter has the wrong shape (not a failed check: a bug in the caller)."""


def _as_filter(func):
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _preflight.PreflightInputError as exc:
            raise PreflightInputError(str(exc)) from None

    return wrapper


host_summary = _as_filter(_preflight.host_summary)
inventory_report = _as_filter(_preflight.inventory_report)
port_report = _as_filter(_preflight.port_report)


class FilterModule:
    """Preflight checks of kubeadm_ha.cluster."""

    def filters(self) -> dict[str, Any]:
        return {
            "preflight_host_summary": host_summary,
            "preflight_inventory_report": inventory_report,
            "preflight_port_report": port_report,
        }
