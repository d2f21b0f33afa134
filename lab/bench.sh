#!/usr/bin/env bash
# Benchmark: a measurement, not a test (nothing here passes or fails on a time).
#
#   lab/bench.sh                 (make bench)   every row below
#   KHA_BENCH_ROWS="fresh 3+2"   only some rows (names as below, separated by commas)
#   KHA_BENCH_OUT=FILE           where the table goes (default docs/benchmark.md)
#
# Rows, each on lab nodes that are new for that row (real Kubernetes from lab/k8s, the demo lab's inventory:
# inventories/prod's cluster.yml verbatim + the lab's settings, with the row's workers):
#   fresh 3+2          `ansible-playbook site.yml` on 3 control-plane + 2 worker nodes
#   no-change re-run   the same command again on that cluster (must report changed=0)
#   add one worker     a third worker added to the inventory, `ansible-playbook playbooks/add_nodes.yml` (no --limit)
#   fresh 3+2 with mitogen   fresh 3+2 again on new nodes, with the mitogen_linear strategy (PyPI mitogen) and the
#                      `docker` connection name, which mitogen replaces with its own (it does not know
#                      community.docker.docker by that name)
#   fresh 3+10         site.yml on 3 control-plane + 10 worker nodes
#   fresh 3+20         site.yml on 3 control-plane + 20 worker nodes, when the machine has the memory for it
# For each row: wall time, the tasks of the run (task and handler starts), changed task results summed over the hosts,
# and the time inside the commands a deploy cannot avoid: the tasks whose names say they refresh package lists, install
# packages, pull images, run kubeadm init/join, or wait for the API, the VIP, etcd or the nodes (UNAVOIDABLE; a task's
# time is from its start to the next task's start, all hosts together, read from profile_tasks' line under each task's
# banner: see durations), the machine's CPU time in use during the run (/proc/stat, all cores) and the controller's
# (ansible-playbook and its children, bash's `times`). Below the table:
# the overhead ratio (fresh 3+2 wall time / its unavoidable time), the re-run ratio (no-change re-run / fresh
# 3+2), the add ratio, the scale ratio (fresh 3+10 / fresh 3+2), the ten slowest tasks of fresh 3+2, and the peak
# memory of each row's nodes (cgroup v1 memory.max_usage_in_bytes of every node container, summed and per node).
# The demo nodes are replaced; the lab stays up afterwards with the last row's nodes (`make demo-down` removes
# it). Run logs stay in the printed work directory.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_SORT_ORDER=descending PROFILE_TASKS_TASK_OUTPUT_LIMIT=all
OUT=${KHA_BENCH_OUT:-$ROOT/docs/benchmark.md}
ROWS_WANTED=${KHA_BENCH_ROWS:-fresh 3+2,no-change re-run,add one worker,fresh 3+2 with mitogen,fresh 3+10,fresh 3+20}
# The mitogen row: PyPI's mitogen, installed into the work directory only (the collection does not depend on it).
MITOGEN_VERSION=0.3.54
WORK=$(mktemp -d /tmp/kha-bench.XXXXXX)
# Task names (role : task, as the task banners print them) whose time a deploy cannot avoid.
UNAVOIDABLE='(^|: )(Install (the (runtime )?packages|the pinned packages|kubelet|kubeadm|haproxy and keepalived|(the )?cri-dockerd|the CNI plugins)|Refresh (the|apt.s) package lists|Pull |Run kubeadm (init|join)|Wait (until|for) )'
log() { printf '[bench] %s\n' "$*" >&2; }

[ -x .venv/bin/ansible-playbook ] || { log "no virtualenv: run 'make venv' first (make bench does)"; exit 1; }
wanted() { [[ ",$ROWS_WANTED," == *",$1,"* ]]; }

