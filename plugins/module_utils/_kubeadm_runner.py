# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running kubeadm from a module, and what differs between kubeadm releases (private).

No ``AnsibleModule`` here: :class:`Kubeadm` takes any ``run_command(argv) -> (rc, out, err)``
callable (a module passes ``module.run_command``), so this stays testable with a fake.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    KubeadmOutputError,
    parse_kubeadm_version,
    redact,
)

__all__ = [
    "MASK",
    "Kubeadm",
    "KubeadmCommandError",
    "NodeFiles",
    "certificate_key_command",
    "control_plane_flag",
    "scrub",
    "supports_token_list_json",
    "upload_certs_flag",
]

#: What a secret is replaced with, the same string Ansible uses for no_log values.
MASK = "********"


class KubeadmCommandError(Exception):
    """A kubeadm command failed. Every field is already scrubbed of secrets."""

    def __init__(self, msg: str, cmd: list[str], rc: int, stdout: str, stderr: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.cmd = cmd
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr


def scrub(value, secrets):
    """``value`` (str, list, tuple, dict, nested) with every secret replaced by :data:`MASK`."""
    if isinstance(value, str):
        for secret in sorted((s for s in secrets if s), key=len, reverse=True):
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(item, secrets) for item in value)
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    return value


def control_plane_flag(version: tuple[int, int, int]) -> str:
    """``kubeadm join`` control-plane flag: experimental in 1.14, ``--control-plane`` from 1.15."""
    return "--experimental-control-plane" if version < (1, 15, 0) else "--control-plane"


def upload_certs_flag(version: tuple[int, int, int]) -> str:
    """``kubeadm init [phase upload-certs]`` flag: experimental in 1.14, ``--upload-certs`` from 1.15."""
    return "--experimental-upload-certs" if version < (1, 15, 0) else "--upload-certs"


def certificate_key_command(version: tuple[int, int, int]) -> list[str] | None:
    """The command that prints a fresh certificate key, or None before 1.15 (no such command)."""
    if version < (1, 15, 0):
        return None
    if version < (1, 20, 0):
        return ["alpha", "certs", "certificate-key"]
    return ["certs", "certificate-key"]


def supports_token_list_json(version: tuple[int, int, int]) -> bool:
    """``kubeadm token list -o json`` exists from 1.17."""
    return version >= (1, 17, 0)


@dataclass(frozen=True)
class NodeFiles:
    """The files kubeadm leaves on a node, as far as init/join idempotence is concerned."""

    admin_conf: bool  # <dir>/admin.conf: written by init and by a control-plane join
    apiserver_manifest: bool  # <dir>/manifests/kube-apiserver.yaml: a control-plane node
    kubelet_conf: bool  # <dir>/kubelet.conf: written by init and every join

    @classmethod
    def read(cls, kubernetes_dir: str) -> NodeFiles:
        return cls(
            admin_conf=os.path.exists(os.path.join(kubernetes_dir, "admin.conf")),
            apiserver_manifest=os.path.exists(os.path.join(kubernetes_dir, "manifests", "kube-apiserver.yaml")),
            kubelet_conf=os.path.exists(os.path.join(kubernetes_dir, "kubelet.conf")),
        )

    def as_dict(self) -> dict:
        return {
            "admin_conf": self.admin_conf,
            "apiserver_manifest": self.apiserver_manifest,
            "kubelet_conf": self.kubelet_conf,
        }


class Kubeadm:
    """Runs kubeadm; failures become :class:`KubeadmCommandError` with secrets scrubbed."""

    def __init__(self, run_command, binary: str, secrets: set[str] | None = None) -> None:
        self._run_command = run_command
        self.binary = binary
        self.secrets = secrets if secrets is not None else set()
        self._version: tuple[int, int, int] | None = None

    def display(self, argv: list[str]) -> list[str]:
        """``argv`` as it may be shown: secrets masked."""
        return scrub(list(argv), self.secrets)

    def run(self, args: list[str]) -> tuple[str, str]:
        """Run ``kubeadm <args>``; (stdout, stderr) on success."""
        argv = [self.binary, *args]
        rc, stdout, stderr = self._run_command(argv)
        if rc != 0:
            stdout = redact(scrub(stdout or "", self.secrets))
            stderr = redact(scrub(stderr or "", self.secrets))
            last = [line for line in stderr.splitlines() if line.strip()] or [
                line for line in stdout.splitlines() if line.strip()
            ]
            raise KubeadmCommandError(
                "'kubeadm %s' failed with exit code %d%s"
                % (" ".join(self.display(args[:3])), rc, (": " + last[-1].strip()) if last else ""),
                self.display(argv),
                rc,
                stdout,
                stderr,
            )
        return stdout or "", stderr or ""

    def version(self) -> tuple[int, int, int]:
        """``kubeadm version -o short``, parsed (cached)."""
        if self._version is None:
            stdout, _stderr = self.run(["version", "-o", "short"])
            try:
                self._version = parse_kubeadm_version(stdout)
            except KubeadmOutputError as exc:
                raise KubeadmCommandError(
                    str(exc), self.display([self.binary, "version", "-o", "short"]), 0, stdout, ""
                ) from None
        return self._version
