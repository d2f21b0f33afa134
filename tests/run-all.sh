#!/usr/bin/env bash
# The project's test command (README: `make test`; CI: .ci/run calls `make test`).
#
#   tests/run-all.sh [STAGE...]     stages: setup lint sanity unit build k8s molecule (default: all, in the order
#                                   setup k8s lint sanity unit build molecule: see "The ha scenario" below)
#   KHA_SCENARIOS="lb ha"           limit the Molecule stage to some scenarios
#   KHA_MOLECULE_BESIDE=ha          the scenario that runs beside the rest (default ha; "" for none)
#   KHA_MOLECULE_SERIAL=1           run every scenario one after the other
#
# Every stage runs even when an earlier one failed (so one run shows every broken gate); the script exits
# non-zero if any stage failed, and prints a per-stage timing summary at the end.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1
LOGDIR=${KHA_TEST_LOGDIR:-$ROOT/.cache/test-logs}
mkdir -p "$LOGDIR"

declare -a SUMMARY=()
FAILED=0

stage() {
  # stage NAME COMMAND...: run, time and record one stage.
  local name=$1 start rc
  shift
  printf '\n==== %s ====\n' "$name"
  start=$(date +%s)
  "$@"
  rc=$?
  record "$name" "$rc" $(($(date +%s) - start))
}

# record NAME RC SECONDS: one line of the summary; a non-zero RC fails the run.
record() {
  if [ "$2" -eq 0 ]; then
    SUMMARY+=("$(printf '%-32s %-6s %5ss' "$1" ok "$3")")
  else
    SUMMARY+=("$(printf '%-32s %-6s %5ss (rc=%s)' "$1" FAILED "$3" "$2")")
    FAILED=1
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------------------
do_setup() {
  [ -x .venv/bin/ansible-playbook ] || { echo "no virtualenv: run 'make venv' (make test does)"; return 1; }
  lab/labctl engine && lab/labctl image && lab/labctl infra-up
}

do_lint() {
  local rc=0
  yamllint -s . || rc=1
  ansible-lint --offline || rc=1
  ruff check plugins tests || rc=1
  # ansible-test sanity runs shellcheck on *.sh; this covers the scripts without that suffix too.
  shellcheck -S warning lab/labctl lab/image/kha-lab-node-init lab/image/kha-lab-infra-setup \
    lab/image/kha-lab-apt-index .ci/run || rc=1
  # The changelog: fragments lint clean, and CHANGELOG.md is what they render (docs/DEVELOPING.md, "Changelog").
  antsibull-changelog lint && changelogs/render.sh --check || rc=1
  # The collections the content uses by FQCN are exactly galaxy.yml's dependencies and collections/requirements.yml's
  # (an AWX project's) entries, with the same version bounds; the runtime Python set holds no development tool.
  python - <<'PY' || rc=1
import pathlib
import re
import sys

import yaml

used = set()
for top in ("roles", "playbooks", "plugins"):
    for path in pathlib.Path(top).rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".yaml", ".j2"):
            used.update(".".join(m) for m in re.findall(r"\b(ansible|community)\.([a-z0-9_]+)\.[a-z0-9_]+", path.read_text()))
used -= {"ansible.builtin", "ansible.legacy"}
deps = yaml.safe_load(pathlib.Path("galaxy.yml").read_text()).get("dependencies") or {}
entries = yaml.safe_load(pathlib.Path("collections/requirements.yml").read_text())["collections"]
reqs = {e["name"]: e.get("version", "*") for e in entries if e.get("type") != "dir"}
problems = []
if set(deps) != used:
    problems.append(f"galaxy.yml dependencies {sorted(deps)} != collections used by FQCN {sorted(used)}")
if reqs != {name: str(bound) for name, bound in deps.items()}:
    problems.append(f"collections/requirements.yml {reqs} != galaxy.yml dependencies {deps}")
dev = re.compile(r"^(ansible|ansible-core|ansible-lint|molecule|molecule-plugins|pytest|pytest-testinfra|hypothesis|ruff|yamllint|antsibull-docs|antsibull-changelog)\b")
for line in pathlib.Path("requirements-runtime.txt").read_text().splitlines():
    if dev.match(line.strip()):
        problems.append(f"requirements-runtime.txt (the execution environment's set) has a development tool: {line}")
print("\n".join(problems) or "collection dependencies: galaxy.yml, collections/requirements.yml and the content agree")
sys.exit(1 if problems else 0)
PY
  return $rc
}

