# shellcheck shell=bash disable=SC2034
# Shared by lab/k8s/*.sh: versions, cache layout, step timing, a private apt for fetching from Debian.
K8S_LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$K8S_LAB_DIR/../.." && pwd)
LABCTL=$REPO_ROOT/lab/labctl
# shellcheck source=versions.sh
. "$K8S_LAB_DIR/versions.sh"

# Everything is cached by version outside the work tree, so a second run (and CI on a machine that built
# once) skips what is already there.
KHA_LAB_CACHE=${KHA_LAB_CACHE:-/var/cache/kha-lab}
K8S_CACHE=$KHA_LAB_CACHE/kubernetes/$K8S_TAG
APT_STATE=$KHA_LAB_CACHE/apt
CAPTURES=$KHA_LAB_CACHE/captures

# Lab addresses (docs/DEVELOPING.md) and the names the role uses.
LAB_INFRA_IP=172.30.0.2
LAB_REGISTRY=$LAB_INFRA_IP:5000
K8S_IMAGE_REPO=${K8S_IMAGE_REPO:-$LAB_REGISTRY/k8s}     # kubeadm imageRepository
K8S_APT_DIR=core:/stable:/v$K8S_MINOR/deb                # same path as pkgs.k8s.io
K8S_APT_URL=http://$LAB_INFRA_IP/apt/$K8S_APT_DIR/

_tag=${0##*/}
log() { printf '[%s] %s\n' "${_tag%.sh}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${_tag%.sh}" "$*" >&2; exit 1; }

# step NAME CMD...: run one step and print how long it took; the summary is printed at exit.
STEP_TIMES=()
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  log "== $name"
  "$@" || rc=$?
  STEP_TIMES+=("$(printf '%-34s %5d s%s' "$name" $((SECONDS - start)) "$([ $rc = 0 ] || echo "  FAILED ($rc)")")")
  log "-- $name: $((SECONDS - start)) s"
  return $rc
}
print_times() {
  local t
  [ ${#STEP_TIMES[@]} -gt 0 ] || return 0
  printf '[%s] step times:\n' "${_tag%.sh}" >&2
  for t in "${STEP_TIMES[@]}"; do printf '  %s\n' "$t" >&2; done
  printf '  %-34s %5d s\n' total "$SECONDS" >&2
}

# ---------------------------------------------------------------------------------------------------------
# A private apt: own sources list, lists, cache and preferences under $APT_STATE. The host's apt sources
# and state are never touched. The Debian mirror is the one this machine already uses (labctl mirror).
# ---------------------------------------------------------------------------------------------------------
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APT_STATE/sources.list"
  -o "Dir::Etc::SourceParts=$APT_STATE/sources.list.d"
  -o "Dir::Etc::Preferences=$APT_STATE/preferences"
  -o "Dir::Etc::PreferencesParts=$APT_STATE/preferences.d"
  -o "Dir::State::Lists=$APT_STATE/lists"
  -o "Dir::Cache=$APT_STATE/cache"
  -o "Dir::State::status=$APT_STATE/status"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
  -o "Debug::NoLocking=1"
)
private_apt_setup() {
  local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg arch
  mirror=$("$LABCTL" mirror)
  arch=$(dpkg --print-architecture)
  [ -f "$keyring" ] || die "$keyring missing (debian-archive-keyring)"
  install -d "$APT_STATE/lists/partial" "$APT_STATE/cache/archives/partial" "$APT_STATE/sources.list.d" \
    "$APT_STATE/preferences.d"
  : >"$APT_STATE/preferences"
  [ -f "$APT_STATE/status" ] || : >"$APT_STATE/status"
  cat >"$APT_STATE/sources.list.new" <<EOF
deb-src [signed-by=$keyring] $mirror $K8S_DEB_SUITE main
deb [signed-by=$keyring arch=$arch] $mirror $K8S_DEB_SUITE main
deb [signed-by=$keyring arch=$arch] $mirror $GO_DEB_SUITE main
EOF
  if ! cmp -s "$APT_STATE/sources.list.new" "$APT_STATE/sources.list"; then
    mv "$APT_STATE/sources.list.new" "$APT_STATE/sources.list"
    rm -f "$APT_STATE/updated"
  else
    rm -f "$APT_STATE/sources.list.new"
  fi
  # Lists are refreshed at most once a day (apt verifies InRelease signatures on every update).
  if [ -z "$(find "$APT_STATE/updated" -mmin -1440 2>/dev/null)" ]; then
    apt-get "${APT_OPTS[@]}" -qq update || die "apt-get update (private lists) failed"
    touch "$APT_STATE/updated"
  fi
}
papt_get() { apt-get "${APT_OPTS[@]}" "$@"; }
papt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

# Download binary packages NAME[/SUITE] into DIR (apt checks them against the signed Packages index).
papt_download() {
  local dir=$1
  shift
  install -d "$dir"
  (cd "$dir" && apt-get "${APT_OPTS[@]}" -qq download "$@") || die "apt-get download $* failed"
}
