#!/usr/bin/python
# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: node_files
short_description: Write several files on a node in one call, each only where its content, mode or owner differs
version_added: 0.1.0
description:
  - Makes each file of O(files) hold exactly the given content, mode, owner and group, and reports which ones
    changed. A file that already matches is not touched.
  - One module call for all the files of a step, where M(ansible.builtin.template) with a loop makes two or more
    calls per file and host (a C(stat), then a C(file) or a transfer and a C(copy)). The content is rendered on the
    controller, usually with C(lookup('ansible.builtin.template', ...)).
  - Each file is written to a temporary file in its own directory, created with mode C(0600), given its mode and
    owner, checked with O(files[].validate) when given, and renamed over the old one, so a reader never sees a
    partial file and a secret is never readable by others, not even for a moment.
  - The files are written in the order given; the first failure stops the call, and reports the files already
    written.
  - O(files[].secret_content) is never returned, logged or shown in a diff, and neither is the content of a file
    copied with O(files[].remote_src).
  - O(directories) are made to exist with their mode and owner before any file is written.
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
extends_documentation_fragment:
  - kubeadm_ha.cluster.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports which files would change and, with C(--diff), how; writes nothing and runs no O(files[].validate).
      - An owner or group that does not exist yet (its package is only pretended to be installed) makes the file
        count as changing, where a real run fails.
  diff_mode:
    support: full
    details:
      - One diff per changed file. A file given with O(files[].secret_content) shows only that it changes.
  idempotent:
    support: full
options:
  directories:
    description:
      - Directories that must exist with exactly this mode, owner and group, made so before the files are written.
        A missing directory is created (its missing parents too, each C(0755) and owned by root); an existing one
        gets its mode and owner fixed where they differ. Reported in RV(changed_files) like a file.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description:
          - Absolute path of the directory.
        type: path
        required: true
      mode:
        description:
          - The directory's mode, an octal string such as C("0700").
        type: str
        required: true
      owner:
        description:
          - The directory's owner, a name or a numeric ID.
        type: str
        default: root
      group:
        description:
          - The directory's group, a name or a numeric ID.
        type: str
        default: root
  files:
    description:
      - The files, written in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description:
          - Absolute path of the file.
        type: path
        required: true
      content:
        description:
          - The whole content of the file. Shown in diffs.
          - Exactly one of O(files[].content), O(files[].secret_content) and O(files[].remote_src) is required.
        type: str
      remote_src:
        description:
          - The path of a file on the node whose content this file must hold (a copy on the node, as
            M(ansible.builtin.copy) does with C(remote_src)). Its content is handled as a secret, never returned,
            logged or shown in a diff.
          - When it does not exist, the file is left alone and its path is listed in RV(missing_sources) (in check
            mode, for instance, before the step that writes it has run).
        type: path
      secret_content:
        description:
          - The whole content of a file that holds a secret. Never returned, logged or shown in a diff.
        type: str
      mode:
        description:
          - The file's mode, an octal string such as C("0644").
        type: str
        required: true
      owner:
        description:
          - The file's owner, a name or a numeric ID.
        type: str
        default: root
      group:
        description:
          - The file's group, a name or a numeric ID.
        type: str
        default: root
      validate:
        description:
          - A command run on the new content before it replaces the file; V(%s) stands for the path of the
            temporary file. A non-zero exit leaves the old file in place and fails the call.
        type: str
      create_parent:
        description:
          - Create the file's directory, and every missing directory above it, when it does not exist (each with
            mode C(0755), owned by root). Directories that exist are left as they are.
        type: bool
        default: false
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write keepalived's files
  kubeadm_ha.cluster.node_files:
    files:
      - dest: /etc/keepalived/keepalived.conf
        content: "{{ lookup('ansible.builtin.template', 'keepalived.conf.j2') }}"
        mode: "0600"
        validate: keepalived -t -f %s
      - dest: /etc/keepalived/kha-vrrp-auth.conf
        secret_content: "{{ lookup('ansible.builtin.template', 'kha-vrrp-auth.conf.j2') }}"
        mode: "0600"
  register: keepalived_files
  notify: Restart keepalived