# ansible-test needs the collection at .../ansible_collections/kubeadm_ha/cluster; sanity runs on a copy of
# the tracked files (plus new, not ignored ones) so the checkout's .venv and caches stay out of it.
# ansible-test bootstraps pip in its venvs with a script it downloads from ci-files.testing.ansible.com,
# which this network does not reach. The script is cached under this name; ours does the same job from
# what is reachable: Python's own ensurepip, then pip at the version ansible-test pins, from PyPI.
sanity_pip_bootstrap() {
  local ver cache=~/.ansible/test/cache file
  ver=$(python -c 'import ansible_test, pathlib, re; p = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"; print(re.search(r"pip=.([0-9.]+).", p.read_text()).group(1))') ||
    { echo "cannot read the pip version ansible-test pins"; return 1; }
  file="$cache/get_pip_${ver//./_}.py"
  grep -qs 'kubeadm_ha.cluster' "$file" && return 0
  mkdir -p "$cache"
  cat >"$file" <<'PY'
# Stand-in for ansible-test's get-pip bootstrap, written by kubeadm_ha.cluster's tests/run-all.sh: the real
# script comes from a host this network does not reach. Same job: pip into an empty venv, then the pip
# install ansible-test asked for (its arguments, less get-pip's own --no-setuptools/--no-wheel).
import subprocess
import sys

subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "pip", "install", *args], check=True)
PY
}

do_sanity() {
  sanity_pip_bootstrap || return 1
  local top rc
  top=$(mktemp -d /tmp/kha-sanity.XXXXXX)
  local dest=$top/ansible_collections/kubeadm_ha/cluster
  mkdir -p "$dest"
  git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- . "$dest/" || return 1
  (cd "$dest" && ansible-test sanity --color no --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    --requirements)
  rc=$?
  rm -rf "$top"
  return $rc
}

do_unit() {
  pytest -q -p no:cacheprovider tests/unit
}

