"""Rendering tests of the container_runtime role: the paths the lab cannot run, and the logic behind the files.

The lab runs containerd 1.6/1.7 and Docker 20.10 from Debian (molecule/container_runtime). Not reachable there:
containerd 2.x (config version 3), Docker's upstream repository (apt and dnf), cri-dockerd (no package can be
fetched), RHEL. These tests render the role's own templates with the role's own variables (defaults, vars/,
and the expressions of its task files), through Jinja2 with Ansible's filters and tests, and parse the results
(TOML, JSON, INI, YAML) the way the consuming program would.
"""

from __future__ import annotations

import configparser
import json
import tomllib
from pathlib import Path

import jinja2
import jinja2.nativetypes
import pytest
import yaml
from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible.plugins.filter.mathstuff import FilterModule as MathFilters
from ansible.plugins.test.core import TestModule as CoreTests

ROLE = Path(__file__).resolve().parents[2] / "roles" / "container_runtime"
# Ansible's own versions of these are wrappers for its lazy templating; Jinja's are the same filters.
JINJA_OWN = {"map", "select", "reject", "selectattr", "rejectattr", "groupby", "default", "d", "defined", "undefined"}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def _native_concat(values):
    """Ansible's result of a template: one expression keeps its type (a string stays a string: "1.20" is not
    the number 1.2), anything else is text."""
    values = list(values)
    if len(values) == 1:
        return values[0]
    return "".join(str(v) for v in values)


def _setup(env: jinja2.Environment) -> jinja2.Environment:
    for plugins, target in ((CoreFilters().filters(), env.filters), (MathFilters().filters(), env.filters),
                            (CoreTests().tests(), env.tests)):
        target.update({k: v for k, v in plugins.items() if k not in JINJA_OWN})
    return env


class RoleVars:
    """A role's variables as Ansible layers them (defaults < vars/main < vars/<family> < overrides), templated
    lazily on access as Ansible does, and its templates rendered with them (trim_blocks, as the template module).
    Shared with the other roles' rendering tests (test_kube_packages_render)."""

    def __init__(self, role: Path, family: str = "Debian", facts: dict | None = None, **overrides):
        self.role = role
        self.native = _setup(jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined))
        self.native.concat = _native_concat
        self.text = _setup(jinja2.Environment(loader=jinja2.FileSystemLoader(role / "templates"), trim_blocks=True,
                                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined))
        facts = {"os_family": family, "distribution": "Debian", "distribution_major_version": "12",
                 "distribution_release": "bookworm", "architecture": "x86_64", **(facts or {})}
        self.raw = {**_load(role / "defaults" / "main.yml"), **_load(role / "vars" / "main.yml"),
                    **_load(role / "vars" / f"{family}.yml"),
                    "ansible_facts": facts, "ansible_managed": "Ansible managed", "ansible_check_mode": False,
                    **overrides}

    def __getitem__(self, name: str):
        return self._resolve(self.raw[name])

    def _resolve(self, value):
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            return self.expr(value)
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value

    def expr(self, source: str):
        """An expression (a variable's or a task's value), evaluated to a native value as Ansible does."""
        template = self.native.from_string(source)
        return self.native.concat(template.root_render_func(template.new_context(_Lazy(self), shared=True)))

    def render(self, name: str, **local) -> str:
        template = self.text.get_template(name)
        ctx = _Lazy(self, local)
        return "".join(template.root_render_func(template.new_context(ctx, shared=True)))

    def task(self, file: str, name: str) -> dict:
        """A task of the role by its name (to evaluate the expressions it holds)."""
        for entry in yaml.safe_load((self.role / "tasks" / file).read_text()):
            for candidate in [entry, *entry.get("block", [])]:
                if candidate.get("name") == name:
                    return candidate
        raise KeyError(name)


def runtime(family: str = "Debian", facts: dict | None = None, **overrides) -> RoleVars:
    """The container_runtime role's variables (containerd 1.6.20 installed unless told otherwise)."""
    overrides.setdefault("__container_runtime_containerd_version", "1.6.20")
    return RoleVars(ROLE, family, facts, **overrides)


class _Lazy(dict):
    """Jinja's context parent: looks names up in the role's variables, resolving them on access."""

    def __init__(self, role: RoleVars, local: dict | None = None):
        super().__init__()
        self.role, self.local = role, local or {}

    def __contains__(self, name):
        return name in self.local or name in self.role.raw or name in self.role.native.globals

    def __getitem__(self, name):
        if name in self.local:
            return self.role._resolve(self.local[name])
        if name in self.role.raw:
            return self.role[name]
        return self.role.native.globals[name]  # dict, range, namespace, ...

    def get(self, name, default=None):
        return self[name] if name in self else default


