"""kubeadm_ha.cluster.node_files on a temporary directory (real files, no test double)."""

from __future__ import annotations

import grp
import os
import pwd
import stat

from ansible_collections.kubeadm_ha.cluster.plugins.modules import node_files
from conftest import assert_secret_free

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
SECRET = "auth_pass s3cr3tPw\n"


def spec(dest, **extra):
    return {"dest": str(dest), "mode": "0644", "owner": OWNER, "group": GROUP, **extra}


def run(run_module, files, check_mode=False, diff=True):
    return run_module(node_files, {"files": files, "_ansible_diff": diff}, check_mode=check_mode)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_new_files_then_changes_nothing(tmp_path, run_module):
    files = [spec(tmp_path / "a.conf", content="a\n"), spec(tmp_path / "b.sh", content="#!/bin/sh\n", mode="0755")]
    first = run(run_module, files)
    assert first.rc == 0, first.result
    assert first.result["changed"] is True
    assert first.result["changed_files"] == [str(tmp_path / "a.conf"), str(tmp_path / "b.sh")]
    assert (tmp_path / "a.conf").read_text() == "a\n"
    assert mode_of(tmp_path / "a.conf") == 0o644 and mode_of(tmp_path / "b.sh") == 0o755
    assert [d["after"] for d in first.result["diff"]] == ["a\n", "#!/bin/sh\n"]
    assert [d["before"] for d in first.result["diff"]] == ["", ""]
    second = run(run_module, files)
    assert second.result["changed"] is False
    assert second.result["changed_files"] == [] and second.result["diff"] == []
    # nothing but the two files: no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.conf", "b.sh"]


def test_check_mode_writes_nothing_and_shows_the_diff(tmp_path, run_module):
    (tmp_path / "a.conf").write_text("old\n")
    files = [spec(tmp_path / "a.conf", content="new\n"), spec(tmp_path / "n.conf", content="n\n")]
    result = run(run_module, files, check_mode=True).result
    assert result["changed"] is True
    assert result["changed_files"] == [str(tmp_path / "a.conf"), str(tmp_path / "n.conf")]
    assert result["diff"][0]["before"] == "old\n" and result["diff"][0]["after"] == "new\n"
    assert (tmp_path / "a.conf").read_text() == "old\n"
    assert not (tmp_path / "n.conf").exists()


def test_check_mode_in_a_missing_directory_reports_the_change(tmp_path, run_module):
    result = run(run_module, [spec(tmp_path / "d" / "a.conf", content="a\n")], check_mode=True).result
    assert result["changed_files"] == [str(tmp_path / "d" / "a.conf")]
    assert not (tmp_path / "d").exists()


def test_only_the_changed_file_is_rewritten(tmp_path, run_module):
    files = [spec(tmp_path / "a.conf", content="a\n"), spec(tmp_path / "b.conf", content="b\n")]
    run(run_module, files)
    inode = os.stat(tmp_path / "a.conf").st_ino
    files[1]["content"] = "b2\n"
    result = run(run_module, files).result
    assert result["changed_files"] == [str(tmp_path / "b.conf")]
    assert os.stat(tmp_path / "a.conf").st_ino == inode
    assert (tmp_path / "b.conf").read_text() == "b2\n"


def test_mode_drift_is_repaired_without_rewriting(tmp_path, run_module):
    files = [spec(tmp_path / "a.conf", content="a\n", mode="0600")]
    run(run_module, files)
    inode = os.stat(tmp_path / "a.conf").st_ino
    os.chmod(tmp_path / "a.conf", 0o666)
    result = run(run_module, files).result
    assert result["changed"] is True
    assert result["diff"][0]["before"] == "mode: 0666\n" and result["diff"][0]["after"] == "mode: 0600\n"
    assert mode_of(tmp_path / "a.conf") == 0o600
    assert os.stat(tmp_path / "a.conf").st_ino == inode


