"""container_runtime on lab nodes: containerd 1.6/1.7, Docker 20.10 + cri-dockerd (a stand-in) configured and working.

The lab registry 172.30.0.2:5000 holds kha-test/busybox:1 (pushed by prepare.yml); pulls go through the
configured paths: the insecure registry itself, and registry.kha-lab.test, which only resolves to an image
through its mirror (the lab registry).
"""

import json
import os
import subprocess
import tomllib

import pytest
from kha_playbook_run import converge, recap, task_statuses

IMAGE = "kha-test/busybox:1"
SANDBOX = "172.30.0.2:5000/k8s/pause:3.2"  # image repository of the scenario + kubeadm 1.20's pause tag
SANDBOX_1_32 = "172.30.0.2:5000/k8s/pause:3.10"  # kubeadm 1.32's pause tag (the sid node is set up for 1.32)
CONTAINERD_NODES = {"cr-containerd", "cr-containerd-trixie", "cr-containerd-sid"}


def name(host):
    return host.backend.get_hostname()


@pytest.fixture
def containerd_host(host):
    if name(host) not in CONTAINERD_NODES:
        pytest.skip("docker node")
    return host


@pytest.fixture
def docker_host(host):
    if name(host) != "cr-docker":
        pytest.skip("containerd node")
    return host


# --- containerd ------------------------------------------------------------------------------------------
def test_containerd_running_enabled_and_answering(containerd_host):
    svc = containerd_host.service("containerd")
    assert svc.is_running and svc.is_enabled
    out = containerd_host.check_output("ctr version")
    assert "Server:" in out and "Version:" in out


