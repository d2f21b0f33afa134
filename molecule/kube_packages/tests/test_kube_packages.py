"""kube_packages on lab nodes: the real Kubernetes v1.20.2 packages, pinned, held, kubelet enabled.

kp-bookworm installed them fresh; kp-trixie upgraded to them from the scenario's 1.20.1 TEST PACKAGES (shell
scripts, see files/build-test-debs.sh). side_effect.yml ran the refusals before this: they must have left
both nodes exactly here.
"""

import pytest
from kha_playbook_run import converge, recap, task_statuses

PACKAGES = ("kubelet", "kubeadm", "kubectl")
VERSION = "1.20.2-1.1"
REPO = "http://172.30.0.2/apt/core:/stable:/v1.20/deb/"
KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.asc"


@pytest.mark.parametrize("package", PACKAGES)
def test_package_pinned_and_held(host, package):
    out = host.check_output(f"dpkg-query --show --showformat='${{Version}} ${{db:Status-Abbrev}}' {package}")
    version, status = out.split()
    assert version == VERSION
    assert status == "hi"  # hold, installed


def test_real_binaries_report_the_version(host):
    assert host.check_output("kubeadm version -o short") == "v1.20.2"
    assert host.check_output("kubelet --version") == "Kubernetes v1.20.2"
    assert "v1.20.2" in host.check_output("kubectl version --client --short")


def test_kubelet_enabled_not_waited_for(host):
    # Enabled; it restarts in a loop until kubeadm configures it, which is expected and not checked.
    assert host.service("kubelet").is_enabled


def test_repository_entry_and_key(host):
    entry = host.file("/etc/apt/sources.list.d/kubernetes.list")
    assert entry.mode == 0o644
    lines = [line for line in entry.content_string.splitlines() if line and not line.startswith("#")]
    assert lines == [f"deb [signed-by={KEYRING}] {REPO} /"]
    key = host.file(KEYRING)
    assert key.mode == 0o644 and key.content_string.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert host.check_output(f"curl -fsS {REPO}Release.key") == key.content_string.rstrip("\n")
    # apt trusts the repository through that key: the installed version comes from it.
    policy = host.check_output("apt-cache policy kubeadm")
    assert f"*** {VERSION} 500" in policy and REPO.rstrip("/") in policy


def test_holds_keep_the_packages_on_upgrade(host):
    simulated = host.check_output("apt-get --simulate --with-new-pkgs upgrade")
    assert not any(line.startswith(("Inst kube", "Remv kube")) for line in simulated.splitlines())
    assert set(host.check_output("apt-mark showhold").split()) >= set(PACKAGES)


def test_upgrade_node_came_from_the_test_packages(host):
    if host.backend.get_hostname() != "kp-trixie":
        pytest.skip("fresh install node")
    log = host.file("/var/log/dpkg.log").content_string
    for package in PACKAGES:
        assert f"upgrade {package}:amd64 1.20.1-1.1 {VERSION}" in log, package


def test_check_mode_on_converged_hosts_changes_nothing():
    """--check --diff on the converged nodes: passes, and reports no change on any host."""
    proc = converge("--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    lines = recap(proc.stdout)
    assert len(lines) == 2, lines
    assert all("changed=0" in line and "failed=0" in line for line in lines), lines


REPO_WRITE = "TASK [kubeadm_ha.cluster.kube_packages : Write the repository signing key and the repository definition]"


def test_a_drifted_repository_file_is_repaired_where_it_drifted(host):
    """The probe compares the key and the repository definition: only the host whose file was edited gets the write
    (and the package lists refreshed); the other makes no write call (skipped). The next run changes nothing."""
    if host.backend.get_hostname() != "kp-bookworm":
        pytest.skip("runs once, from kp-bookworm")
    listing = "/etc/apt/sources.list.d/kubernetes.list"
    kept = host.file(listing).content_string
    host.run_expect([0], f"echo '# edited by hand' >>{listing}")
    run = converge()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    statuses = task_statuses(run.stdout, REPO_WRITE)
    assert statuses == {"kp-bookworm": "changed", "kp-trixie": "skipping"}, run.stdout[-3000:]
    assert host.file(listing).content_string == kept
    again = converge()
    lines = recap(again.stdout)
    assert len(lines) == 2 and all("changed=0" in line for line in lines), lines
    assert task_statuses(again.stdout, REPO_WRITE) == {"kp-bookworm": "skipping", "kp-trixie": "skipping"}
