# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a file on this node is as a ``node_files`` entry wants it (private).

Shared by the modules ``kubeadm_ha.cluster.node_files`` (which writes the files that differ) and
``kubeadm_ha.cluster.node_probe`` (which only reports them, so that a role can skip the write on a node where nothing
differs), so that both always agree on what "differs" means: the content, the mode, the owner or the group, or the
file is missing. A user or group that does not exist yet makes the file differ.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.common.text.converters import to_bytes

# The suboptions of a file entry, the same in both modules (node_probe ignores validate and create_parent, so a role
# passes one list to both).
FILE_OPTIONS = dict(
    dest=dict(type="path", required=True),
    content=dict(type="str"),
    secret_content=dict(type="str", no_log=True),
    remote_src=dict(type="path"),
    mode=dict(type="str", required=True),
    owner=dict(type="str", default="root"),
    group=dict(type="str", default="root"),
    validate=dict(type="str"),
    create_parent=dict(type="bool", default=False),
)
FILE_EXCLUSIVE = [("content", "secret_content", "remote_src")]


def uid(name):
    return int(name) if name.isdigit() else pwd.getpwnam(name).pw_uid


def gid(name):
    return int(name) if name.isdigit() else grp.getgrnam(name).gr_gid


def read(path):
    """The bytes of PATH, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def wanted_content(spec):
    """The bytes SPEC wants in its file, or None for a remote_src that does not exist (the file is left alone)."""
    if spec.get("remote_src") is not None:
        return read(spec["remote_src"])
    content = spec["content"] if spec.get("content") is not None else spec["secret_content"]
    return to_bytes(content, errors="surrogate_or_strict")


def matches(dest, before, after, mode, owner_ids):
    """True when DEST (whose bytes are BEFORE, None when missing) holds AFTER with MODE and OWNER_IDS (uid, gid)."""
    if before is None or before != after:
        return False
    old_stat = os.stat(dest)
    return stat.S_IMODE(old_stat.st_mode) == mode and (old_stat.st_uid, old_stat.st_gid) == owner_ids


def differs(spec):
    """True when a node_files call with SPEC would change its file (or fail on it: not a regular file, a bad mode);
    False when the file is as wanted, or SPEC's remote_src does not exist."""
    after = wanted_content(spec)
    if after is None:
        return False
    dest = spec["dest"]
    if os.path.islink(dest) or (os.path.exists(dest) and not os.path.isfile(dest)):
        return True
    try:
        mode = int(spec["mode"], 8)
        owner_ids = (uid(spec["owner"]), gid(spec["group"]))
    except (KeyError, ValueError):
        return True
    return not matches(dest, read(dest), after, mode, owner_ids)


def summary(path):
    """What the node says of PATH for a comparison made elsewhere (``summary_differs``, on the controller, once the
    content is known): its kind (file or directory), mode, owner and group, and a file's SHA-1; None when it is
    missing, a link, or neither a regular file nor a directory."""
    try:
        file_stat = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(file_stat.st_mode):
        with open(path, "rb") as handle:
            digest = hashlib.sha1(handle.read()).hexdigest()  # noqa: S324 - a checksum, as Ansible's stat gives
        found = {"kind": "file", "sha1": digest}
    elif stat.S_ISDIR(file_stat.st_mode):
        found = {"kind": "directory", "sha1": None}
    else:
        return None
    return {
        **found,
        "mode": f"{stat.S_IMODE(file_stat.st_mode):04o}",
        "uid": file_stat.st_uid,
        "gid": file_stat.st_gid,
        "owner": _name(pwd.getpwuid, file_stat.st_uid),
        "group": _name(grp.getgrgid, file_stat.st_gid),
    }


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return None


def summary_differs(spec, found):
    """True when SPEC differs from FOUND (a ``summary``, None for a missing path): the rule ``differs`` and node_files
    follow, from a summary instead of the file. SPEC is a node_files file entry (dest, with content or
    secret_content) or directory entry (path). A remote_src entry differs (its content is known on the node only),
    and so does a malformed mode."""
    if found is None or spec.get("remote_src") is not None:
        return True
    try:
        mode = int(str(spec["mode"]), 8)
    except (KeyError, ValueError):
        return True
    if int(found["mode"], 8) != mode or not (
        _same_id(str(spec.get("owner") or "root"), found["uid"], found["owner"])
        and _same_id(str(spec.get("group") or "root"), found["gid"], found["group"])
    ):
        return True
    if spec.get("dest") is None:
        return found["kind"] != "directory"
    content = spec.get("content")
    if content is None:
        content = spec.get("secret_content")
    return (
        content is None
        or found["kind"] != "file"
        or hashlib.sha1(to_bytes(content, errors="surrogate_or_strict")).hexdigest() != found["sha1"]  # noqa: S324
    )


def _same_id(wanted, number, name):
    return int(wanted) == number if wanted.isdigit() else wanted == name