"""

RETURN = r"""
changed_files:
  description: The paths of the files that changed (or would change in check mode), content or attributes.
  returned: always
  type: list
  elements: str
  sample: ["/etc/keepalived/keepalived.conf"]
missing_sources:
  description: The files left alone because their O(files[].remote_src) does not exist.
  returned: always
  type: list
  elements: str
  sample: ["/root/.kube/config"]
"""

import grp
import os
import pwd
import shlex
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _node_files

HIDDEN_BEFORE = "(secret: the old content, not shown)\n"
HIDDEN_AFTER = "(secret: the new content, not shown)\n"


def _make_directories(directory):
    """Create directory and every missing directory above it, each 0755 and owned by root, whatever the umask."""
    missing = []
    while not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for path in reversed(missing):
        os.mkdir(path)
        os.chown(path, 0, 0)
        os.chmod(path, 0o755)  # noqa: S103 - a configuration directory, as documented


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _mode(module, path, text):
    try:
        mode = int(text, 8)
    except ValueError:
        module.fail_json(msg=f"{path}: mode {text!r} is not an octal number such as '0644'")
    if mode > 0o7777:
        module.fail_json(msg=f"{path}: mode {text!r} is out of range")
    return mode


def _target(module, spec, key, changed_files):
    """The mode, uid and gid SPEC asks for (a file's or a directory's; KEY names its path option), after checking
    that the path is absolute. uid and gid are None in check mode when the user or group does not exist yet."""
    path = spec[key]
    if not os.path.isabs(path):
        module.fail_json(msg=f"{path}: {key} must be an absolute path", changed_files=changed_files)
    mode = _mode(module, path, spec["mode"])
    try:
        return mode, _node_files.uid(spec["owner"]), _node_files.gid(spec["group"])
    except KeyError as exc:
        # In check mode on a fresh host the package that creates the user or group is not installed yet (only
        # pretended): the path is reported as changing. A real run needs them.
        if not module.check_mode:
            module.fail_json(msg=f"{path}: no such user or group: {to_native(exc)}", changed_files=changed_files)
        return mode, None, None


def _write(module, spec, data, target):
    """Write DATA to a temporary file beside dest (0600 from the start), validate it, rename it over dest."""
    mode, uid, gid = target
    dest = spec["dest"]
    directory = os.path.dirname(dest)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".kha-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchown(handle.fileno(), uid, gid)
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if spec.get("validate"):
            command = spec["validate"]
            if "%s" not in command:
                module.fail_json(msg=f"{dest}: validate must contain %s (the new file's path): {command}")
            argv = [word.replace("%s", tmp) for word in shlex.split(command)]
            rc, out, err = module.run_command(argv)
            if rc != 0:
                # The output of the check is the validator's; the file's content is never part of the message.
                module.fail_json(
                    msg=f"{dest}: the new content failed validation (rc {rc}); the old file is left in place",
                    rc=rc,
                    stdout=out if spec.get("content") is not None else "",
                    stderr=err if spec.get("content") is not None else "",
                )
        os.rename(tmp, dest)
        tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    if module.selinux_enabled():
        module.set_context_if_different(dest, module.selinux_default_context(dest), False)


def _directory(module, spec, changed_files, diffs):
    """Make SPEC's directory exist with its mode and owner; note it in CHANGED_FILES (and DIFFS) when it changes."""
    path = spec["path"]
    mode, uid, gid = _target(module, spec, "path", changed_files)
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isdir(path)):
        module.fail_json(msg=f"{path}: is not a directory", changed_files=changed_files)
    old_stat = os.stat(path) if os.path.isdir(path) else None
    if old_stat is not None and (stat.S_IMODE(old_stat.st_mode), old_stat.st_uid, old_stat.st_gid) == (mode, uid, gid):
        return
    changed_files.append(path)
    if module._diff:
        if old_stat is None:
            before, after = "", f"directory, mode {mode:04o}, owner {spec['owner']}:{spec['group']}\n"
        else:
            owner = f"{_user_name(old_stat.st_uid)}:{_group_name(old_stat.st_gid)}"
            before = f"mode {stat.S_IMODE(old_stat.st_mode):04o}, owner {owner}\n"
            after = f"mode {mode:04o}, owner {spec['owner']}:{spec['group']}\n"
        diffs.append({"before_header": path, "after_header": path, "before": before, "after": after})
    if module.check_mode:
        return
    try:
        if old_stat is None:
            _make_directories(os.path.dirname(path))
            os.mkdir(path, 0o700)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    except OSError as exc:
        module.fail_json(msg=f"{path}: cannot create or change: {to_native(exc)}", changed_files=changed_files[:-1])


