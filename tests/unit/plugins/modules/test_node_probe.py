"""kubeadm_ha.cluster.node_probe on this machine's real files, commands and package database (no test double)."""

from __future__ import annotations

import os
import shutil

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.modules import node_probe

MARKER = "# Managed by kubeadm_ha.cluster.container_runtime"


def probe(run_module, check_mode=False, **args):
    return run_module(node_probe, args, check_mode=check_mode)


def test_paths_executables_and_commands(tmp_path, run_module):
    (tmp_path / "f").write_text("x\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "d")
    out = probe(
        run_module,
        paths=[str(tmp_path / "f"), str(tmp_path / "d"), str(tmp_path / "link"), str(tmp_path / "none")],
        executables=["sh", "kha-no-such-command"],
        commands={"echo": ["sh", "-c", "echo out; echo err >&2; exit 3"], "absent": ["kha-no-such-command", "-v"]},
    )
    assert out.rc == 0, out.result
    result = out.result
    assert result["changed"] is False
    assert result["paths"] == {
        str(tmp_path / "f"): "file",
        str(tmp_path / "d"): "directory",
        str(tmp_path / "link"): "directory",
        str(tmp_path / "none"): None,
    }
    assert result["executables"] == {"sh": shutil.which("sh"), "kha-no-such-command": None}
    assert result["commands"]["echo"] == {"rc": 3, "stdout": "out", "stderr": "err"}
    assert result["commands"]["absent"]["rc"] == 127
    assert result["packages"] == {} and result["missing_packages"] == [] and result["found"] == []


def test_find_by_name_depth_and_marker_line(tmp_path, run_module):
    files = (("a:5000", MARKER + "\nserver = 'a'\n"), ("b", "server = 'b'\n"), ("c", "x\n" + MARKER + "\n"))
    for registry, text in files:
        (tmp_path / registry).mkdir()
        (tmp_path / registry / "hosts.toml").write_text(text)
    (tmp_path / "a:5000" / "deeper").mkdir()
    (tmp_path / "a:5000" / "deeper" / "hosts.toml").write_text(MARKER + "\n")
    out = probe(
        run_module,
        find=[
            {"path": str(tmp_path), "name": "hosts.toml", "depth": 2, "line_prefix": MARKER},
            {"path": str(tmp_path), "name": "hosts.toml", "depth": 3},
            {"path": str(tmp_path / "missing"), "name": "hosts.toml"},
        ],
    )
    assert out.rc == 0, out.result
    marked, every, missing = out.result["found"]
    assert marked == [str(tmp_path / "a:5000" / "hosts.toml"), str(tmp_path / "c" / "hosts.toml")]
    assert len(every) == 4 and str(tmp_path / "a:5000" / "deeper" / "hosts.toml") in every
    assert missing == []


def test_a_bad_find_is_refused(tmp_path, run_module):
    out = probe(run_module, find=[{"path": str(tmp_path), "name": "a/b"}])
    assert out.rc == 1 and "plain file name" in out.result["msg"]


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs a Debian-family machine's package database")
def test_packages_from_the_real_package_database(run_module):
    out = probe(run_module, check_mode=True, packages=["dpkg", "kha-no-such-package"])
    assert out.rc == 0, out.result
    assert out.result["packages"]["dpkg"]  # the version dpkg-query prints, e.g. 1.21.22
    assert out.result["packages"]["kha-no-such-package"] is None
    assert out.result["missing_packages"] == ["kha-no-such-package"]


def test_dpkg_query_states():
    # dpkg-query --show --showformat='${Package}\t${db:Status-Abbrev}\t${Version}\n' as it prints them
    out = "kubelet\thi \t1.20.2-1.1\nkubeadm\tii \t1.20.2-1.1\nkubectl\trc \t1.19.0-00\nlibc6:amd64\tii \t2.36-9\n"
    out += "runc\tiU \t1.1.5\n"
    parsed = node_probe.parse_dpkg_query(out, ["kubelet", "kubeadm", "kubectl", "libc6", "runc", "absent"])
    assert parsed == {
        "kubelet": ("1.20.2-1.1", True),
        "kubeadm": ("1.20.2-1.1", False),
        "kubectl": (None, False),
        "libc6": ("2.36-9", False),
        "runc": (None, False),
        "absent": (None, False),
    }


@pytest.mark.skipif(
    not os.path.isdir("/run/systemd/system"), reason="needs a machine that runs systemd (the lab nodes)"
)
def test_services_from_systemd(run_module):
    out = probe(run_module, services=["kha-no-such.service", "systemd-journald.service"])
    assert out.rc == 0, out.result
    assert out.result["services"]["kha-no-such.service"] == {"enabled": "", "active": "inactive"}
    assert out.result["services"]["systemd-journald.service"]["active"] == "active"


# ---------------------------------------------------------------------------------------------------------
# files: which node_files entries differ (the same comparison as node_files, one implementation)
# ---------------------------------------------------------------------------------------------------------
def _file_cases(tmp_path):
    """Entries in every state a role meets, after writing the ones that should already be in place."""
    import grp
    import pwd

    from ansible_collections.kubeadm_ha.cluster.plugins.modules import node_files

    owner, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name

    def entry(name, **extra):
        return {"dest": str(tmp_path / name), "mode": "0644", "owner": owner, "group": group, **extra}

    (tmp_path / "source.conf").write_text("copied\n")
    in_place = [
        entry("same.conf", content="same\n", validate="true %s"),
        entry("secret.conf", secret_content="auth_pass s3cr3tPw\n", mode="0600"),
        entry("copy.conf", remote_src=str(tmp_path / "source.conf")),
        entry("content-drift.conf", content="wanted\n"),
        entry("mode-drift.conf", content="m\n"),
        entry("secret-drift.conf", secret_content="auth_pass 0therPw\n", mode="0600"),
    ]
    return in_place, entry, node_files


def test_files_that_differ_are_exactly_those_node_files_would_change(tmp_path, run_module):
    from conftest import assert_secret_free

    in_place, entry, node_files = _file_cases(tmp_path)
    assert run_module(node_files, {"files": in_place}).rc == 0
    (tmp_path / "content-drift.conf").write_text("edited by hand\n")
    os.chmod(tmp_path / "mode-drift.conf", 0o666)
    (tmp_path / "secret-drift.conf").write_text("auth_pass s3cr3tPw\n")
    (tmp_path / "a-directory.conf").mkdir()
    entries = [
        *in_place,
        entry("missing.conf", content="new\n", create_parent=True),
        entry("no-such-group.conf", content="same\n", group="kha-no-such-group"),
        entry("copy-of-missing.conf", remote_src=str(tmp_path / "absent.conf")),
        entry("a-directory.conf", content="x\n"),
    ]
    probed = probe(run_module, files=entries)
    assert probed.rc == 0, probed.result
    would_change = run_module(node_files, {"files": entries[:-1]}, check_mode=True)
    assert would_change.rc == 0, would_change.result
    differing = ("content-drift.conf", "mode-drift.conf", "secret-drift.conf", "missing.conf", "no-such-group.conf")
    expected = [str(tmp_path / name) for name in (*differing, "a-directory.conf")]
    assert probed.result["differing_files"] == expected
    # node_files agrees on every entry it can take (it refuses the directory, which the probe reports as differing)
    assert would_change.result["changed_files"] == expected[:-1]
    assert_secret_free(probed.printed, "s3cr3tPw", "0therPw")


def test_files_in_place_differ_nowhere_and_nothing_is_written(tmp_path, run_module):
    in_place, _entry, node_files = _file_cases(tmp_path)
    assert run_module(node_files, {"files": in_place}).rc == 0
    before = {p.name: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in tmp_path.iterdir()}
    for check_mode in (False, True):
        probed = probe(run_module, check_mode=check_mode, files=in_place)
        assert probed.rc == 0, probed.result
        assert probed.result["differing_files"] == [] and probed.result["changed"] is False
    assert {p.name: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in tmp_path.iterdir()} == before


def test_file_sums_compared_on_the_controller_agree_with_the_probe(tmp_path, run_module):
    """sums + the differing_files filter (content known only after the probe) name the same files as files does."""
    from ansible_collections.kubeadm_ha.cluster.plugins.filter.differing_files import differing_files
    from conftest import assert_secret_free

    written, entry, node_files = _file_cases(tmp_path)
    assert run_module(node_files, {"files": written}).rc == 0
    in_place = [e for e in written if "remote_src" not in e]
    (tmp_path / "content-drift.conf").write_text("edited by hand\n")
    os.chmod(tmp_path / "mode-drift.conf", 0o666)
    (tmp_path / "secret-drift.conf").write_text("auth_pass s3cr3tPw\n")
    (tmp_path / "a-directory.conf").mkdir()
    os.symlink(tmp_path / "mode-drift.conf", tmp_path / "a-link.conf")
    entries = [
        *in_place,
        entry("missing.conf", content="new\n"),
        entry("no-such-group.conf", content="same\n", group="kha-no-such-group"),
        entry("a-directory.conf", content="x\n"),
        entry("a-link.conf", content="m\n"),
    ]
    probed = probe(run_module, files=entries, sums=[e["dest"] for e in entries])
    assert probed.rc == 0, probed.result
    sums = probed.result["file_sums"]
    assert sums[str(tmp_path / "missing.conf")] is None and sums[str(tmp_path / "a-link.conf")] is None
    in_place_sum = sums[in_place[0]["dest"]]
    assert in_place_sum["mode"] == in_place[0]["mode"] and in_place_sum["owner"] == in_place[0]["owner"]
    assert in_place_sum["uid"] == os.getuid() and len(in_place_sum["sha1"]) == 40
    assert differing_files(entries, sums) == probed.result["differing_files"]
    assert len(probed.result["differing_files"]) == 7
    unchanged = [e for e in in_place if e["dest"] not in probed.result["differing_files"]]
    assert len(unchanged) == 2 and differing_files(unchanged, sums) == []
    # numeric owners and a mode without its leading zero are the same as the names and "0644"
    ids = {"owner": str(os.getuid()), "group": str(os.getgid())}
    numeric = [{**e, **ids, "mode": e["mode"].lstrip("0")} for e in unchanged]
    assert differing_files(numeric, sums) == []
    # a path the probe was not asked about, and a remote_src (its content is on the node), differ
    assert differing_files([entry("not-probed.conf", content="x\n")], sums) == [str(tmp_path / "not-probed.conf")]
    copy = entry("copy.conf", remote_src=in_place[0]["dest"])
    assert differing_files([copy], {copy["dest"]: in_place_sum}) == [copy["dest"]]
    assert_secret_free(probed.printed, "s3cr3tPw", "0therPw")


def test_directory_sums_are_compared_by_mode_and_owner(tmp_path, run_module):
    """Directory entries (node_files' directories) compare by kind, mode and owner; a file is not a directory."""
    import grp
    import pwd

    from ansible_collections.kubeadm_ha.cluster.plugins.filter.differing_files import differing_files

    owner, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    (tmp_path / "in-place").mkdir(mode=0o755)
    os.chmod(tmp_path / "in-place", 0o755)
    (tmp_path / "drifted").mkdir()
    os.chmod(tmp_path / "drifted", 0o777)
    (tmp_path / "a-file").write_text("x\n")
    paths = [str(tmp_path / name) for name in ("in-place", "drifted", "a-file", "missing")]
    probed = probe(run_module, sums=paths)
    assert probed.rc == 0, probed.result
    sums = probed.result["file_sums"]
    assert sums[paths[0]]["kind"] == "directory" and sums[paths[0]]["sha1"] is None and sums[paths[0]]["mode"] == "0755"
    entries = [{"path": path, "mode": "0755", "owner": owner, "group": group} for path in paths]
    assert differing_files(entries, sums) == paths[1:]
    # a file entry on a directory differs as well
    assert differing_files([{"dest": paths[0], "content": "x\n", "mode": "0755"}], sums) == [paths[0]]