def test_containerd_config_layout_and_values(containerd_host):
    config = tomllib.loads(containerd_host.file("/etc/containerd/config.toml").content_string)
    version = containerd_host.check_output("containerd --version")
    if name(containerd_host) == "cr-containerd-sid":
        pytest.skip("containerd 2.x: test_containerd_2_config_version_3")
    assert " 1." in version  # bookworm and trixie ship containerd 1.x: config version 2
    assert config["version"] == 2
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is False  # cgroupfs, as configured
    assert cri["restrict_oom_score_adj"] is True
    assert cri["sandbox_image"] == SANDBOX
    assert cri["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert cri["cni"]["bin_dir"] == "/opt/cni/bin"
    assert config["disabled_plugins"] == []


def test_containerd_2_config_version_3(containerd_host):
    """Debian sid's containerd 2.1 with the config version 3 the role renders for it."""
    if name(containerd_host) != "cr-containerd-sid":
        pytest.skip("containerd 1.x node")
    assert " 2.1" in containerd_host.check_output("containerd --version")
    config = tomllib.loads(containerd_host.file("/etc/containerd/config.toml").content_string)
    assert config["version"] == 3
    images = config["plugins"]["io.containerd.cri.v1.images"]
    runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
    assert images["pinned_images"]["sandbox"] == SANDBOX_1_32
    assert images["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert runtime["restrict_oom_score_adj"] is True
    assert runtime["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is False
    assert runtime["cni"]["bin_dirs"] == ["/opt/cni/bin"]  # 2.1 renamed bin_dir
    # What the running daemon uses: containerd's own view of the merged configuration (a real parse of our file;
    # an unknown or misplaced key would be rejected or dropped here).
    dump = tomllib.loads(containerd_host.check_output("containerd config dump"))
    assert dump["version"] == 3
    assert dump["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"] == SANDBOX_1_32
    assert dump["plugins"]["io.containerd.cri.v1.runtime"]["restrict_oom_score_adj"] is True
    assert containerd_host.service("containerd").is_running


def test_running_containerd_loaded_the_config(containerd_host):
    # The CRI plugin logs its effective configuration at start: the running daemon has ours.
    if name(containerd_host) == "cr-containerd-sid":
        pytest.skip("containerd 2.x logs its configuration differently: test_containerd_2_config_version_3")
    journal = "journalctl --no-pager -u containerd -o cat | grep 'Start cri plugin with config'"
    lines = containerd_host.check_output(journal)
    last = lines.splitlines()[-1]
    for expected in ("RestrictOOMScoreAdj:true", "ConfigPath:/etc/containerd/certs.d", f"SandboxImage:{SANDBOX}",
                     "SystemdCgroup:false"):
        assert expected in last, expected


def test_registry_hosts_files(containerd_host):
    d = "/etc/containerd/certs.d"
    lab = tomllib.loads(containerd_host.file(f"{d}/172.30.0.2:5000/hosts.toml").content_string)
    assert lab["server"] == "http://172.30.0.2:5000"
    assert lab["host"]["http://172.30.0.2:5000"] == {"capabilities": ["pull", "resolve", "push"], "skip_verify": True}
    mirrored = tomllib.loads(containerd_host.file(f"{d}/registry.kha-lab.test/hosts.toml").content_string)
    assert mirrored["server"] == "https://registry.kha-lab.test"
    assert mirrored["host"]["http://172.30.0.2:5000"] == {"capabilities": ["pull", "resolve"], "skip_verify": True}
    hub = tomllib.loads(containerd_host.file(f"{d}/docker.io/hosts.toml").content_string)
    assert hub["server"] == "https://registry-1.docker.io"
    assert list(hub["host"]) == ["http://172.30.0.2:5000"]


def test_pull_from_the_insecure_lab_registry(containerd_host):
    cmd = f"ctr -n k8s.io images pull --hosts-dir /etc/containerd/certs.d 172.30.0.2:5000/{IMAGE}"
    assert containerd_host.run(cmd).rc == 0


def test_pull_through_the_mirror_and_run(containerd_host):
    ref = f"registry.kha-lab.test/{IMAGE}"
    pull = containerd_host.run(f"ctr -n k8s.io images pull --hosts-dir /etc/containerd/certs.d {ref}")
    assert pull.rc == 0, pull.stderr
    if name(containerd_host) == "cr-containerd-sid":
        # sid's systemd (>= 258) needs cgroup v2; this host is cgroup v1 with the v2 hierarchy beside it, which has
        # no controllers (lab/labctl node_cgroup_args): containerd runs and pulls, runc cannot start a container.
        pytest.skip("pulled through the mirror; no container starts here: its cgroup v2 tree has no controllers")
    run = containerd_host.run(f"ctr -n k8s.io run --rm {ref} kha-verify-{os.getpid()} /bin/busybox echo kha-ok")
    assert run.rc == 0, run.stderr
    assert run.stdout.strip() == "kha-ok"


def test_crictl_config_only_where_crictl_is(containerd_host):
    crictl_yaml = containerd_host.file("/etc/crictl.yaml")
    if name(containerd_host) == "cr-containerd":  # prepare.yml put a crictl stand-in there
        assert "runtime-endpoint: unix:///run/containerd/containerd.sock" in crictl_yaml.content_string
        assert containerd_host.check_output("crictl") == crictl_yaml.content_string.rstrip("\n")
    else:
        assert not crictl_yaml.exists


# --- docker ----------------------------------------------------------------------------------------------
def test_docker_running_with_configured_daemon(docker_host):
    assert docker_host.service("docker").is_running and docker_host.service("docker").is_enabled
    daemon = json.loads(docker_host.file("/etc/docker/daemon.json").content_string)
    assert daemon["exec-opts"] == ["native.cgroupdriver=cgroupfs"]
    assert daemon["log-opts"] == {"max-size": "100m", "max-file": "5"}
    assert daemon["insecure-registries"] == ["172.30.0.2:5000"]
    assert daemon["registry-mirrors"] == ["http://172.30.0.2:5000"]
    info = json.loads(docker_host.check_output("docker info --format '{{json .}}'"))
    assert info["CgroupDriver"] == "cgroupfs"
    assert "http://172.30.0.2:5000/" in info["RegistryConfig"]["Mirrors"]
    assert "172.30.0.2:5000" in info["RegistryConfig"]["IndexConfigs"]
    assert info["RegistryConfig"]["IndexConfigs"]["172.30.0.2:5000"]["Secure"] is False


def test_docker_pulls_and_runs_from_the_lab_registry(docker_host):
    run = docker_host.run(f"docker run --rm 172.30.0.2:5000/{IMAGE} /bin/busybox echo kha-ok")
    assert run.rc == 0, run.stderr
    assert run.stdout.strip().endswith("kha-ok")


def test_cri_dockerd_installed_and_serving_the_socket(docker_host):
    # Kubernetes 1.30 with docker: cri-dockerd. The binary is the scenario's STAND-IN (files/build-cri-dockerd-stub.sh),
    # installed by the role from a release-shaped archive, checked against its .sha256, run by the role's units.
    assert "kha test stub" in docker_host.check_output("/usr/local/bin/cri-dockerd --version")
    for unit in ("cri-docker.socket", "cri-docker.service"):
        assert docker_host.service(unit).is_running and docker_host.service(unit).is_enabled, unit
    assert docker_host.file("/run/cri-dockerd.sock").is_socket
    args = docker_host.file("/run/kha-cri-dockerd-stub.args").content_string.split()
    assert args[:2] == ["--container-runtime-endpoint", "fd://"]
    assert "--pod-infra-container-image=172.30.0.2:5000/k8s/pause:3.9" in args  # kubeadm 1.30's pause tag
    assert "--network-plugin=cni" in args and "--cni-bin-dir=/opt/cni/bin" in args
    # No containerd CRI configuration of ours on a docker node.
    assert not docker_host.file("/etc/containerd/certs.d").exists


# --- the whole play --------------------------------------------------------------------------------------
def test_check_mode_on_converged_hosts_changes_nothing():
    """--check --diff on the converged nodes: passes, and reports no change on any host."""
    proc = converge("--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    lines = recap(proc.stdout)
    assert len(lines) == 4, lines
    assert all("changed=0" in line and "failed=0" in line for line in lines), lines


CONFIG_WRITE = ("TASK [kubeadm_ha.cluster.container_runtime : "
                "Write the containerd configuration and the registry host configurations")
STARTED = ("systemctl", "show", "-P", "ActiveEnterTimestampMonotonic", "containerd")


def _node_exec(node, *argv):
    """A command inside a node's container (molecule/shared/create.yml names them kha-mol-<scenario>-<node>)."""
    scenario = os.environ.get("MOLECULE_SCENARIO_NAME", "container_runtime").replace("_", "-")
    container = f"kha-mol-{scenario}-{node}"
    return subprocess.run(["docker", "exec", container, *argv], capture_output=True, text=True, check=True).stdout


def test_drift_is_repaired_on_its_node_only_and_a_converged_node_makes_no_write_call():
    """The probe returns the checksums of config.toml (whose layout follows the version read in the same call) and of
    every hosts.toml, and the modes of their directories: an edited config.toml on the containerd 2.1 node (layout v3)
    and a hosts.toml made 0600 on the bookworm node are repaired there, and only there; the trixie node skips the
    write (no module call), and the edited node's containerd is restarted on the repaired file. Then certs.d made 0700
    on the trixie node is repaired there only. The next run changes nothing."""
    config, hosts = "/etc/containerd/config.toml", "/etc/containerd/certs.d/172.30.0.2:5000/hosts.toml"
    before = {node: _node_exec(node, "sha1sum", config, hosts) for node in sorted(CONTAINERD_NODES)}
    started = _node_exec("cr-containerd-sid", *STARTED)
    _node_exec("cr-containerd-sid", "sh", "-c", f"echo '# edited by hand' >>{config}")
    _node_exec("cr-containerd", "chmod", "0600", hosts)
    run = converge()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    statuses = task_statuses(run.stdout, CONFIG_WRITE)
    assert statuses == {"cr-containerd": "changed", "cr-containerd-sid": "changed",
                        "cr-containerd-trixie": "skipping", "cr-docker": "skipping"}, run.stdout[-3000:]
    assert {node: _node_exec(node, "sha1sum", config, hosts) for node in sorted(CONTAINERD_NODES)} == before
    assert _node_exec("cr-containerd", "stat", "-c", "%a", hosts).strip() == "644"
    restarted = _node_exec("cr-containerd-sid", *STARTED)
    assert int(restarted) > int(started)
    # a directory's mode alone is drift too
    _node_exec("cr-containerd-trixie", "chmod", "0700", "/etc/containerd/certs.d")
    run = converge()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    statuses = task_statuses(run.stdout, CONFIG_WRITE)
    assert statuses == {"cr-containerd": "skipping", "cr-containerd-sid": "skipping",
                        "cr-containerd-trixie": "changed", "cr-docker": "skipping"}, run.stdout[-3000:]
    assert _node_exec("cr-containerd-trixie", "stat", "-c", "%a", "/etc/containerd/certs.d").strip() == "755"
    lines = recap(converge().stdout)
    assert len(lines) == 4 and all("changed=0" in line for line in lines), lines
