#!/usr/bin/env bash
# build.sh: real Kubernetes binaries for the lab, built from Debian's source package with Go from Debian.
#
#   lab/k8s/build.sh            fetch + verify + build what is missing (cached by version)
#   KHA_K8S_VERSION=x.y.z ...   another version (needs a recipe in lab/k8s/versions.sh)
#
# Steps (each is skipped when its result is in the cache, $KHA_LAB_CACHE, default /var/cache/kha-lab):
#   1. private apt lists (Debian's signed InRelease; the host's apt sources stay as they are)
#   2. `apt-get source --download-only` the kubernetes source package; apt checks the .dsc and the files
#      against the signed Sources index, and we check the orig tarball's sha256 against the .dsc and against
#      the value pinned in versions.sh, and the tag archive's commit id against versions.sh
#   3. Go from Debian (golang-X-go, golang-X-src) via `apt-get download`, unpacked with dpkg-deb -x
#   4. `go build` in GOPATH mode, one binary at a time (-p 2), version ldflags as hack/lib/version.sh sets
#      them; GOCACHE is kept in the cache
#   5. the pause binary from build/pause/linux/pause.c (static, as build/pause/Makefile does)
# Results: $K8S_CACHE/bin/{kubeadm,kubelet,kubectl,kube-apiserver,kube-controller-manager,kube-scheduler,
# kube-proxy,pause}.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap print_times EXIT

K8S_BINARIES=(kubeadm kubectl kubelet kube-scheduler kube-proxy kube-controller-manager kube-apiserver)
SRC_DIR=$K8S_CACHE/src
TREE=$K8S_CACHE/tree/kubernetes-$K8S_SOURCE_VERSION
GOPATH_DIR=$K8S_CACHE/gopath
BIN_DIR=$K8S_CACHE/bin
GO_ROOT_BASE=$KHA_LAB_CACHE/go/$GO_SERIES
GOROOT_DIR=$GO_ROOT_BASE/usr/lib/go-$GO_SERIES
export GOCACHE=$KHA_LAB_CACHE/gocache

# The build recipe: anything that changes a binary. Each binary carries a stamp of it.
# buildDate is the tree's own timestamp (the tag archive's mtimes = the commit time), as SOURCE_DATE_EPOCH
# would give, so the binaries do not change from one build to the next.
recipe() {
  echo "version=$KHA_K8S_VERSION commit=$K8S_GIT_COMMIT orig=$K8S_ORIG_SHA256 go=$GO_SERIES"
  [ "$K8S_SOURCE_VERSION" = "$KHA_K8S_VERSION" ] || echo "source=$K8S_SOURCE_VERSION (a stamped rebuild)"
  echo "flags=GO111MODULE=off CGO_ENABLED=0 -p 2 -trimpath -ldflags=-s -w -buildid= + version vars"
}

all_built() {
  local b stamp
  stamp=$(recipe | sha256sum | cut -c1-16)
  for b in "${K8S_BINARIES[@]}" pause; do
    [ -x "$BIN_DIR/$b" ] && [ "$(cat "$BIN_DIR/.$b.stamp" 2>/dev/null)" = "$stamp" ] || return 1
  done
}