def task(file: str, name: str) -> dict:
    return runtime().task(file, name)


LAB = {  # molecule/container_runtime's settings
    "container_runtime_kubernetes_version": "1.20.2",
    "container_runtime_cgroup_driver": "cgroupfs",
    "container_runtime_restrict_oom_score_adj": True,
    "container_runtime_image_repository": "172.30.0.2:5000/k8s",
    "container_runtime_insecure_registries": ["172.30.0.2:5000"],
    "container_runtime_registry_mirrors": {"registry.kha-lab.test": ["http://172.30.0.2:5000"]},
}


# --- containerd: version detection and layout choice --------------------------------------------------------
def _containerd_version(probe, reread=None):
    """The version the role picks from the probe's `containerd --version` (main.yml) or, after an install, its own."""
    role = RoleVars(ROLE, __container_runtime_probe={"commands": {"containerd": probe}},
                    __container_runtime_containerd_reread=reread or {"skipped": True, "changed": False})
    return role["__container_runtime_containerd_version"]


@pytest.mark.parametrize(("output", "version"), [
    ("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3", "1.6.20"),  # Debian 12
    ("containerd github.com/containerd/containerd 1.7.24~ds1 1.7.24~ds1-6+deb13u1", "1.7.24"),  # Debian 13
    ("containerd containerd.io 1.7.22 7f7fdf5fed64eb6a7caf99b3e12efcf9d60e311c", "1.7.22"),  # download.docker.com
    ("containerd containerd.io v2.1.4 75cb2b7193e4e490e9fbdc236c0e811ccaba3376", "2.1.4"),
    ("containerd github.com/containerd/containerd/v2 v2.0.0 207ad711eabd375a01713109a8a197d197ff6542", "2.0.0"),
])
def test_containerd_version_read_from_real_outputs(output, version):
    assert _containerd_version({"rc": 0, "stdout": output, "stderr": ""}) == version


def test_containerd_version_assumed_when_not_installed():
    # check mode on a fresh host: node_probe reports a command it cannot start with rc 127
    assert _containerd_version({"rc": 127, "stdout": "", "stderr": "containerd: command not found"}) == "1.6.0"


def test_containerd_version_read_again_after_this_run_installed_it():
    missing = {"rc": 127, "stdout": "", "stderr": "containerd: command not found"}
    reread = {"rc": 0, "stdout": "containerd containerd.io v2.1.4 75cb2b7193e4e490e9fbdc236c0e811ccaba3376",
              "stderr": "", "changed": False}
    assert _containerd_version(missing, reread) == "2.1.4"


@pytest.mark.parametrize(("output", "version"), [
    ("Docker version 20.10.24+dfsg1, build 297e128", "20.10.24"),  # Debian 12
    ("Docker version 26.1.5+dfsg1, build a72d7cd", "26.1.5"),  # Debian 13
    ("Docker version 27.3.1, build ce12230", "27.3.1"),  # docker-ce
])
def test_docker_version_read_from_real_outputs(output, version):
    expression = task("docker.yml", "Note the Docker version")["ansible.builtin.set_fact"]
    role = runtime(__container_runtime_docker_version_cmd={"rc": 0, "stdout": output, "stderr": ""})
    assert role.expr(expression["__container_runtime_docker_version"]) == version


@pytest.mark.parametrize(("version", "template"), [
    ("1.5.0", "containerd/config-v2.toml.j2"), ("1.6.20", "containerd/config-v2.toml.j2"),
    ("1.7.24", "containerd/config-v2.toml.j2"), ("2.0.0", "containerd/config-v3.toml.j2"),
    ("2.1.4", "containerd/config-v3.toml.j2"),
])
def test_layout_follows_the_major_version(version, template):
    write = task("containerd.yml",
                 "Write the containerd configuration and the registry host configurations (hosts.toml)")
    assert write["kubeadm_ha.cluster.node_files"]["files"] == "{{ __container_runtime_containerd_file_entries }}"
    role = runtime(__container_runtime_containerd_version=version)
    assert "lookup('ansible.builtin.template', __container_runtime_config_template)" in role.raw[
        "__container_runtime_containerd_file_entries"]
    assert role["__container_runtime_config_template"] == template