def _diff(spec, before, after, old_stat, target):
    mode, uid, gid = target
    secret = spec.get("content") is None
    diff = {"before_header": spec["dest"], "after_header": spec["dest"]}
    if before != after:
        if secret:
            diff["before"] = "" if before is None else HIDDEN_BEFORE
            diff["after"] = HIDDEN_AFTER
        else:
            diff["before"] = "" if before is None else to_text(before, errors="surrogate_or_replace")
            diff["after"] = to_text(after, errors="surrogate_or_replace")
    else:
        lines_before, lines_after = [], []
        if stat.S_IMODE(old_stat.st_mode) != mode:
            lines_before.append(f"mode: {stat.S_IMODE(old_stat.st_mode):04o}")
            lines_after.append(f"mode: {mode:04o}")
        if (old_stat.st_uid, old_stat.st_gid) != (uid, gid):
            lines_before.append(f"owner: {_user_name(old_stat.st_uid)}:{_group_name(old_stat.st_gid)}")
            lines_after.append(f"owner: {spec['owner']}:{spec['group']}")
        diff["before"] = "\n".join(lines_before) + "\n"
        diff["after"] = "\n".join(lines_after) + "\n"
    return diff


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    path=dict(type="path", required=True),
                    mode=dict(type="str", required=True),
                    owner=dict(type="str", default="root"),
                    group=dict(type="str", default="root"),
                ),
            ),
            files=dict(
                type="list",
                elements="dict",
                required=True,
                options=_node_files.FILE_OPTIONS,
                mutually_exclusive=_node_files.FILE_EXCLUSIVE,
                required_one_of=_node_files.FILE_EXCLUSIVE,
            ),
        ),
        supports_check_mode=True,
    )
    changed_files, diffs, missing_sources = [], [], []
    for spec in module.params["directories"]:
        _directory(module, spec, changed_files, diffs)
    for spec in module.params["files"]:
        dest = spec["dest"]
        mode, uid, gid = _target(module, spec, "dest", changed_files)
        after = _node_files.wanted_content(spec)
        if after is None:  # a remote_src that does not exist
            missing_sources.append(dest)
            continue
        directory = os.path.dirname(dest)
        if not os.path.isdir(directory) and not (spec["create_parent"] or module.check_mode):
            module.fail_json(msg=f"{dest}: the directory {directory} does not exist", changed_files=changed_files)
        if os.path.islink(dest) or (os.path.exists(dest) and not os.path.isfile(dest)):
            module.fail_json(msg=f"{dest}: is not a regular file", changed_files=changed_files)
        before = _node_files.read(dest)
        old_stat = os.stat(dest) if before is not None else None
        if uid is not None and _node_files.matches(dest, before, after, mode, (uid, gid)):
            continue
        changed_files.append(dest)
        if module._diff:
            diffs.append(_diff(spec, before, after, old_stat, (mode, uid, gid)))
        if module.check_mode:
            continue
        try:
            _make_directories(directory)
            if before == after:
                os.chown(dest, uid, gid)
                os.chmod(dest, mode)
            else:
                _write(module, spec, after, (mode, uid, gid))
        except OSError as exc:
            module.fail_json(msg=f"{dest}: cannot write: {to_native(exc)}", changed_files=changed_files[:-1])
    result = dict(changed=bool(changed_files), changed_files=changed_files, missing_sources=missing_sources)
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
