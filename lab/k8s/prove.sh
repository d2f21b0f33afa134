#!/usr/bin/env bash
# prove.sh: a real kubeadm v1.20 cluster (one control-plane node, one worker) in two lab nodes, from the lab's
# apt repository and registry, as a real host would get it. Exits non-zero on failure; removes its nodes.
#
#   lab/labctl infra-up && lab/k8s/build.sh && lab/k8s/publish.sh && lab/k8s/prove.sh
#
# Environment:
#   KHA_K8S_KEEP=1              keep the nodes for a look afterwards
#   KHA_K8S_UPDATE_FIXTURES=1   also copy the captured kubeadm outputs into tests/unit/fixtures/kubeadm/real/
#
# What it does:
#   1. lab/labctl node-up kha-k8s1 172.30.7.11 / kha-k8s2 172.30.7.12 (each in a cgroup namespace of its own)
#   2. in each node: containerd from Debian (the systemd cgroup driver, restrict_oom_score_adj, sandbox_image and a plain-HTTP
#      registry host for 172.30.0.2:5000); kubelet/kubeadm/kubectl from the lab apt repository with the
#      signed-by key, exactly as on a real host; the sysctls kubeadm checks
#   3. kubeadm init --config (v1beta2) on kha-k8s1; /healthz and `kubectl get nodes`
#   4. init's output, token create --print-join-command (worker, and control plane with a certificate key),
#      init phase upload-certs, token list (table, json), certs certificate-key: captured under
#      /var/cache/kha-lab/captures/1.20.2.<what>.txt (named as tests/unit/fixtures/kubeadm/real/README.md asks)
#   5. kubeadm join --config on kha-k8s2 with that real token and CA hash; both nodes Ready (a plain bridge
#      CNI config stands in for a network add-on), kube-proxy running on both (the Service VIP of the API
#      answers from the worker) and a pod running on the worker
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CP=kha-k8s1
CP_IP=172.30.7.11
WK=kha-k8s2
WK_IP=172.30.7.12
NODES=("$CP" "$WK")
CRI_SOCKET=/run/containerd/containerd.sock
POD_SUBNET=10.244.0.0/16
SERVICE_SUBNET=10.96.0.0/12
# The images kubeadm will ask for (the pause image is containerd's sandbox_image).
KUBEADM_IMAGES=$("$K8S_CACHE/bin/kubeadm" config images list --kubernetes-version "$K8S_TAG" \
  --image-repository "$K8S_IMAGE_REPO" 2>/dev/null) || die "no $K8S_CACHE/bin/kubeadm (lab/k8s/build.sh)"
SANDBOX_IMAGE=$(echo "$KUBEADM_IMAGES" | grep '/pause:')
KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
FIXTURES=$REPO_ROOT/tests/unit/fixtures/kubeadm/real
# kubeadm 1.20 needs crictl (cri-tools) for its container-runtime preflight checks and its image pre-pull;
# Debian has no cri-tools, so: init skips the preflight phase (whose image pull step fails hard without
# crictl, whatever is ignored), join ignores only the crictl check. Images are pulled by the kubelet through
# containerd instead.
INIT_SKIP_PHASES=preflight
JOIN_IGNORE_PREFLIGHT=FileExisting-crictl

cleanup() {
  local rc=$? node
  set +e
  if [ "${KHA_K8S_KEEP:-0}" = 1 ]; then
    log "KHA_K8S_KEEP=1: nodes ${NODES[*]} left running"
  else
    "$LABCTL" node-down "${NODES[@]}" || true   # also removes their cgroup roots
  fi
  print_times
  if [ $rc = 0 ]; then
    log "PROOF PASSED: kubeadm $K8S_TAG init + join in the lab"
    echo "1 passed, 0 failed"
  else
    log "PROOF FAILED (exit $rc)"
    echo "0 passed, 1 failed"
  fi
  exit $rc
}

on() { docker exec "$1" bash -c "$2"; }
put() { docker exec -i "$1" sh -c "cat >'$2'"; }   # put NODE PATH <content