fetch_source() {
  local dsc orig
  orig=$SRC_DIR/${K8S_DEB_SOURCE}_$K8S_DEB_UPSTREAM.orig.tar.gz
  if [ -f "$orig" ] && [ "$(sha256sum <"$orig" | cut -d' ' -f1)" = "$K8S_ORIG_SHA256" ]; then
    log "source: cached $(basename "$orig")"
    return 0
  fi
  private_apt_setup
  rm -rf "$SRC_DIR.new"
  install -d "$SRC_DIR.new"
  (cd "$SRC_DIR.new" && papt_get -qq source --download-only "$K8S_DEB_SOURCE/$K8S_DEB_SUITE") ||
    die "apt-get source $K8S_DEB_SOURCE/$K8S_DEB_SUITE failed"
  dsc=$(ls "$SRC_DIR.new"/*.dsc)
  log "source: $(basename "$dsc")"
  orig=$SRC_DIR.new/${K8S_DEB_SOURCE}_$K8S_DEB_UPSTREAM.orig.tar.gz
  [ -f "$orig" ] || die "no $(basename "$orig") in the source package (a newer upstream? update versions.sh)"
  verify_orig "$dsc" "$orig"
  rm -rf "$SRC_DIR"
  mv "$SRC_DIR.new" "$SRC_DIR"
}

# The orig tarball against the .dsc's Checksums-Sha256 (apt checked the .dsc against the signed index)
# and against the value pinned in versions.sh; the tag archive's commit id against versions.sh.
verify_orig() {
  local dsc=$1 orig=$2 want have commit
  want=$(awk -v f="$(basename "$orig")" '/^Checksums-Sha256:/ {s = 1; next} /^[^ ]/ {s = 0}
    s && $3 == f {print $1}' "$dsc")
  have=$(sha256sum <"$orig" | cut -d' ' -f1)
  [ -n "$want" ] || die "$(basename "$orig") is not listed in $(basename "$dsc")"
  [ "$have" = "$want" ] || die "sha256 of $(basename "$orig") is $have, the .dsc says $want"
  [ "$have" = "$K8S_ORIG_SHA256" ] ||
    die "sha256 of $(basename "$orig") is $have, versions.sh pins $K8S_ORIG_SHA256 (a new upload? check it)"
  log "verified: $(basename "$orig") sha256 $have (.dsc and versions.sh agree)"
  if command -v git >/dev/null; then
    commit=$(gzip -dc "$orig" | git get-tar-commit-id || true)
    [ "$commit" = "$K8S_GIT_COMMIT" ] ||
      die "the tarball was made from commit '${commit:-?}', versions.sh says $K8S_GIT_COMMIT"
    log "verified: tag archive of commit $commit"
  fi
}

unpack_tree() {
  if [ -f "$TREE/.kha-unpacked" ]; then
    log "tree: cached $TREE"
    return 0
  fi
  rm -rf "$K8S_CACHE/tree"
  install -d "$K8S_CACHE/tree"
  tar -xzf "$SRC_DIR/${K8S_DEB_SOURCE}_$K8S_DEB_UPSTREAM.orig.tar.gz" -C "$K8S_CACHE/tree"
  [ -d "$TREE/vendor" ] || die "$TREE has no vendor/ (not the tree this script expects)"
  grep -q "^TAG = " "$TREE/build/pause/Makefile" || die "$TREE has no build/pause"
  touch "$TREE/.kha-unpacked"
  log "tree: unpacked to $TREE"
}

fetch_go() {
  if [ -x "$GOROOT_DIR/bin/go" ] && "$GOROOT_DIR/bin/go" version >/dev/null 2>&1; then
    log "go: cached $("$GOROOT_DIR/bin/go" version)"
    return 0
  fi
  private_apt_setup
  local dl=$KHA_LAB_CACHE/go/debs deb
  rm -rf "$dl" "$GO_ROOT_BASE"
  papt_download "$dl" "golang-$GO_SERIES-go/$GO_DEB_SUITE" "golang-$GO_SERIES-src/$GO_DEB_SUITE"
  install -d "$GO_ROOT_BASE"
  for deb in "$dl"/*.deb; do
    log "go: unpacking $(basename "$deb")"
    dpkg-deb -x "$deb" "$GO_ROOT_BASE"
  done
  # The package links GOROOT/src (and friends) absolutely to /usr/share/go-X; point them inside the copy.
  local link target
  for link in "$GOROOT_DIR"/*; do
    [ -L "$link" ] || continue
    target=$(readlink "$link")
    case "$target" in
      /*) ln -sfn "$GO_ROOT_BASE$target" "$link" ;;
    esac
  done
  "$GOROOT_DIR/bin/go" version >/dev/null || die "the unpacked Go does not run"
  log "go: $("$GOROOT_DIR/bin/go" version)"
}

# As hack/lib/version.sh's kube::version::ldflags (both client-go's and component-base's version vars).
version_ldflags() {
  local major minor date epoch pkg key val flags=()
  major=${KHA_K8S_VERSION%%.*}
  minor=$(echo "$KHA_K8S_VERSION" | cut -d. -f2)
  epoch=$(stat -c %Y "$TREE/go.mod")
  date=$(date -u -d "@$epoch" +'%Y-%m-%dT%H:%M:%SZ')
  for pkg in k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version \
    k8s.io/kubernetes/vendor/k8s.io/component-base/version; do
    for kv in "buildDate=$date" "gitCommit=$K8S_GIT_COMMIT" "gitTreeState=clean" "gitVersion=$K8S_TAG" \
      "gitMajor=$major" "gitMinor=$minor"; do
      key=${kv%%=*}
      val=${kv#*=}
      flags+=("-X '$pkg.$key=$val'")
    done
  done
  echo "-s -w -buildid= ${flags[*]}"
}

in_gopath() {
  (
    cd "$GOPATH_DIR/src/k8s.io/kubernetes"
    export PWD=$GOPATH_DIR/src/k8s.io/kubernetes GOPATH=$GOPATH_DIR GOROOT=$GOROOT_DIR \
      GO111MODULE=off CGO_ENABLED=0 GOFLAGS='' PATH=$GOROOT_DIR/bin:$PATH
    "$@"
  )
}

# The one generated file the release tarball lacks and kube-apiserver needs: pkg/generated/openapi/
# zz_generated.openapi.go. Made as build/root/Makefile.generated_files' gen_openapi does for KUBE: openapi-gen
# from vendor/, over every dir with a `+k8s:openapi-gen=` tag (code-generator and sample-apiserver excluded);
# the API-rule report must equal the tree's api/api-rules/violation_exceptions.list, as upstream checks.
OPENAPI_OUT=pkg/generated/openapi/zz_generated.openapi.go
gen_openapi() {
  local dirs
  if [ -f "$TREE/$OPENAPI_OUT" ]; then
    log "openapi: $OPENAPI_OUT present"
    return 0
  fi
  install -d "$K8S_CACHE/gen"
  in_gopath nice -n 10 go build -p 2 -o "$K8S_CACHE/gen/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen ||
    die "go build openapi-gen failed"
  # shellcheck disable=SC2016 # expanded by the inner bash
  dirs=$(in_gopath bash -c '
    hack/make-rules/helpers/cache_go_dirs.sh "$0" |
      xargs -I{} find {} -maxdepth 1 -type f -name "*.go" | xargs grep --color=never -l "^// *+k8s:" |
      grep -v -E "^vendor/k8s.io/(code-generator|sample-apiserver)/" |
      xargs grep --color=never -l "+k8s:openapi-gen=" | xargs -n1 dirname | LC_ALL=C sort -u' \
    "$K8S_CACHE/gen/all_go_dirs")
  [ -n "$dirs" ] || die "openapi: no +k8s:openapi-gen dirs found"
  log "openapi: $(echo "$dirs" | wc -l) packages"
  in_gopath nice -n 10 "$K8S_CACHE/gen/openapi-gen" --logtostderr \
    -i "$(echo "$dirs" | sed 's|^|k8s.io/kubernetes/|' | paste -sd,)" \
    -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
    -h hack/boilerplate/boilerplate.generatego.txt -r "$K8S_CACHE/gen/KUBE_violations.report" ||
    die "openapi-gen failed"
  diff "$K8S_CACHE/gen/KUBE_violations.report" "$TREE/api/api-rules/violation_exceptions.list" >&2 ||
    die "openapi: API rule report differs from api/api-rules/violation_exceptions.list"
  [ -f "$TREE/$OPENAPI_OUT" ] || die "openapi-gen wrote no $OPENAPI_OUT"
  log "openapi: generated $OPENAPI_OUT"
}

build_go_binaries() {
  local stamp b ldflags start
  stamp=$(recipe | sha256sum | cut -c1-16)
  ldflags=$(version_ldflags)
  for b in "${K8S_BINARIES[@]}"; do
    if [ -x "$BIN_DIR/$b" ] && [ "$(cat "$BIN_DIR/.$b.stamp" 2>/dev/null)" = "$stamp" ]; then
      log "$b: cached"
      continue
    fi
    start=$SECONDS
    log "$b: go build (one at a time, -p 2)"
    in_gopath nice -n 10 go build -p 2 -trimpath -installsuffix static -ldflags "$ldflags" \
      -o "$BIN_DIR/$b.new" "./cmd/$b" || die "go build ./cmd/$b failed"
    mv "$BIN_DIR/$b.new" "$BIN_DIR/$b"
    echo "$stamp" >"$BIN_DIR/.$b.stamp"
    STEP_TIMES+=("$(printf '  go build %-25s %5d s' "$b" $((SECONDS - start)))")
    log "$b: built in $((SECONDS - start)) s"
  done
}

# build/pause/Makefile: CFLAGS = -Os -Wall -Werror -static -DVERSION=v$(TAG)-$(REV), then strip.
build_pause() {
  local stamp tag
  stamp=$(recipe | sha256sum | cut -c1-16)
  if [ -x "$BIN_DIR/pause" ] && [ "$(cat "$BIN_DIR/.pause.stamp" 2>/dev/null)" = "$stamp" ]; then
    log "pause: cached"
    return 0
  fi
  command -v gcc >/dev/null || die "gcc is needed for the pause binary (apt-get install gcc libc6-dev)"
  tag=$(awk '$1 == "TAG" {print $3}' "$TREE/build/pause/Makefile")
  gcc -Os -Wall -Werror -static "-DVERSION=v$tag-$K8S_TAG" -o "$BIN_DIR/pause" "$TREE/build/pause/linux/pause.c"
  strip "$BIN_DIR/pause"
  echo "$stamp" >"$BIN_DIR/.pause.stamp"
  log "pause: $("$BIN_DIR/pause" -v 2>&1 | head -n1)"
}

check_versions() {
  local out
  out=$("$BIN_DIR/kubeadm" version -o short)
  [ "$out" = "$K8S_TAG" ] || die "kubeadm version says '$out', expected $K8S_TAG"
  "$BIN_DIR/kubeadm" version >&2
  "$BIN_DIR/kubelet" --version >&2
}

main() {
  log "Kubernetes $K8S_TAG from Debian $K8S_DEB_SUITE's $K8S_DEB_SOURCE ($K8S_DEB_UPSTREAM), Go $GO_SERIES" \
    "from $GO_DEB_SUITE; cache $K8S_CACHE"
  if all_built; then
    log "all binaries cached in $BIN_DIR"
    step "check versions" check_versions
    return 0
  fi
  step "fetch + verify source" fetch_source
  step "unpack tree" unpack_tree
  step "fetch Go $GO_SERIES" fetch_go
  install -d "$GOPATH_DIR/src/k8s.io" "$BIN_DIR" "$GOCACHE"
  ln -sfn "$TREE" "$GOPATH_DIR/src/k8s.io/kubernetes"
  step "generate openapi" gen_openapi
  step "go build (${#K8S_BINARIES[@]} binaries)" build_go_binaries
  step "build pause" build_pause
  step "check versions" check_versions
}

main "$@"