def test_the_probe_sums_exactly_the_files_the_write_step_writes():
    """The probe's sums (paths, without rendering) name the directories and the dest of every entry the write step
    gets, in order."""
    role = runtime(**LAB)
    paths = role["__container_runtime_containerd_file_paths"]
    assert paths == ["/etc/containerd", "/etc/containerd/certs.d", "/etc/containerd/config.toml",
                     "/etc/containerd/certs.d/registry.kha-lab.test/hosts.toml",
                     "/etc/containerd/certs.d/172.30.0.2:5000/hosts.toml"]
    entries = role.raw["__container_runtime_containerd_file_entries"]
    assert "__container_runtime_containerd_config" in entries and "__container_runtime_hosts_files" in entries


def test_containerd_1x_config_lab():
    role = runtime(**LAB)
    config = tomllib.loads(role.render("containerd/config-v2.toml.j2"))
    assert config["version"] == 2 and config["disabled_plugins"] == []
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["sandbox_image"] == "172.30.0.2:5000/k8s/pause:3.2"
    assert cri["restrict_oom_score_adj"] is True
    assert cri["containerd"]["runtimes"]["runc"] == {"runtime_type": "io.containerd.runc.v2",
                                                     "options": {"SystemdCgroup": False}}
    assert cri["registry"] == {"config_path": "/etc/containerd/certs.d"}
    assert cri["cni"] == {"bin_dir": "/opt/cni/bin", "conf_dir": "/etc/cni/net.d"}


@pytest.mark.parametrize("version", ["2.0.0", "2.1.4"])
def test_containerd_2x_config_uses_the_version_3_plugins(version):
    role = runtime(__container_runtime_containerd_version=version, container_runtime_kubernetes_version="1.31.2")
    config = tomllib.loads(role.render("containerd/config-v3.toml.j2"))
    assert config["version"] == 3
    plugins = config["plugins"]
    # Nothing in the 1.x tables, where containerd 2.x would ignore it.
    assert set(plugins) == {"io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"}
    images, cri_runtime = plugins["io.containerd.cri.v1.images"], plugins["io.containerd.cri.v1.runtime"]
    assert images["pinned_images"] == {"sandbox": "registry.k8s.io/pause:3.10"}
    assert images["registry"] == {"config_path": "/etc/containerd/certs.d"}
    assert images["snapshotter"] == "overlayfs"
    assert cri_runtime["restrict_oom_score_adj"] is False
    assert cri_runtime["containerd"]["runtimes"]["runc"]["options"] == {"SystemdCgroup": True}  # the default driver
    cni = cri_runtime["cni"]
    if version == "2.0.0":
        assert cni == {"bin_dir": "/opt/cni/bin", "conf_dir": "/etc/cni/net.d"}
    else:  # bin_dir is deprecated from 2.1 (removed in 2.2)
        assert cni == {"bin_dirs": ["/opt/cni/bin"], "conf_dir": "/etc/cni/net.d"}


@pytest.mark.parametrize(("settings", "image"), [
    ({"container_runtime_kubernetes_version": "1.20.2"}, "registry.k8s.io/pause:3.2"),
    ({"container_runtime_kubernetes_version": "v1.30.6"}, "registry.k8s.io/pause:3.9"),
    ({"container_runtime_kubernetes_version": "1.31"}, "registry.k8s.io/pause:3.10"),
    ({}, "registry.k8s.io/pause:3.10.1"),  # unknown version: the newest known tag
    ({"container_runtime_kubernetes_version": "1.99.0"}, "registry.k8s.io/pause:3.10.1"),
    ({"container_runtime_image_repository": "registry.aliyuncs.com/google_containers/",
      "container_runtime_kubernetes_version": "1.28.4"}, "registry.aliyuncs.com/google_containers/pause:3.9"),
    ({"container_runtime_sandbox_image": "mirror.example.internal/pause:3.9"}, "mirror.example.internal/pause:3.9"),
])
def test_sandbox_image(settings, image):
    assert runtime(**settings)["__container_runtime_sandbox_image"] == image


# --- registries: hosts.toml ---------------------------------------------------------------------------------
def _hosts(role: RoleVars, registry: str) -> tuple[str, dict]:
    text = role.render("containerd/hosts.toml.j2", __container_runtime_registry=registry)
    return text, tomllib.loads(text)