# durations LOG: "SECONDS<TAB>NAME" for every task and handler the run started, in order. profile_tasks prints a line
# under each banner whose "(h:mm:ss.fff)" is the time of the task before (the last task's comes after PLAY RECAP).
# Its summary at the end is not used: it keeps one entry per task object and lost 19 of 333 task starts of a fresh
# 3+2 deploy, the package installs and the wait for the kube-system pods among them (seen on 2026-12-07).
durations() {
  awk '
    /^(TASK|RUNNING HANDLER) \[/ {
      name = $0; sub(/^(TASK|RUNNING HANDLER) \[/, "", name); sub(/\] \**$/, "", name); next
    }
    /^[A-Z][a-z]+day [0-9]+ [A-Z][a-z]+ [0-9]+ +[0-9:]+ [+-][0-9]+ \([0-9]+:[0-9]+:[0-9.]+\)/ {
      match($0, /\([0-9]+:[0-9]+:[0-9.]+\)/)
      split(substr($0, RSTART + 1, RLENGTH - 2), part, ":")
      if (started) printf "%.2f\t%s\n", part[1] * 3600 + part[2] * 60 + part[3], previous
      previous = name; started = 1
    }' "$1"
}

log "lab infrastructure and Kubernetes packages/images (cached); work directory $WORK"
lab/labctl infra-up >/dev/null
lab/k8s/build.sh >"$WORK/k8s-build.log" 2>&1 || { tail -n 30 "$WORK/k8s-build.log"; exit 1; }
lab/k8s/publish.sh >"$WORK/k8s-publish.log" 2>&1 || { tail -n 30 "$WORK/k8s-publish.log"; exit 1; }
lab/labctl image >/dev/null

CONTROL_PLANE=(kha-cp1 kha-cp2 kha-cp3)
worker() { echo "kha-w$1"; }
worker_ip() { echo "172.30.0.$((20 + $1))"; }

# inventory DIR WORKERS [CONNECTION]: the demo lab's inventory (its group_vars, linked) with WORKERS workers.
inventory() {
  local dir=$1 workers=$2 connection=${3:-community.docker.docker} i
  rm -rf "$dir"
  mkdir -p "$dir/group_vars/all"
  for f in "$ROOT"/inventories/lab/group_vars/all/*.yml; do
    ln -s "$(readlink -f "$f")" "$dir/group_vars/all/$(basename "$f")"
  done
  {
    echo "all:"
    echo "  vars: {ansible_connection: $connection, ansible_user: root}"
    echo "  children:"
    echo "    k8s_cluster:"
    echo "      children:"
    echo "        kube_control_plane:"
    echo "          hosts: {$(IFS=,; echo "${CONTROL_PLANE[*]/%/: null}")}"
    echo "        kube_node:"
    echo "          hosts:"
    for ((i = 1; i <= workers; i++)); do echo "            $(worker "$i"):"; done
    echo "    kube_lb: {hosts: {}}"
  } >"$dir/hosts.yml"
}

all_bench_nodes() { docker ps -a --filter label=org.kha-lab.node=1 --format '{{ .Names }}' | grep -E '^kha-(cp|w)[0-9]+$' || true; }

# fresh_nodes WORKERS: remove every demo/bench node, start 3 control-plane nodes and WORKERS workers.
fresh_nodes() {
  local workers=$1 i old
  mapfile -t old < <(all_bench_nodes)
  [ ${#old[@]} -eq 0 ] || lab/labctl node-down "${old[@]}" >/dev/null
  for i in 1 2 3; do lab/labctl node-up "kha-cp$i" "172.30.0.1$i" bookworm >/dev/null; done
  for ((i = 1; i <= workers; i++)); do lab/labctl node-up "$(worker "$i")" "$(worker_ip "$i")" bookworm >/dev/null; done
}

# memory of the running bench nodes: "total MiB, max MiB per node, nodes" from cgroup v1 peak usage of each node's
# container cgroup, which holds its pods too (each node has a cgroup namespace of its own: lab/labctl). Peaks include
# the page cache and are each node's own, so the sum is an upper bound of what was in use at one moment.
memory() {
  local name id peak total=0 max=0 n=0 m=/sys/fs/cgroup/memory
  for name in $(all_bench_nodes); do
    id=$(docker inspect -f '{{ .Id }}' "$name")
    peak=$(cat "$m/docker/$id/memory.max_usage_in_bytes" 2>/dev/null || echo 0)
    total=$((total + peak))
    [ "$peak" -le "$max" ] || max=$peak
    n=$((n + 1))
  done
  echo "$((total / 1048576)) $((max / 1048576)) $n"
}

declare -A WALL UNAVOID BUSY
ROWS=()
MEMORY=()
SETTLED=()

# settle LABEL: before a row that runs on the cluster an earlier row built, wait until the machine is settled: at
# least SETTLE_IDLE % of its CPU time idle over 10 s (a settled 3+2 lab idles at about 80 %; right after a deploy the
# new cluster's pods keep both cores busy for a while), at most SETTLE_MAX s. An operator's re-run meets a settled
# cluster; until 2026-12-07 the re-run row started at once and measured the new cluster's start-up as well (20-35 %
# slower than the same run on a settled cluster). The wait is reported below the table.
SETTLE_IDLE=${KHA_BENCH_SETTLE_IDLE:-60}
SETTLE_MAX=${KHA_BENCH_SETTLE_MAX:-240}
cpu_times() { awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }  # idle, total
# children_cpu FILE: the user + system CPU seconds of this shell's finished children so far (the second line of bash's
# `times`), into FILE; `times` runs in this shell, not in a $(...) subshell, which has no children of its own yet.
children_cpu() {
  times >"$1.times"
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] } printf "%.2f\n", s }' \
    "$1.times" >"$1"
}
cpu_idle_pct() {  # percent of CPU time idle (idle + iowait) over the next 10 s, from /proc/stat
  local a b
  a=$(cpu_times)
  sleep 10
  b=$(cpu_times)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]
    printf "%d", (d > 0 ? 100 * (y[1] - x[1]) / d : 100) }'
}
settle() {
  local start=$SECONDS idle
  while :; do
    idle=$(cpu_idle_pct)
    if [ "$idle" -ge "$SETTLE_IDLE" ] || [ $((SECONDS - start)) -ge "$SETTLE_MAX" ]; then break; fi
  done
  SETTLED+=("- before $1: waited $((SECONDS - start)) s, until $idle % of the CPU time was idle over 10 s (the wait stops at $SETTLE_IDLE % or after $SETTLE_MAX s)")
  log "settled before $1 in $((SECONDS - start)) s ($idle % idle)"
}
# run LABEL INVENTORY PLAYBOOK: one timed run; appends a table row, keeps the output in $WORK/LABEL.log
run() {
  local label=$1 inv=$2 playbook=$3 start took rc file="$WORK/${1// /_}.log"
  log "run: $label ($playbook)"
  local cpu_before cpu_after ctl_before ctl_after
  cpu_before=$(cpu_times)
  children_cpu "$WORK/cpu-before"
  start=$(date +%s%N)
  ansible-playbook "$playbook" -i "$inv" >"$file" 2>&1 && rc=0 || rc=$?
  took=$((($(date +%s%N) - start) / 1000000000))
  cpu_after=$(cpu_times)
  children_cpu "$WORK/cpu-after"
  ctl_before=$(cat "$WORK/cpu-before")
  ctl_after=$(cat "$WORK/cpu-after")
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$file" >&2
    log "the $label run failed (rc $rc); full output: $file"
    exit 1
  fi
  local changed tasks unavoid times
  changed=$(awk '/: ok=[0-9]+ +changed=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, kv, "="); s += kv[2] } }
    END { print s + 0 }' "$file")
  times=$(durations "$file")
  tasks=$(wc -l <<<"$times")
  unavoid=$(awk -F '\t' -v pattern="$UNAVOIDABLE" '$2 ~ pattern { s += $1 } END { printf "%.0f", s }' <<<"$times")
  local busy controller
  # the machine's CPU time in use during the run (all cores; the nodes, their pods and the controller), and the
  # controller's own: ansible-playbook, its forks and their docker exec clients
  busy=$(awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$(getconf CLK_TCK)" 'BEGIN { split(a, x, " "); split(b, y, " ")
    printf "%.0f", ((y[2] - x[2]) - (y[1] - x[1])) / hz }')
  controller=$(awk -v a="$ctl_before" -v b="$ctl_after" 'BEGIN { printf "%.0f", b - a }')
  WALL[$label]=$took
  UNAVOID[$label]=$unavoid
  BUSY[$label]=$busy
  ROWS+=("$(printf '| %s | %s s | %s | %s | %s s | %s s (%s %%) | %s s |' "$label" "$took" "$tasks" "$changed" "$unavoid" \
    "$busy" "$(awk -v b="$busy" -v t="$took" -v n="$(nproc)" 'BEGIN { printf "%.0f", (t > 0 ? 100 * b / (t * n) : 0) }')" "$controller")")
  log "$label: $took s, $tasks tasks, changed=$changed, unavoidable $unavoid s, CPU in use $busy s, controller $controller s"
  report
}

note_memory() {
  local total max n
  read -r total max n <<<"$(memory)"
  MEMORY+=("- $1: $n nodes, peaks summed $total MiB, at most $max MiB on one node (about $((total / (n > 0 ? n : 1))) MiB per node)")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# report: the table so far, written to $OUT after every row (an interrupted run keeps the rows it measured).
report() {
  {
    echo "# Benchmark: deploy of the demo lab"
    echo
    echo "Measured by \`lab/bench.sh\` (\`make bench\`) on $(date -u +%Y-%m-%d): $(nproc) CPU cores,"
    echo "$(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r),"
    echo "ansible-core $(python -c 'import ansible.release as r; print(r.__version__)'), forks $(ansible-config dump 2>/dev/null | sed -n 's/^DEFAULT_FORKS([^)]*) = //p')."
    echo "Cluster: 3 control-plane nodes + N workers (systemd containers on one host), Kubernetes"
    echo "v$(. lab/k8s/versions.sh && echo "$KHA_K8S_VERSION") built from Debian's source, containerd, haproxy + keepalived VIP, the bridge pod network;"
    echo "the inventory is \`inventories/lab\` (the prod example's cluster.yml verbatim + the lab's settings) with the row's workers."
    echo "Every row starts on new nodes except the re-run and the added worker, which run on the 3+2 cluster."
    echo
    echo "Tasks: the task and handler starts of the run (one per banner). Changed: changed task results summed over the hosts (PLAY RECAP)."
    echo "Unavoidable: the time of the tasks that refresh package lists, install packages, pull images, run \`kubeadm init\`/\`kubeadm join\`, or"
    echo "wait for the API, the VIP, etcd or the nodes (task names matching \`$UNAVOIDABLE\`)."
    echo
    echo "CPU in use: the CPU time the whole machine spent during the run (every core: the nodes, their pods, the controller),"
    echo "and in brackets its share of what the cores offered ($(nproc) x the wall time); near 100 % the run waits for CPU, and a row"
    echo "cannot take less wall time than its CPU time / $(nproc). Controller CPU: ansible-playbook, its forks and their \`docker exec\` clients."
    echo
    echo "| row | wall time | tasks | changed | unavoidable | CPU in use | controller CPU |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    if [ -n "${WALL[fresh 3+2]:-}" ] && [ -s "$WORK/fresh_3+2.log" ]; then
      echo "- overhead ratio (fresh 3+2 wall time / its unavoidable time): $(ratio "${WALL[fresh 3+2]}" "${UNAVOID[fresh 3+2]}")"
      [ -z "${WALL[no-change re-run]:-}" ] || echo "- re-run ratio (no-change re-run / fresh 3+2): $(ratio "${WALL[no-change re-run]}" "${WALL[fresh 3+2]}")"
      [ -z "${WALL[add one worker]:-}" ] || echo "- add ratio (add one worker / fresh 3+2): $(ratio "${WALL[add one worker]}" "${WALL[fresh 3+2]}")"
      [ -z "${WALL[fresh 3+2 with mitogen]:-}" ] || echo "- mitogen ratio (fresh 3+2 with mitogen / fresh 3+2): $(ratio "${WALL[fresh 3+2 with mitogen]}" "${WALL[fresh 3+2]}")"
      if [ -n "${WALL[fresh 3+10]:-}" ]; then
        echo "- scale ratio (fresh 3+10 / fresh 3+2): $(ratio "${WALL[fresh 3+10]}" "${WALL[fresh 3+2]}")"
        echo "  - its floor on this machine, had fresh 3+10 kept every core busy with the CPU time it used:" \
          "$(ratio "$(awk -v b="${BUSY[fresh 3+10]}" -v n="$(nproc)" 'BEGIN { printf "%.1f", b / n }')" "${WALL[fresh 3+2]}")"
      fi
      [ -z "${WALL[fresh 3+20]:-}" ] || echo "- scale ratio (fresh 3+20 / fresh 3+2): $(ratio "${WALL[fresh 3+20]}" "${WALL[fresh 3+2]}")"
      echo
      echo "Time of fresh 3+2 by role (task times summed; tasks outside roles under \"(playbook)\"):"
      echo
      echo '```'
      durations "$WORK/fresh_3+2.log" |
        awk -F '\t' '{ role = "(playbook)"; if (match($2, /^[^ ]+ : /)) role = substr($2, 1, RLENGTH - 3)
                        t[role] += $1; n[role]++ }
                      END { for (r in t) printf "%8.1f s %4d tasks  %s\n", t[r], n[r], r }' | sort -rn
      echo '```'
      echo
      echo "Ten slowest tasks of fresh 3+2:"
      echo
      echo '```'
      # sed reads all its input: head would end sort with SIGPIPE (rc 141 under pipefail)
      durations "$WORK/fresh_3+2.log" | sort -t "$(printf '\t')" -k1,1 -rn | sed -n '1,10p' |
        awk -F '\t' '{ printf "%7.2f s  %s\n", $1, $2 }'
      echo '```'
      echo
    fi
    if [ ${#SETTLED[@]} -gt 0 ]; then
      echo "Waits for a settled machine (not in any row's time):"
      echo
      printf '%s\n' "${SETTLED[@]}"
      echo
    fi
    echo "Peak memory of the lab nodes:"
    echo
    printf '%s\n' "${MEMORY[@]}"
  } >"$OUT"
}

# --- 3+2: fresh, no-change re-run, add one worker -------------------------------------------------------------
if wanted "fresh 3+2" || wanted "no-change re-run" || wanted "add one worker"; then
  inventory "$WORK/inv-3+2" 2
  fresh_nodes 2
  run "fresh 3+2" "$WORK/inv-3+2" site.yml
  if wanted "no-change re-run"; then
    settle "no-change re-run"
    run "no-change re-run" "$WORK/inv-3+2" site.yml
  fi
  note_memory "3+2"
  if wanted "add one worker"; then
    inventory "$WORK/inv-3+3" 3
    lab/labctl node-up "$(worker 3)" "$(worker_ip 3)" bookworm >/dev/null
    settle "add one worker"
    run "add one worker" "$WORK/inv-3+3" playbooks/add_nodes.yml
  fi
fi

# --- 3+2 with mitogen --------------------------------------------------------------------------------------------
if wanted "fresh 3+2 with mitogen"; then
  log "installing mitogen $MITOGEN_VERSION into $WORK/mitogen"
  pip install -q --target "$WORK/mitogen" "mitogen==$MITOGEN_VERSION" >"$WORK/mitogen-install.log" 2>&1 ||
    { tail -n 20 "$WORK/mitogen-install.log" >&2; exit 1; }
  inventory "$WORK/inv-3+2-mitogen" 2 docker
  fresh_nodes 2
  PYTHONPATH="$WORK/mitogen" ANSIBLE_STRATEGY_PLUGINS="$WORK/mitogen/ansible_mitogen/plugins/strategy" \
    ANSIBLE_STRATEGY=mitogen_linear run "fresh 3+2 with mitogen" "$WORK/inv-3+2-mitogen" site.yml
fi

# --- bigger clusters ------------------------------------------------------------------------------------------
for workers in 10 20; do
  label="fresh 3+$workers"
  wanted "$label" || continue
  avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
  # about 1200 MiB a node (peaks with page cache, 3+10 on 2026-12-06); keep 4 GiB for the controller and the rest
  need=$(((3 + workers) * 1200 + 4096))
  if [ "$avail" -lt "$need" ]; then
    ROWS+=("| $label | not run: $avail MiB available, about $need MiB needed | | | |")
    continue
  fi
  inventory "$WORK/inv-3+$workers" "$workers"
  fresh_nodes "$workers"
  run "$label" "$WORK/inv-3+$workers" site.yml
  note_memory "3+$workers"
done

report
echo
sed -n '/^| row/,/^Ten/p' "$OUT"
log "written to ${OUT#"$ROOT"/}; run logs in $WORK"
