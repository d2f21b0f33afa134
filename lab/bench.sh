#!/usr/bin/env bash
# Benchmark: a measurement, not a test (nothing here passes or fails on a time).
#
#   lab/bench.sh            (make bench)
#
# On the demo lab (lab/nodes.conf: 3 control-plane + 2 worker nodes, real Kubernetes from lab/k8s) it times
#   1. a fresh deploy: new nodes, `ansible-playbook site.yml -i inventories/lab`
#   2. a no-change re-run of the same command
# and counts, from each run's PLAY RECAP, the task results summed over the hosts (ok, changed, skipped, failed)
# and the tasks of the run (ansible.posix.profile_tasks lines). It prints a table and writes it, with the
# slowest tasks of the fresh deploy and what the machine is, to docs/benchmark.md (KHA_BENCH_OUT overrides).
# The demo nodes are replaced: whatever ran on them is gone afterwards (the lab stays up for a look;
# `make demo-down` removes it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_SORT_ORDER=descending PROFILE_TASKS_TASK_OUTPUT_LIMIT=all
OUT=${KHA_BENCH_OUT:-$ROOT/docs/benchmark.md}
WORK=$(mktemp -d /tmp/kha-bench.XXXXXX)
log() { printf '[bench] %s\n' "$*" >&2; }

[ -x .venv/bin/ansible-playbook ] || { log "no virtualenv: run 'make venv' first (make bench does)"; exit 1; }

log "lab infrastructure and Kubernetes packages/images (cached)"
lab/labctl infra-up >/dev/null
lab/k8s/build.sh >"$WORK/k8s-build.log" 2>&1 || { tail -n 30 "$WORK/k8s-build.log"; exit 1; }
lab/k8s/publish.sh >"$WORK/k8s-publish.log" 2>&1 || { tail -n 30 "$WORK/k8s-publish.log"; exit 1; }

log "fresh demo nodes"
mapfile -t NODES < <(grep -v -E '^\s*(#|$)' lab/nodes.conf | awk '{print $1}')
lab/labctl node-down "${NODES[@]}"
lab/labctl up >/dev/null

ROWS=()
# run LABEL: one timed site.yml run; appends a table row, keeps the output in $WORK/LABEL.log
run() {
  local label=$1 start took rc
  log "run: $label"
  start=$(date +%s%N)
  ansible-playbook site.yml -i inventories/lab >"$WORK/$label.log" 2>&1 && rc=0 || rc=$?
  took=$((($(date +%s%N) - start) / 1000000000))
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$WORK/$label.log" >&2
    log "the $label run failed (rc $rc); full output: $WORK/$label.log"
    exit 1
  fi
  # PLAY RECAP lines: "host : ok=N changed=N unreachable=N failed=N skipped=N rescued=N ignored=N"
  local sums tasks
  sums=$(awk '/: ok=[0-9]+ +changed=/ {
      for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[2] != "") s[kv[1]] += kv[2] }
    } END { printf "%d %d %d %d", s["ok"], s["changed"], s["skipped"], s["failed"] }' "$WORK/$label.log")
  tasks=$(grep -c -E ' -{3,} +[0-9]+\.[0-9]+s$' "$WORK/$label.log" || true)
  read -r ok changed skipped failed <<<"$sums"
  ROWS+=("$(printf '| %s | %s s | %s | %s | %s | %s | %s |' "$label" "$took" "$tasks" "$ok" "$changed" "$skipped" "$failed")")
  log "$label: $took s, $tasks tasks; host results: ok=$ok changed=$changed skipped=$skipped failed=$failed"
}

run "fresh deploy"
run "no-change re-run"

{
  echo "# Benchmark: deploy of the demo lab"
  echo
  echo "Measured by \`lab/bench.sh\` (\`make bench\`) on $(date -u +%Y-%m-%d): $(nproc) CPU cores,"
  echo "$(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)."
  echo "Cluster: 3 control-plane + 2 worker nodes (systemd containers), Kubernetes v$(. lab/k8s/versions.sh && echo "$KHA_K8S_VERSION") built"
  echo "from Debian's source, containerd, haproxy + keepalived VIP; \`ansible-playbook site.yml -i inventories/lab\`."
  echo
  echo "Tasks: the tasks of the run (profile_tasks). ok/changed/skipped/failed: task results summed over the hosts"
  echo "(PLAY RECAP; ok includes changed)."
  echo
  echo "| run | wall time | tasks | ok | changed | skipped | failed |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Slowest tasks of the fresh deploy:"
  echo
  echo '```'
  awk 'n < 10 && / -{3,} +[0-9]+\.[0-9]+s$/ {print; n++}' "$WORK/fresh deploy.log"
  echo '```'
} >"$OUT"
echo
sed -n '/^| run/,/^$/p' "$OUT"
log "written to ${OUT#"$ROOT"/}; run logs in $WORK"