def test_hosts_toml_for_the_tutorials_mirrors_and_insecure_registries():
    role = runtime(
        container_runtime_registry_mirrors={
            "docker.io": ["https://mirror-a.example.internal", "http://mirror-b.example.internal:5000/"],
            "registry.k8s.io": ["https://k8s-mirror.example.internal"],
        },
        container_runtime_insecure_registries=["mirror-b.example.internal:5000", "https://harbor.example.internal:8443",
                                               "172.30.0.2:5000"],
    )
    assert role["__container_runtime_registries"] == [
        "docker.io", "registry.k8s.io", "mirror-b.example.internal:5000", "harbor.example.internal:8443",
        "172.30.0.2:5000"]
    text, hub = _hosts(role, "docker.io")
    assert text.startswith(role["__container_runtime_hosts_marker"])  # how stale files are found
    assert hub["server"] == "https://registry-1.docker.io"
    assert list(hub["host"]) == ["https://mirror-a.example.internal", "http://mirror-b.example.internal:5000"]
    assert hub["host"]["https://mirror-a.example.internal"] == {"capabilities": ["pull", "resolve"]}
    assert hub["host"]["http://mirror-b.example.internal:5000"]["skip_verify"] is True  # an insecure host
    _text, k8s = _hosts(role, "registry.k8s.io")
    assert k8s == {"server": "https://registry.k8s.io",
                   "host": {"https://k8s-mirror.example.internal": {"capabilities": ["pull", "resolve"]}}}
    _text, harbor = _hosts(role, "harbor.example.internal:8443")
    assert harbor == {"server": "https://harbor.example.internal:8443",
                      "host": {"https://harbor.example.internal:8443": {
                          "capabilities": ["pull", "resolve", "push"], "skip_verify": True}}}
    _text, lab = _hosts(role, "172.30.0.2:5000")
    assert lab["server"] == "http://172.30.0.2:5000"


def test_stale_hosts_files_are_the_unconfigured_ones():
    wanted = task("containerd.yml", "Remove the ones of registries no longer configured")["loop"]
    found = [["/etc/containerd/certs.d/docker.io/hosts.toml", "/etc/containerd/certs.d/quay.io/hosts.toml"]]
    role = runtime(
        container_runtime_registry_mirrors={"docker.io": ["https://m.example.internal"]},
        __container_runtime_probe={"found": found},
    )
    assert role.expr(wanted) == ["/etc/containerd/certs.d/quay.io/hosts.toml"]


# --- docker ------------------------------------------------------------------------------------------------
def test_daemon_json():
    role = runtime(
        container_runtime_engine="docker",
        container_runtime_registry_mirrors={"docker.io": ["https://mirror.example.internal"],
                                            "quay.io": ["https://q.example.internal"]},
        container_runtime_insecure_registries=["10.0.0.5:5000"],
        container_runtime_docker_daemon_options={"log-opts": {"max-size": "10m"}, "live-restore": True},
    )
    daemon = json.loads(role.render("docker/daemon.json.j2"))
    assert daemon == {
        "exec-opts": ["native.cgroupdriver=systemd"],
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m"},  # the user's options win, whole keys
        "registry-mirrors": ["https://mirror.example.internal"],  # docker.io only: Docker has no other mirrors
        "insecure-registries": ["10.0.0.5:5000"],
        "live-restore": True,
    }
    plain = json.loads(runtime(container_runtime_engine="docker").render("docker/daemon.json.j2"))
    assert "storage-driver" not in plain and "data-root" not in plain and "registry-mirrors" not in plain
    assert plain["log-opts"] == {"max-file": "5", "max-size": "100m"}


@pytest.mark.parametrize(("version", "validate"),
                         [("20.10.24", None), ("23.0.0", "dockerd --validate --config-file=%s")])
def test_daemon_json_validated_by_dockerd_from_23(version, validate):
    expression = task("docker.yml", "Write the Docker daemon configuration")["ansible.builtin.template"]["validate"]
    role = runtime(__container_runtime_docker_version=version, omit=None)
    assert role.expr(expression) == validate