# What publish.sh puts in place: the packages in the apt repository, every image kubeadm will ask for
# (but CoreDNS, which the lab cannot build) in the registry.
check_published() {
  local ref name tag
  curl -fsS --max-time 5 "${K8S_APT_URL}Packages" | grep "^Version: $K8S_PKG_VERSION$" >/dev/null ||
    die "${K8S_APT_URL} does not serve $K8S_PKG_VERSION (lab/labctl infra-up; lab/k8s/build.sh; lab/k8s/publish.sh)"
  while read -r ref; do
    name=${ref#"$LAB_REGISTRY"/}
    tag=${name##*:}
    name=${name%:*}
    case "$name" in */coredns) continue ;; esac
    curl -fsS -o /dev/null --max-time 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://$LAB_REGISTRY/v2/$name/manifests/$tag" || die "registry has no $ref (lab/k8s/publish.sh)"
  done <<<"$KUBEADM_IMAGES"
  log "apt repository serves $K8S_PKG_VERSION; registry has the images"
}

# labctl node-down removes leftover nodes; node-up raises the host's inotify limit.
nodes_up() {
  "$LABCTL" image >/dev/null
  "$LABCTL" node-down "${NODES[@]}"
  "$LABCTL" node-up "$CP" "$CP_IP"
  "$LABCTL" node-up "$WK" "$WK_IP"
}

# containerd from Debian, configured as LAB.md found necessary.
setup_containerd() {
  local node=$1
  on "$node" "set -e
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq containerd >/dev/null
    mkdir -p /etc/containerd /etc/containerd/certs.d/$LAB_REGISTRY
    containerd config default >/etc/containerd/config.toml
    # The systemd cgroup driver in containerd and kubelet (kubeadm's default): the node's systemd owns its subtree.
    sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
    # No CAP_SYS_RESOURCE in the nodes: nothing may lower oom_score_adj (the sandbox asks for -998).
    sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml
    sed -i 's|sandbox_image = .*|sandbox_image = \"$SANDBOX_IMAGE\"|' /etc/containerd/config.toml
    sed -i '/\\[plugins.\"io.containerd.grpc.v1.cri\".registry\\]/,/config_path/ s|config_path = .*|config_path = \"/etc/containerd/certs.d\"|' /etc/containerd/config.toml
    printf 'server = \"http://$LAB_REGISTRY\"\n\n[host.\"http://$LAB_REGISTRY\"]\n  capabilities = [\"pull\", \"resolve\"]\n' \
      >/etc/containerd/certs.d/$LAB_REGISTRY/hosts.toml
    grep -q 'SystemdCgroup = true' /etc/containerd/config.toml
    grep -q 'restrict_oom_score_adj = true' /etc/containerd/config.toml
    grep -q 'sandbox_image = \"$SANDBOX_IMAGE\"' /etc/containerd/config.toml
    grep -q 'config_path = \"/etc/containerd/certs.d\"' /etc/containerd/config.toml
    systemctl restart containerd
    systemctl is-active containerd >/dev/null
    ctr --version"
}

# kubelet, kubeadm, kubectl from the lab apt repository, as on a real host (signed-by key, pinned version).
setup_kube_packages() {
  local node=$1
  on "$node" "set -e
    export DEBIAN_FRONTEND=noninteractive
    install -d -m 0755 /etc/apt/keyrings
    curl -fsSL '${K8S_APT_URL}Release.key' | gpg --batch --yes --dearmor -o $KEYRING
    echo 'deb [signed-by=$KEYRING] $K8S_APT_URL /' >/etc/apt/sources.list.d/kubernetes.list
    apt-get update -qq
    apt-get install -y -qq kubelet=$K8S_PKG_VERSION kubeadm=$K8S_PKG_VERSION kubectl=$K8S_PKG_VERSION >/dev/null
    apt-mark hold kubelet kubeadm kubectl >/dev/null
    kubeadm version -o short
    dpkg-query -W kubelet kubeadm kubectl kubernetes-cni"
  [ "$(on "$node" 'kubeadm version -o short')" = "$K8S_TAG" ] || die "$node: kubeadm is not $K8S_TAG"
}

# What kubeadm's preflight wants of the kernel (in the node's own network namespace).
setup_sysctls() {
  on "$1" "set -e
    printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' \
      >/etc/sysctl.d/99-kubernetes.conf
    sysctl -q -p /etc/sysctl.d/99-kubernetes.conf"
}

setup_node() {
  local node=$1
  step "$node: containerd" setup_containerd "$node"
  step "$node: sysctls" setup_sysctls "$node"
  step "$node: kube packages from the lab repo" setup_kube_packages "$node"
}

# Both nodes at once (apt in each is the slow part); each node's own step times go to its log.
setup_nodes() {
  local node pids=() logs=() i rc=0 tmp
  tmp=$(mktemp -d /tmp/kha-k8s-prove.XXXXXX)
  for node in "${NODES[@]}"; do
    # shellcheck disable=SC2034 # step() appends to it in the subshell
    (STEP_TIMES=(); setup_node "$node"; print_times) >"$tmp/$node.log" 2>&1 &
    pids+=($!)
    logs+=("$tmp/$node.log")
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      rc=1
      cat "${logs[$i]}" >&2
    fi
  done
  for i in "${!logs[@]}"; do
    log "${NODES[$i]}:"
    sed -n '/step times:/,$p' "${logs[$i]}" | grep -v -E 'step times:|total' >&2
  done
  rm -rf "$tmp"
  [ $rc = 0 ] || die "setting up the nodes failed"
}

# capture NAME: stdin to $CAPTURES/<version>.NAME.txt, named as tests/unit/fixtures/kubeadm/real/README.md
# asks (<version>.<command>.<case>[.<stream>].txt; these are what the parser tests read). Outputs the
# parsers have no use for go to $CAPTURES/other/.
capture() {
  local what=$1 file
  file=$CAPTURES/$KHA_K8S_VERSION.$what.txt
  case "$what" in
    other/*)
      install -d "$CAPTURES/other"
      file=$CAPTURES/other/$KHA_K8S_VERSION.${what#other/}.txt
      ;;
  esac
  cat >"$file"
  log "captured $file"
}

init_control_plane() {
  put "$CP" /root/kubeadm-init.yaml <<EOF
apiVersion: kubeadm.k8s.io/v1beta2
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: $CP_IP
  bindPort: 6443
nodeRegistration:
  name: $CP
  criSocket: $CRI_SOCKET
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterConfiguration
kubernetesVersion: $K8S_TAG
clusterName: kha-k8s
controlPlaneEndpoint: $CP_IP:6443
imageRepository: $K8S_IMAGE_REPO
networking:
  podSubnet: $POD_SUBNET
  serviceSubnet: $SERVICE_SUBNET
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
---
# The nodes' network namespaces may not raise the host-wide nf_conntrack_max ("open /proc/sys/net/netfilter/
# nf_conntrack_max: permission denied" kills kube-proxy): maxPerCore 0 leaves it alone (kind does the same).
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack:
  maxPerCore: 0
EOF
  install -d "$CAPTURES"
  step "kubeadm init phase preflight ($CP)" init_preflight
  on "$CP" "kubeadm init --config /root/kubeadm-init.yaml --upload-certs --skip-phases=$INIT_SKIP_PHASES" \
    >"$CAPTURES/.init.out" 2>"$CAPTURES/.init.err" || {
    cat "$CAPTURES/.init.out" "$CAPTURES/.init.err" >&2
    on "$CP" 'journalctl -u kubelet --no-pager | tail -n 40' >&2 || true
    die "kubeadm init failed"
  }
  capture init.cpe-upload <"$CAPTURES/.init.out"
  capture other/init.cpe-upload.stderr <"$CAPTURES/.init.err"
  rm -f "$CAPTURES/.init.out" "$CAPTURES/.init.err"
}

# kubeadm's init preflight, run on its own before init: every check must pass but crictl's, and the phase
# must stop exactly where crictl is missing (the image pre-pull). Should crictl ever be there, this says so.
init_preflight() {
  local out rc=0
  out=$(on "$CP" "kubeadm init phase preflight --config /root/kubeadm-init.yaml --ignore-preflight-errors=$JOIN_IGNORE_PREFLIGHT" 2>&1) || rc=$?
  printf '%s\n' "$out" | capture other/init.preflight.ignore-crictl
  if [ $rc = 0 ]; then
    log "init preflight passed: crictl is present, --skip-phases=preflight is no longer needed"
    return 0
  fi
  if grep -q '\[ERROR ' <<<"$out"; then
    printf '%s\n' "$out" >&2
    die "init preflight has errors besides crictl"
  fi
  grep -q 'error execution phase preflight: crictl is required for container runtime' <<<"$out" ||
    { printf '%s\n' "$out" >&2; die "init preflight failed for another reason than crictl"; }
  log "init preflight: all checks pass but crictl; the image pre-pull stops at the missing crictl (as expected)"
}

check_api() {
  local i
  for i in $(seq 1 60); do
    [ "$(curl -ks --max-time 3 "https://$CP_IP:6443/healthz" || true)" = ok ] && break
    sleep 2
  done
  [ "$(curl -ks --max-time 3 "https://$CP_IP:6443/healthz")" = ok ] || die "https://$CP_IP:6443/healthz is not ok"
  log "https://$CP_IP:6443/healthz: ok"
  on "$CP" 'kubectl --kubeconfig /etc/kubernetes/admin.conf version --short && kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o wide'
}

capture_outputs() {
  local key
  on "$CP" 'kubeadm token create --print-join-command' | capture print-join-command.worker
  on "$CP" 'kubeadm init phase upload-certs --upload-certs --config /root/kubeadm-init.yaml' | capture upload-certs
  key=$(tail -n1 "$CAPTURES/$KHA_K8S_VERSION.upload-certs.txt")
  [[ $key =~ ^[0-9a-f]{64}$ ]] || die "no certificate key in the upload-certs output"
  on "$CP" "kubeadm token create --print-join-command --certificate-key $key" | capture print-join-command.cp
  on "$CP" 'kubeadm token list' | capture token-list.table
  on "$CP" 'kubeadm token list -o json' | capture token-list.json
  on "$CP" 'kubeadm certs certificate-key' | capture certificate-key
  on "$CP" 'kubeadm version' | capture other/version
}

join_worker() {
  local cmd token hash
  cmd=$(cat "$CAPTURES/$KHA_K8S_VERSION.print-join-command.worker.txt")
  token=$(echo "$cmd" | sed -n 's/.*--token \([^ ]*\).*/\1/p')
  hash=$(echo "$cmd" | sed -n 's/.*--discovery-token-ca-cert-hash \([^ ]*\).*/\1/p')
  if [ -z "$token" ] || [ -z "$hash" ]; then die "no token/CA hash in: $cmd"; fi
  put "$WK" /root/kubeadm-join.yaml <<EOF
apiVersion: kubeadm.k8s.io/v1beta2
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: $CP_IP:6443
    token: $token
    caCertHashes:
    - $hash
nodeRegistration:
  name: $WK
  criSocket: $CRI_SOCKET
  ignorePreflightErrors:
  - $JOIN_IGNORE_PREFLIGHT
EOF
  on "$WK" 'kubeadm join --config /root/kubeadm-join.yaml' >"$CAPTURES/.join.out" 2>"$CAPTURES/.join.err" || {
    cat "$CAPTURES/.join.out" "$CAPTURES/.join.err" >&2
    on "$WK" 'journalctl -u kubelet --no-pager | tail -n 40' >&2 || true
    die "kubeadm join failed"
  }
  capture other/join.worker <"$CAPTURES/.join.out"
  capture other/join.worker.stderr <"$CAPTURES/.join.err"
  rm -f "$CAPTURES/.join.out" "$CAPTURES/.join.err"
}

kc() { on "$CP" "kubectl --kubeconfig /etc/kubernetes/admin.conf $*"; }

# A plain bridge CNI configuration per node, on the podCIDR the controller-manager gave it (a stand-in for
# a network add-on: pods get addresses, nodes turn Ready; no cross-node pod routing).
setup_cni() {
  local node cidr i
  for node in "${NODES[@]}"; do
    for i in $(seq 1 30); do
      cidr=$(kc "get node $node -o jsonpath='{.spec.podCIDR}'" 2>/dev/null || true)
      [ -n "$cidr" ] && break
      sleep 2
    done
    [ -n "$cidr" ] || die "$node has no podCIDR"
    put "$node" /etc/cni/net.d/10-kha-lab-bridge.conflist <<EOF
{
  "cniVersion": "0.4.0",
  "name": "kha-lab",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
    log "$node: bridge CNI on $cidr"
  done
}

wait_nodes_ready() {
  local i
  for i in $(seq 1 60); do
    if [ "$(kc "get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}'" |
      grep -c '^True$')" = 2 ]; then
      kc 'get nodes -o wide'
      return 0
    fi
    sleep 3
  done
  kc 'get nodes -o wide' >&2 || true
  kc 'describe nodes' >&2 || true
  die "the nodes did not become Ready"
}

# kube-proxy (the kubeadm add-on, privileged, hostNetwork) running on both nodes, and its iptables rules
# working: the API's Service VIP answers from the worker.
check_kube_proxy() {
  local i n out
  for i in $(seq 1 60); do
    n=$(kc "-n kube-system get pods -l k8s-app=kube-proxy -o jsonpath='{range .items[*]}{.status.phase}{\"\\n\"}{end}'" |
      grep -c '^Running$' || true)
    [ "$n" = 2 ] && break
    sleep 2
  done
  kc '-n kube-system get pods -l k8s-app=kube-proxy -o wide'
  [ "$n" = 2 ] || { kc '-n kube-system logs -l k8s-app=kube-proxy --tail=20' >&2 || true; die "kube-proxy is not running on both nodes"; }
  for i in $(seq 1 30); do
    out=$(on "$WK" 'curl -ks --max-time 3 https://10.96.0.1/healthz' || true)
    [ "$out" = ok ] && break
    sleep 2
  done
  [ "$out" = ok ] || die "https://10.96.0.1/healthz (Service VIP through kube-proxy) does not answer from $WK"
  log "$WK: https://10.96.0.1/healthz through kube-proxy: ok"
}

# A pod on the worker: its kubelet pulls from the lab registry through containerd and runs it.
run_pod() {
  local i phase
  kc "run kha-probe --image=$SANDBOX_IMAGE --restart=Never --overrides='{\"apiVersion\":\"v1\",\"spec\":{\"nodeName\":\"$WK\"}}'"
  for i in $(seq 1 60); do
    phase=$(kc "get pod kha-probe -o jsonpath='{.status.phase}'" 2>/dev/null || true)
    [ "$phase" = Running ] && break
    sleep 2
  done
  kc 'get pods -A -o wide'
  [ "$phase" = Running ] || { kc 'describe pod kha-probe' >&2; die "pod kha-probe is $phase, not Running"; }
  log "pod kha-probe Running on $WK"
}

update_fixtures() {
  [ "${KHA_K8S_UPDATE_FIXTURES:-0}" = 1 ] || return 0
  install -d "$FIXTURES"
  cp "$CAPTURES/$KHA_K8S_VERSION".*.txt "$FIXTURES/"
  log "copied captures to $FIXTURES"
}

main() {
  trap cleanup EXIT
  install -d "$CAPTURES"
  rm -f "$CAPTURES/$KHA_K8S_VERSION".*.txt "$CAPTURES/other/$KHA_K8S_VERSION".*.txt
  step "lab repo + registry have $K8S_TAG" check_published
  step "nodes up" nodes_up
  step "nodes: containerd, kube packages (both at once)" setup_nodes
  step "kubeadm init ($CP)" init_control_plane
  step "API /healthz + get nodes" check_api
  step "capture kubeadm outputs" capture_outputs
  step "kubeadm join ($WK)" join_worker
  step "bridge CNI" setup_cni
  step "nodes Ready" wait_nodes_ready
  step "kube-proxy + Service VIP" check_kube_proxy
  step "pod on the worker" run_pod
  update_fixtures
}

# Run unless sourced (sourcing gives the functions, e.g. to set up one more node by hand).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