# Build the collection tarball, install it into an empty path and check that it holds no lab/test files,
# that ansible-doc renders every module and filter, and that the playbooks resolve every role and module by
# FQCN from the installed copy.
do_build() {
  local tmp rc=0
  tmp=$(mktemp -d /tmp/kha-build.XXXXXX)
  ansible-galaxy collection build --force --output-path "$tmp" . || return 1
  local tarball
  tarball=$(ls "$tmp"/kubeadm_ha-cluster-*.tar.gz)
  local listing f r
  listing=$(tar -tzf "$tarball")
  if grep -E '^(lab|molecule|tests|collections|inventories/lab|\.ci|\.config|\.venv)/' <<<"$listing"; then
    echo "the collection tarball carries lab/test files (above)"
    rc=1
  fi
  # What Galaxy and ansible-builder read: the licence, the runtime metadata and the execution environment's files.
  for f in LICENSE README.md meta/runtime.yml meta/execution-environment.yml requirements-runtime.txt bindep.txt; do
    grep -qx "$f" <<<"$listing" || { echo "the collection tarball lacks $f"; rc=1; }
  done
  # galaxy-importer refuses the whole collection when a role has no README.md.
  for r in roles/*/; do
    grep -qx "${r}README.md" <<<"$listing" || { echo "role ${r%/} has no README.md: galaxy-importer refuses the collection"; rc=1; }
  done
  ANSIBLE_COLLECTIONS_PATH="$tmp/installed" ansible-galaxy collection install -p "$tmp/installed" "$tarball" || return 1
  local coll="$tmp/installed/ansible_collections/kubeadm_ha/cluster" m
  (
    local filters
    cd "$tmp" || exit 1
    : >"$tmp/empty.cfg"
    export ANSIBLE_CONFIG="$tmp/empty.cfg"
    export ANSIBLE_COLLECTIONS_PATH="$tmp/installed:$ROOT/.venv/lib/python3.11/site-packages"
    for m in "$coll"/plugins/modules/*.py; do
      [ -e "$m" ] || continue
      ansible-doc "kubeadm_ha.cluster.$(basename "$m" .py)" >/dev/null || exit 1
    done
    # every filter the collection defines, whether documented in its own .py or in a .yml beside a multi-filter .py
    filters=$(ansible-doc -t filter -l --json kubeadm_ha.cluster | python -c 'import json, sys; print(*json.load(sys.stdin))') &&
      [ -n "$filters" ] || { echo "ansible-doc lists no filter of kubeadm_ha.cluster"; exit 1; }
    for m in $filters; do
      ansible-doc -t filter "$m" >/dev/null || exit 1
    done
    for m in "$coll"/playbooks/*.yml; do
      [ -e "$m" ] || continue
      ansible-playbook --syntax-check -i localhost, "kubeadm_ha.cluster.$(basename "$m" .yml)" >/dev/null || exit 1
    done
    echo "installed collection: docs render, playbooks resolve by FQCN"
  ) || rc=1
  # The documentation as docs.ansible.com and Galaxy render it: every plugin's and role's schema, markup and
  # references (antsibull-docs, from requirements.txt).
  (cd "$coll" && ANSIBLE_CONFIG="$tmp/empty.cfg" ANSIBLE_COLLECTIONS_PATH="$tmp/installed:$ROOT/.venv/lib/python3.11/site-packages" \
    antsibull-docs lint-collection-docs --plugin-docs .) || { echo "antsibull-docs lint-collection-docs failed"; rc=1; }
  # The collection as Galaxy imports it: galaxy-importer, no error or warning (its own cached virtualenv).
  tests/galaxy-importer.sh || { echo "tests/galaxy-importer.sh failed"; rc=1; }
  # The documentation site, a build artifact: .cache/docs-site/html/ (antsibull-docs + Sphinx, its own virtualenv).
  tests/docs-site.sh || { echo "tests/docs-site.sh failed"; rc=1; }
  rm -rf "$tmp"
  return $rc
}

# Real Kubernetes for the lab (issue: lab/k8s). Cached by version outside the work tree. Also the second set the
# upgrade test moves to (KHA_K8S_UPGRADE_VERSION: the same source stamped as the next patch release).
do_k8s() {
  [ -x lab/k8s/build.sh ] || { echo "lab/k8s/build.sh absent: nothing to build"; return 0; }
  local upgrade
  upgrade=$(. lab/k8s/versions.sh && echo "$KHA_K8S_UPGRADE_VERSION")
  lab/k8s/build.sh && lab/k8s/publish.sh &&
    KHA_K8S_VERSION=$upgrade lab/k8s/build.sh && KHA_K8S_VERSION=$upgrade lab/k8s/publish.sh
}

do_k8s_prove() {
  [ -x lab/k8s/prove.sh ] || { echo "lab/k8s/prove.sh absent"; return 0; }
  lab/k8s/prove.sh
}

scenarios() {
  if [ -n "${KHA_SCENARIOS:-}" ]; then
    local list
    read -r -a list <<<"$KHA_SCENARIOS"
    printf '%s\n' "${list[@]}"
  else
    # default first (plumbing), ha last (the longest); the rest in name order.
    local all
    all=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml | cut -d/ -f2 | sort)
    { echo "$all" | grep -x default; echo "$all" | grep -v -x -e default -e ha; echo "$all" | grep -x ha; } || true
  fi
}

do_molecule_one() {
  local s=$1 log="$LOGDIR/molecule-$1.log"
  echo "molecule test -s $s (full log: $log)"
  if molecule test -s "$s" >"$log" 2>&1; then
    grep -E '(passed|failed)( in |,)|PLAY RECAP|^\s*│?\s*\S+\s+: ok=' "$log" | tail -n 20 | sed 's/^/  /'
    return 0
  fi
  tail -n 150 "$log"
  return 1
}

# The ha scenario (by far the longest) runs beside the others: most of its time is spent waiting on kubeadm, the
# kubelet and its own failure drills, not on the CPU. Every scenario has its own addresses, node names, networks
# and VRRP router id (docs/DEVELOPING.md, "The lab"), so they do not meet. It starts as soon as what it needs is
# there (the lab and Kubernetes: after the k8s build) so that lint, sanity, unit, build, the kubeadm proof and the
# other scenarios all run beside it; the run's wall clock is then setup + k8s + ha. KHA_MOLECULE_SERIAL=1 runs
# them one after the other (the way to tell a contention problem from a real one).
LANE=""
LANE_PID=""
lane_scenario() {
  local list sc beside=${KHA_MOLECULE_BESIDE-ha}
  [ -n "$beside" ] && [ -z "${KHA_MOLECULE_SERIAL:-}" ] || return 0
  mapfile -t list < <(scenarios)
  [ ${#list[@]} -gt 1 ] || return 0
  for sc in "${list[@]}"; do [ "$sc" != "$beside" ] || echo "$sc"; done
}

lane_start() {
  [ -z "$LANE_PID" ] || return 0
  LANE=$(lane_scenario)
  [ -n "$LANE" ] || return 0
  local out="$LOGDIR/lane-$LANE.out" rcfile="$LOGDIR/lane-$LANE.rc"
  rm -f "$rcfile"
  printf '\n==== molecule %s (beside the other stages; printed when it ends) ====\n' "$LANE"
  (
    start=$(date +%s)
    do_molecule_one "$LANE" >"$out" 2>&1
    echo "$? $(($(date +%s) - start))" >"$rcfile"
  ) &
  LANE_PID=$!
}

do_molecule() {
  local list sc
  lane_start
  mapfile -t list < <(scenarios)
  for sc in "${list[@]}"; do
    [ "$sc" = "$LANE" ] || stage "molecule $sc" do_molecule_one "$sc"
  done
  [ -n "$LANE_PID" ] || return 0
  wait "$LANE_PID"
  local rc=1 took=0 rcfile="$LOGDIR/lane-$LANE.rc"
  [ -s "$rcfile" ] && read -r rc took <"$rcfile"
  printf '\n==== molecule %s ====\n' "$LANE"
  cat "$LOGDIR/lane-$LANE.out"
  record "molecule $LANE (beside)" "$rc" "$took"
}

# ---------------------------------------------------------------------------------------------------------
main() {
  RUN_START=$(date +%s)
  local stages=("$@") s
  [ ${#stages[@]} -gt 0 ] || stages=(setup k8s lint sanity unit build molecule)
  for s in "${stages[@]}"; do
    case "$s" in
      setup) stage setup do_setup ;;
      lint) stage lint do_lint ;;
      sanity) stage "ansible-test sanity" do_sanity ;;
      unit) stage "unit tests (pytest)" do_unit ;;
      build) stage "collection build+install" do_build ;;
      k8s)
        stage "kubernetes build+publish" do_k8s
        # the scenario that runs beside the rest needs no more than this: it starts now when molecule is to run
        [[ " ${stages[*]} " != *" molecule "* ]] || lane_start
        stage "kubernetes proof (kubeadm)" do_k8s_prove
        ;;
      molecule)
        do_molecule
        lab/labctl clean >/dev/null 2>&1 || true
        ;;
      *) echo "unknown stage: $s"; FAILED=1 ;;
    esac
  done
  printf '\n==== summary ====\n'
  printf '%s\n' "${SUMMARY[@]}"
  printf '%-32s %-6s %5ss\n' "wall clock" "" "$(($(date +%s) - RUN_START))"
  if [ $FAILED -ne 0 ]; then
    echo "RESULT: FAILED"
    return 1
  fi
  echo "RESULT: all stages passed"
}

main "$@"