@pytest.mark.parametrize(("engine", "kubernetes", "needed", "socket", "services"), [
    ("containerd", "1.30.6", False, "unix:///run/containerd/containerd.sock", ["containerd"]),
    ("docker", "1.20.2", False, "unix:///var/run/dockershim.sock", ["docker"]),
    ("docker", "1.23.17", False, "unix:///var/run/dockershim.sock", ["docker"]),
    ("docker", "1.24.0", True, "unix:///run/cri-dockerd.sock", ["docker", "cri-docker.socket", "cri-docker.service"]),
    ("docker", "", True, "unix:///run/cri-dockerd.sock", ["docker", "cri-docker.socket", "cri-docker.service"]),
])
def test_cri_dockerd_from_kubernetes_1_24(engine, kubernetes, needed, socket, services):
    role = runtime(container_runtime_engine=engine, container_runtime_kubernetes_version=kubernetes)
    assert role["__container_runtime_cri_dockerd_needed"] is needed
    assert role["__container_runtime_cri_socket"] == socket
    assert role["__container_runtime_services"] == services
    crictl = yaml.safe_load(role.render("crictl.yaml.j2"))
    assert crictl == {"runtime-endpoint": socket, "image-endpoint": socket, "timeout": 10}


@pytest.mark.parametrize(("url", "kind", "binary"), [
    ("https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.15/cri-dockerd_0.3.15.3-0.debian-bookworm_amd64.deb",
     "deb", "/usr/bin/cri-dockerd"),
    ("https://files.example.internal/cri-dockerd-0.3.15-3.el9.x86_64.rpm", "rpm", "/usr/bin/cri-dockerd"),
    ("https://files.example.internal/cri-dockerd-0.3.15.amd64.tgz", "archive", "/usr/local/bin/cri-dockerd"),
])
def test_cri_dockerd_units(url, kind, binary):
    role = runtime(container_runtime_engine="docker", container_runtime_kubernetes_version="1.30.6",
                   container_runtime_cri_dockerd_url=url,
                   container_runtime_image_repository="registry.example.internal/k8s")
    assert role["__container_runtime_cri_dockerd_kind"] == kind
    service = configparser.ConfigParser(interpolation=None, strict=False)
    service.read_string(role.render("cri-dockerd/cri-docker.service.j2"))
    exec_start = service["Service"]["ExecStart"].split()
    assert exec_start[0] == binary
    assert "--container-runtime-endpoint" in exec_start and "fd://" in exec_start
    assert "--pod-infra-container-image=registry.example.internal/k8s/pause:3.9" in exec_start
    assert "--network-plugin=cni" in exec_start and "--cni-bin-dir=/opt/cni/bin" in exec_start
    assert "cri-docker.socket" in service["Unit"]["Requires"]
    socket = configparser.ConfigParser(interpolation=None)
    socket.read_string(role.render("cri-dockerd/cri-docker.socket.j2"))
    assert socket["Socket"]["ListenStream"] == "%t/cri-dockerd.sock"  # /run/cri-dockerd.sock


# --- packages and Docker's repository ----------------------------------------------------------------------
@pytest.mark.parametrize(("family", "facts", "source", "engine", "packages"), [
    ("Debian", {}, "distribution", "containerd", ["containerd"]),
    ("Debian", {}, "distribution", "docker", ["docker.io"]),
    ("Debian", {"distribution_major_version": "13", "distribution_release": "trixie"}, "distribution", "docker",
     ["docker.io", "docker-cli"]),
    ("Debian", {"distribution": "Ubuntu", "distribution_major_version": "24"}, "distribution", "docker", ["docker.io"]),
    ("Debian", {}, "upstream", "containerd", ["containerd.io"]),
    ("Debian", {}, "upstream", "docker", ["docker-ce", "docker-ce-cli", "containerd.io"]),
    ("RedHat", {"distribution": "Rocky"}, "upstream", "containerd", ["containerd.io"]),
    ("RedHat", {"distribution": "RedHat"}, "distribution", "containerd", []),  # preflight refuses it
])
def test_packages(family, facts, source, engine, packages):
    role = runtime(family, facts, container_runtime_package_source=source, container_runtime_engine=engine)
    assert role["__container_runtime_packages"] == packages


def test_packages_override():
    role = runtime(container_runtime_packages=["containerd.io=1.7.22-1"], container_runtime_package_source="upstream")
    assert role["__container_runtime_packages"] == ["containerd.io=1.7.22-1"]


@pytest.mark.parametrize(("facts", "url", "line"), [
    ({}, "https://download.docker.com/linux",
     "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] "
     "https://download.docker.com/linux/debian bookworm stable"),
    ({"distribution": "Ubuntu", "distribution_release": "noble", "architecture": "aarch64"},
     "https://mirrors.aliyun.com/docker-ce/linux/",  # the tutorials' mirror
     "deb [arch=arm64 signed-by=/etc/apt/keyrings/docker.asc] "
     "https://mirrors.aliyun.com/docker-ce/linux/ubuntu noble stable"),
])
def test_upstream_apt_source(facts, url, line):
    role = runtime("Debian", facts, container_runtime_package_source="upstream",
                   container_runtime_upstream_repo_url=url)
    rendered = role.render(role["__container_runtime_upstream_repo_template"])
    assert [x for x in rendered.splitlines() if x and not x.startswith("#")] == [line]
    assert role["__container_runtime_upstream_base"] == line.split()[3]