def test_a_secret_never_travels_back(tmp_path, run_module):
    files = [spec(tmp_path / "auth.conf", secret_content=SECRET, mode="0600")]
    for check_mode in (True, False):
        written = run(run_module, files, check_mode=check_mode)
        assert written.result["changed"] is True
        assert_secret_free(written.printed, SECRET.strip(), "s3cr3tPw")
        dest = str(tmp_path / "auth.conf")
        expected = {"before_header": dest, "after_header": dest, "before": "", "after": node_files.HIDDEN_AFTER}
        assert written.result["diff"][0] == expected
    assert (tmp_path / "auth.conf").read_text() == SECRET
    assert mode_of(tmp_path / "auth.conf") == 0o600
    files[0]["secret_content"] = "auth_pass 0therPw\n"
    changed = run(run_module, files)
    assert_secret_free(changed.printed, "s3cr3tPw", "0therPw")
    assert changed.result["diff"][0]["before"] == node_files.HIDDEN_BEFORE


def test_failed_validation_keeps_the_old_file(tmp_path, run_module):
    (tmp_path / "a.conf").write_text("good\n")
    files = [spec(tmp_path / "a.conf", content="bad\n", validate="grep -q good %s")]
    failed = run(run_module, files)
    assert failed.rc == 1
    assert "failed validation" in failed.result["msg"] and str(tmp_path / "a.conf") in failed.result["msg"]
    assert (tmp_path / "a.conf").read_text() == "good\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.conf"]
    files[0]["content"] = "good too\n"
    assert run(run_module, files).result["changed"] is True
    assert (tmp_path / "a.conf").read_text() == "good too\n"


def test_validation_output_of_a_secret_is_not_returned(tmp_path, run_module):
    files = [spec(tmp_path / "auth.conf", secret_content=SECRET, mode="0600", validate="sh -c 'cat $0; exit 1' %s")]
    failed = run(run_module, files)
    assert failed.rc == 1
    assert_secret_free(failed.printed, "s3cr3tPw")


def test_a_missing_directory_fails_unless_asked_to_create_it(tmp_path, run_module):
    dest = tmp_path / "d" / "a.conf"
    failed = run(run_module, [spec(dest, content="a\n")])
    assert failed.rc == 1 and "does not exist" in failed.result["msg"]
    old = os.umask(0o077)  # a strict umask must not make the directory 0700
    try:
        created = run(run_module, [spec(dest, content="a\n", create_parent=True)])
    finally:
        os.umask(old)
    assert created.rc == 0 and dest.read_text() == "a\n"
    assert mode_of(tmp_path / "d") == 0o755


def test_create_parent_makes_every_missing_directory_above(tmp_path, run_module):
    (tmp_path / "etc").mkdir(mode=0o700)
    dest = tmp_path / "etc" / "certs.d" / "registry:5000" / "hosts.toml"
    created = run(run_module, [spec(dest, content="server = 'x'\n", create_parent=True)])
    assert created.rc == 0, created.result
    assert dest.read_text() == "server = 'x'\n"
    assert mode_of(tmp_path / "etc" / "certs.d") == 0o755 and mode_of(dest.parent) == 0o755
    assert mode_of(tmp_path / "etc") == 0o700  # one that exists is left as it is


def test_a_symbolic_link_is_refused(tmp_path, run_module):
    (tmp_path / "real").write_text("x\n")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    failed = run(run_module, [spec(tmp_path / "link", content="y\n")])
    assert failed.rc == 1 and "not a regular file" in failed.result["msg"]
    assert (tmp_path / "real").read_text() == "x\n"


def test_a_bad_mode_is_named(tmp_path, run_module):
    failed = run(run_module, [spec(tmp_path / "a.conf", content="a\n", mode="rw-r--r--")])
    assert failed.rc == 1 and "is not an octal number" in failed.result["msg"]


def test_a_missing_group_is_a_change_in_check_mode_and_an_error_otherwise(tmp_path, run_module):
    files = [spec(tmp_path / "haproxy.cfg", content="global\n", group="kha-no-such-group", mode="0640")]
    checked = run(run_module, files, check_mode=True)
    assert checked.rc == 0, checked.result
    assert checked.result["changed_files"] == [str(tmp_path / "haproxy.cfg")]
    assert checked.result["diff"][0]["after"] == "global\n"
    failed = run(run_module, files)
    assert failed.rc == 1 and "no such user or group" in failed.result["msg"]
    assert not (tmp_path / "haproxy.cfg").exists()


