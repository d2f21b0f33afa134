#!/usr/bin/python
# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: node_probe
short_description: Read, in one call, the packages, commands, paths, files and services a role's later steps look at
version_added: 0.1.0
description:
  - Read only. Answers several questions about a node in one module call, where a role would otherwise ask them
    one task at a time (a C(dpkg-query), a C(containerd --version), a C(command -v), a C(stat) or a C(find)
    each), at one round trip per task and host.
  - Which of O(packages) are installed, at which version, and which of them are held (Debian family); which of
    O(executables) are on the C(PATH); what each of O(commands) prints; what each of O(paths) is; which files
    O(find) finds; whether each of O(services) is enabled and active; and which of O(files) differ from what they
    should be; and, for O(sums), what the controller needs to compare a file whose content is known only after this
    probe.
  - A command that cannot be started is reported with return code 127, never as a failure of the module.
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
extends_documentation_fragment:
  - kubeadm_ha.cluster.attributes
attributes:
  check_mode:
    support: full
    details:
      - Read only, so it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  packages:
    description:
      - Package names to look up in the package database (C(dpkg-query) on the Debian family, C(rpm) elsewhere).
    type: list
    elements: str
    default: []
  executables:
    description:
      - Command names to look for on the C(PATH).
    type: list
    elements: str
    default: []
  commands:
    description:
      - Read-only commands to run, by a name of your choice; each an argument vector (no shell).
      - Only commands that change nothing belong here; they run in check mode too.
    type: dict
    default: {}
  services:
    description:
      - systemd units to look at (one C(systemctl show) for all of them).
    type: list
    elements: str
    default: []
  paths:
    description:
      - Paths to look at (symbolic links are followed).
    type: list
    elements: path
    default: []
  find:
    description:
      - File searches, each below one directory.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description:
          - The directory to search; a missing one finds nothing.
        type: path
        required: true
      name:
        description:
          - The exact file name to find.
        type: str
        required: true
      depth:
        description:
          - How many directory levels below O(find[].path) to look in (1 is the directory itself).
        type: int
        default: 1
      line_prefix:
        description:
          - Find only files with a line that starts with this text.
        type: str
  files:
    description:
      - Files to compare with what they should be, given exactly as to M(kubeadm_ha.cluster.node_files) (the same
        list of entries, where O(files[].validate) and O(files[].create_parent) are accepted and not used).
      - RV(differing_files) lists those a M(kubeadm_ha.cluster.node_files) call with the same entries would change, so
        that a role writes only on the nodes where something differs, and a node where nothing does takes no second
        call.
      - The comparison is the one M(kubeadm_ha.cluster.node_files) makes (one shared implementation), of the
        content, the mode, the owner and the group. A missing file, one that is not a regular file, and an owner or
        group that does not exist yet differ. An entry whose O(files[].remote_src) does not exist does not (the
        write leaves it alone).
      - O(files[].secret_content), and the content of a O(files[].remote_src), are never returned or logged.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description: The whole content the file should have.
        type: str
      secret_content:
        description: The whole content of a file that holds a secret. Never returned or logged.
        type: str
      remote_src:
        description: The path of a file on the node whose content this file should hold.
        type: path
      mode:
        description: The file's mode, an octal string such as C("0644").
        type: str
        required: true
      owner:
        description: The file's owner, a name or a numeric ID.
        type: str
        default: root
      group:
        description: The file's group, a name or a numeric ID.
        type: str
        default: root
      validate:
        description: Accepted for the same entries as M(kubeadm_ha.cluster.node_files); not used here.
        type: str
      create_parent:
        description: Accepted for the same entries as M(kubeadm_ha.cluster.node_files); not used here.
        type: bool
        default: false
  sums:
    description:
      - Files (and directories) whose SHA-1 checksum, mode, owner and group to return (RV(file_sums)), for a file
        whose content the play knows only after this probe (it follows a version this probe reads, or something read
        from the cluster). The filter P(kubeadm_ha.cluster.differing_files#filter) compares them with the entries
        then, by the rule O(files) follows, so that the write is skipped where nothing differs.
      - Never for a file that holds a secret. No content is returned.
    type: list
    elements: path
    default: []
seealso:
  - module: kubeadm_ha.cluster.node_files
  - module: ansible.builtin.package_facts
  - module: ansible.builtin.stat
  - module: ansible.builtin.find
"""

EXAMPLES = r"""
- name: Read the runtime packages, the containerd version, crictl and the registry configurations
  kubeadm_ha.cluster.node_probe:
    packages: [containerd, runc]
    executables: [crictl]
    commands:
      containerd: [containerd, --version]
    find:
      - path: /etc/containerd/certs.d
        name: hosts.toml
        depth: 2
        line_prefix: "# Managed by kubeadm_ha.cluster.container_runtime"
  register: probe
"""

RETURN = r"""
packages:
  description: Each of O(packages) and its installed version, or V(null) when it is not installed.
  returned: always
  type: dict
  sample: {"containerd": "1.6.20~ds1-1+deb12u3", "runc": null}
missing_packages:
  description: The O(packages) that are not installed, in the order given.
  returned: always
  type: list
  elements: str
  sample: ["runc"]
held_packages:
  description: The installed O(packages) marked to be held (Debian family; always empty elsewhere).
  returned: always
  type: list
  elements: str
  sample: ["kubelet", "kubeadm"]
executables:
  description: Each of O(executables) and its full path, or V(null) when it is not on the C(PATH).
  returned: always
  type: dict
  sample: {"crictl": "/usr/bin/crictl"}
commands:
  description: Each of O(commands) by its name, with C(rc), C(stdout) and C(stderr) (rc 127 when it cannot start).
  returned: always
  type: dict
  sample: {"containerd": {"rc": 0, "stdout": "containerd github.com/containerd/containerd 1.6.20~ds1", "stderr": ""}}
services:
  description:
    - Each of O(services) with its C(enabled) (systemd's UnitFileState, such as V(enabled), V(disabled), V(static),
      or an empty string for a unit that does not exist) and C(active) (its ActiveState, such as V(active),
      V(inactive) or V(failed)).
  returned: always
  type: dict
  sample: {"containerd": {"enabled": "enabled", "active": "active"}}
paths:
  description: Each of O(paths) and what it is (V(file), V(directory) or V(other)), or V(null) when it does not exist.
  returned: always
  type: dict
  sample: {"/etc/cni/net.d": "directory", "/opt/cni/bin/bridge": null}
differing_files:
  description: The O(files) (their O(files[].dest)) that differ from what they should be, in the order given.
  returned: always
  type: list
  elements: str
  sample: ["/etc/haproxy/haproxy.cfg"]
file_sums:
  description:
    - Each of O(sums) with its C(kind) (V(file) or V(directory)), C(sha1) (V(null) for a directory), C(mode) (four
      octal digits), C(uid), C(gid), C(owner) and C(group) (names, or V(null) for an ID without a name); V(null) when
      it is missing, a symbolic link, or neither a regular file nor a directory.
  returned: always
  type: dict
  sample: {"/etc/containerd/config.toml": {"kind": "file", "sha1": "0a4d55a8d778e5022fab701977c5d840bbc486d0",
           "mode": "0644", "uid": 0, "gid": 0, "owner": "root", "group": "root"}}
found:
  description: For each of O(find), in its order, the sorted paths of the files it found.
  returned: always
  type: list
  elements: list
  sample: [["/etc/containerd/certs.d/registry.example:5000/hosts.toml"]]
"""

import os
import shutil
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._node_files import (
    FILE_EXCLUSIVE,
    FILE_OPTIONS,
    differs,
    summary,
)


def parse_dpkg_query(out, names):
    """{name: (version or None, held)} from dpkg-query's "${Package}\t${db:Status-Abbrev}\t${Version}" lines."""
    result = {name: (None, False) for name in names}
    for line in out.splitlines():
        fields = line.split("\t")
        name = fields[0].split(":")[0]  # a multi-arch name is printed as name:arch
        if len(fields) != 3 or name not in result:
            continue
        status, version = fields[1].strip(), fields[2]
        # First letter: the wanted state (i: install, h: hold); second: the current state (i: installed). "rc" (removed,
        # its configuration files left) and "iU" (unpacked, not configured) are not installed.
        if len(status) >= 2 and status[0] in "ih" and status[1] == "i":
            result[name] = (version, status[0] == "h")
    return result


def _debian_packages(module, names):
    rc, out, _err = module.run_command(
        ["dpkg-query", "--show", "--showformat=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n", *names]
    )
    # rc is 1 when a name is unknown; the known ones are still printed.
    if rc not in (0, 1):
        module.fail_json(msg=f"dpkg-query failed with rc {rc}", rc=rc)
    return parse_dpkg_query(out, names)


def _rpm_packages(module, names):
    result = {name: (None, False) for name in names}
    for name in names:
        rc, out, _err = module.run_command(["rpm", "-q", "--queryformat", "%{VERSION}-%{RELEASE}\\n", name])
        if rc == 0 and out.strip():
            result[name] = (out.splitlines()[0].strip(), False)
    return result


def _packages(module, names):
    if not names:
        return {}
    if shutil.which("dpkg-query"):
        return _debian_packages(module, names)
    if shutil.which("rpm"):
        return _rpm_packages(module, names)
    module.fail_json(msg="neither dpkg-query nor rpm is installed: cannot read the packages " + ", ".join(names))
    return {}


def _services(module, names):
    """{unit: {"enabled": UnitFileState, "active": ActiveState}} from one systemctl show."""
    if not names:
        return {}
    rc, out, err = module.run_command(["systemctl", "show", "--property=UnitFileState,ActiveState", "--", *names])
    if rc != 0:
        module.fail_json(msg=f"systemctl show failed with rc {rc}: {err.strip()}", rc=rc)
    # One block of KEY=value lines per unit, in the order given, blocks separated by an empty line.
    blocks = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line) for block in out.split("\n\n")]
    blocks = [block for block in blocks if block]
    if len(blocks) != len(names):
        module.fail_json(msg=f"systemctl show printed {len(blocks)} units for {len(names)}: {out!r}")
    return {
        name: {"enabled": blocks[index].get("UnitFileState", ""), "active": blocks[index].get("ActiveState", "")}
        for index, name in enumerate(names)
    }