@pytest.mark.parametrize(
    ("distribution", "directory"),
    [("Rocky", "centos"), ("AlmaLinux", "centos"), ("RedHat", "rhel"), ("Fedora", "fedora")],
)
def test_upstream_dnf_repository(distribution, directory):
    role = runtime("RedHat", {"distribution": distribution, "distribution_major_version": "9"},
                   container_runtime_package_source="upstream")
    assert role["__container_runtime_upstream_repo_file"] == "/etc/yum.repos.d/docker-ce.repo"
    repo = configparser.ConfigParser(interpolation=None)
    repo.read_string(role.render(role["__container_runtime_upstream_repo_template"]))
    section = repo["docker-ce-stable"]
    assert section["baseurl"] == f"https://download.docker.com/linux/{directory}/$releasever/$basearch/stable"
    assert section["gpgkey"] == f"https://download.docker.com/linux/{directory}/gpg"
    assert section["gpgcheck"] == "1" and section["enabled"] == "1"


# --- preflight ---------------------------------------------------------------------------------------------
def _problems(role: RoleVars) -> list:
    """The messages of the role's one input check (main.yml): empty when every input passes."""
    step = role.task("main.yml",
                     "Check the OS family and its packages, the Kubernetes version, the registries and cri-dockerd")
    return role.expr(step["vars"]["__container_runtime_input_problems"])


@pytest.mark.parametrize(("mirrors", "insecure", "passes"), [
    (LAB["container_runtime_registry_mirrors"], LAB["container_runtime_insecure_registries"], True),
    ({"docker.io": ["https://a.example.internal", "http://b.example.internal:5000/v2"]}, ["https://h.example:8443"],
     True),
    ({"docker.io": "https://a.example.internal"}, [], False),  # a string, not a list
    ({"docker.io": ["a.example.internal"]}, [], False),  # no scheme
    ({}, ["http://10.0.0.5:5000/path"], False),  # a path
])
def test_registry_inputs_are_checked(mirrors, insecure, passes):
    role = runtime(container_runtime_registry_mirrors=mirrors, container_runtime_insecure_registries=insecure)
    problems = _problems(role)
    assert (problems == []) is passes
    assert all(p.startswith("container_runtime_registry_mirrors maps a registry host to a LIST") for p in problems)


@pytest.mark.parametrize(("family", "source", "passes"), [
    ("Debian", "distribution", True), ("RedHat", "upstream", True), ("RedHat", "distribution", False)])
def test_os_and_source_are_checked(family, source, passes):
    role = runtime(family, {"distribution": "Rocky"} if family == "RedHat" else {},
                   container_runtime_package_source=source)
    assert _problems(role) == ([] if passes else [
        "No containerd packages for Rocky from source 'distribution': this OS family ships none, set "
        "container_runtime_package_source: upstream (or list them in container_runtime_packages)."])


@pytest.mark.parametrize(("version", "passes"), [("", True), ("1.30.6", True), ("v1.20", True), ("1.30.x", False),
                                                 ("latest", False)])
def test_kubernetes_version_is_checked(version, passes):
    assert _problems(runtime(container_runtime_kubernetes_version=version)) == ([] if passes else [
        f"container_runtime_kubernetes_version must look like 1.30.6 (got '{version}')."])


def test_every_problem_is_reported_at_once():
    """docker with 1.24+ and no cri-dockerd URL, a bad version and a bad mirror: three messages, one task."""
    role = runtime(container_runtime_engine="docker", container_runtime_kubernetes_version="1.30.x",
                   container_runtime_registry_mirrors={"docker.io": "https://a.example.internal"})
    problems = _problems(role)
    assert [p.split(" ")[0] for p in problems] == [
        "container_runtime_kubernetes_version", "container_runtime_registry_mirrors", "docker"]
    assert "needs cri-dockerd" in problems[2] and "set container_runtime_cri_dockerd_url" in problems[2]
    assert _problems(runtime(container_runtime_engine="docker", container_runtime_kubernetes_version="1.23.17")) == []