def test_an_owner_change_is_shown_by_name(tmp_path, run_module):
    files = [spec(tmp_path / "a.conf", content="a\n")]
    run(run_module, files)
    files[0]["group"] = "kha-no-such-group"
    result = run(run_module, files, check_mode=True).result
    assert result["diff"][0]["before"] == f"owner: {OWNER}:{GROUP}\n"
    assert result["diff"][0]["after"] == f"owner: {OWNER}:kha-no-such-group\n"


def run_with_directories(run_module, directories, files, check_mode=False):
    return run_module(
        node_files, {"directories": directories, "files": files, "_ansible_diff": True}, check_mode=check_mode
    )


def test_a_remote_source_is_copied_and_never_travels_back(tmp_path, run_module):
    (tmp_path / "admin.conf").write_text(SECRET)
    os.chmod(tmp_path / "admin.conf", 0o600)
    files = [spec(tmp_path / "config", remote_src=str(tmp_path / "admin.conf"), mode="0600")]
    for check_mode in (True, False):
        copied = run(run_module, files, check_mode=check_mode)
        assert copied.rc == 0, copied.result
        assert copied.result["changed_files"] == [str(tmp_path / "config")]
        assert copied.result["diff"][0]["after"] == node_files.HIDDEN_AFTER
        assert_secret_free(copied.printed, SECRET.strip(), "s3cr3tPw")
    assert (tmp_path / "config").read_text() == SECRET and mode_of(tmp_path / "config") == 0o600
    assert run(run_module, files).result["changed"] is False
    # the source changes (renewed certificates): the copy follows, still without showing either content
    (tmp_path / "admin.conf").write_text("auth_pass 0therPw\n")
    renewed = run(run_module, files)
    assert renewed.result["changed_files"] == [str(tmp_path / "config")]
    assert renewed.result["diff"][0]["before"] == node_files.HIDDEN_BEFORE
    assert_secret_free(renewed.printed, "s3cr3tPw", "0therPw")
    assert (tmp_path / "config").read_text() == "auth_pass 0therPw\n"


def test_a_missing_remote_source_leaves_the_file_alone(tmp_path, run_module):
    files = [spec(tmp_path / "config", remote_src=str(tmp_path / "absent.conf"), mode="0600")]
    result = run(run_module, files).result
    assert result["changed"] is False
    assert result["missing_sources"] == [str(tmp_path / "config")]
    assert not (tmp_path / "config").exists()


def test_directories_are_created_and_their_mode_repaired(tmp_path, run_module):
    kube = tmp_path / "home" / ".kube"
    directories = [{"path": str(kube), "mode": "0700", "owner": OWNER, "group": GROUP}]
    files = [spec(kube / "config", content="c\n", mode="0600")]
    checked = run_with_directories(run_module, directories, files, check_mode=True)
    assert checked.result["changed_files"] == [str(kube), str(kube / "config")]
    assert checked.result["diff"][0]["before"] == "" and "mode 0700" in checked.result["diff"][0]["after"]
    assert not (tmp_path / "home").exists()
    created = run_with_directories(run_module, directories, files)
    assert created.rc == 0, created.result
    assert created.result["changed_files"] == [str(kube), str(kube / "config")]
    assert mode_of(kube) == 0o700 and mode_of(tmp_path / "home") == 0o755
    assert run_with_directories(run_module, directories, files).result["changed"] is False
    os.chmod(kube, 0o755)
    repaired = run_with_directories(run_module, directories, files)
    assert repaired.result["changed_files"] == [str(kube)]
    assert repaired.result["diff"][0] == {
        "before_header": str(kube),
        "after_header": str(kube),
        "before": f"mode 0755, owner {OWNER}:{GROUP}\n",
        "after": f"mode 0700, owner {OWNER}:{GROUP}\n",
    }
    assert mode_of(kube) == 0o700


def test_a_file_in_place_of_a_directory_is_refused(tmp_path, run_module):
    (tmp_path / "d").write_text("x\n")
    directories = [{"path": str(tmp_path / "d"), "mode": "0700", "owner": OWNER, "group": GROUP}]
    failed = run_with_directories(run_module, directories, [])
    assert failed.rc == 1 and "is not a directory" in failed.result["msg"]