def _path_kind(path):
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    return "other"


def _has_line(path, prefix):
    try:
        with open(path, "rb") as handle:
            return any(line.startswith(prefix.encode()) for line in handle)
    except OSError:
        return False


def _find(spec):
    top = spec["path"].rstrip("/") or "/"
    if not os.path.isdir(top):
        return []
    found = []
    base_depth = top.count(os.sep)
    for root, dirs, files in os.walk(top):
        level = root.rstrip("/").count(os.sep) - base_depth + 1
        if level >= spec["depth"]:
            dirs[:] = []
        if spec["name"] in files:
            path = os.path.join(root, spec["name"])
            if os.path.isfile(path) and (spec["line_prefix"] is None or _has_line(path, spec["line_prefix"])):
                found.append(path)
    return sorted(found)


def _command(module, argv):
    if not isinstance(argv, list) or not argv or not all(isinstance(arg, str) for arg in argv):
        module.fail_json(msg=f"commands: each command must be a non-empty list of strings, got {argv!r}")
    if shutil.which(argv[0]) is None:
        return {"rc": 127, "stdout": "", "stderr": f"{argv[0]}: command not found"}
    try:
        rc, out, err = module.run_command(argv)
    except OSError as exc:
        return {"rc": 127, "stdout": "", "stderr": to_native(exc)}
    return {"rc": rc, "stdout": out.rstrip("\n"), "stderr": err.rstrip("\n")}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            executables=dict(type="list", elements="str", default=[]),
            commands=dict(type="dict", default={}),
            services=dict(type="list", elements="str", default=[]),
            paths=dict(type="list", elements="path", default=[]),
            find=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    path=dict(type="path", required=True),
                    name=dict(type="str", required=True),
                    depth=dict(type="int", default=1),
                    line_prefix=dict(type="str"),
                ),
            ),
            files=dict(
                type="list",
                elements="dict",
                default=[],
                options=FILE_OPTIONS,
                mutually_exclusive=FILE_EXCLUSIVE,
                required_one_of=FILE_EXCLUSIVE,
            ),
            sums=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for spec in params["find"]:
        if spec["depth"] < 1 or "/" in spec["name"]:
            module.fail_json(msg=f"find: depth must be 1 or more and name a plain file name, got {spec!r}")
    packages = _packages(module, params["packages"])
    module.exit_json(
        changed=False,
        packages={name: packages[name][0] for name in params["packages"]},
        missing_packages=[name for name in params["packages"] if packages[name][0] is None],
        held_packages=[name for name in params["packages"] if packages[name][1]],
        executables={name: shutil.which(name) for name in params["executables"]},
        commands={name: _command(module, argv) for name, argv in params["commands"].items()},
        services=_services(module, params["services"]),
        paths={path: _path_kind(path) for path in params["paths"]},
        found=[_find(spec) for spec in params["find"]],
        differing_files=[spec["dest"] for spec in params["files"] if differs(spec)],
        file_sums={path: summary(path) for path in params["sums"]},
    )


if __name__ == "__main__":
    main()
