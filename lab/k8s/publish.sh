#!/usr/bin/env bash
# publish.sh: the lab's Kubernetes packages and images, from the binaries build.sh made.
#
#   lab/labctl infra-up && lab/k8s/build.sh && lab/k8s/publish.sh
#
# 1. .debs shaped like pkgs.k8s.io's (kubeadm, kubelet, kubectl <version>-1.1; kubernetes-cni from Debian's
#    containernetworking-plugins binaries in /opt/cni/bin), built with dpkg-deb, published (signed) into
#    the lab apt repository at http://172.30.0.2/apt/core:/stable:/v<minor>/deb/ (labctl apt-publish).
# 2. Images under the names `kubeadm config images list --image-repository $K8S_IMAGE_REPO` prints:
#    kube-apiserver, kube-controller-manager, kube-scheduler (static binaries on an empty root),
#    kube-proxy (a Debian root with iptables & co.), pause (build/pause, static), etcd (Debian's
#    etcd-server/etcd-client 3.4 binaries + libc). Nothing is pulled: roots are made from files and Debian
#    packages, imported with `docker import`, pushed with skopeo (plain HTTP) to 172.30.0.2:5000.
#    CoreDNS is NOT built: Debian has no coredns source or binary package (checked bookworm..sid).
# 3. The smoke image of the acceptance check (role verify): Debian's nginx and curl, 172.30.0.2:5000/lab/nginx-smoke.
# Idempotent: .debs and images are cached by content hash; publishing and pushing skip what is current.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap print_times EXIT

BIN_DIR=$K8S_CACHE/bin
DEB_DIR=$K8S_CACHE/debs
DEPS_DIR=$KHA_LAB_CACHE/debian-debs            # Debian binary packages we take files from
PKG_SRC=$K8S_LAB_DIR/pkg
ARCH=$(dpkg --print-architecture)
MAINTAINER="kubeadm_ha.cluster lab <lab@kha-lab.test>"
# Packages we take files from (bookworm): CNI plugins, etcd, libc for the etcd image.
DEBIAN_DEPS=(containernetworking-plugins etcd-server etcd-client libc6)
# What the kube-proxy image carries besides kube-proxy (upstream's debian-iptables base has these).
KUBE_PROXY_PACKAGES=iptables,ipset,conntrack,ebtables,kmod,ipvsadm,netbase
# The smoke image (inventories/lab/group_vars/all/lab-environment.yml: kha_smoke_image): serves HTTP on :80, has curl.
SMOKE_PACKAGES=nginx-light,curl,ca-certificates
SMOKE_IMAGE=${SMOKE_IMAGE:-$LAB_REGISTRY/lab/nginx-smoke:bookworm}
EPOCH=$(stat -c %Y "$K8S_CACHE/tree/kubernetes-$K8S_SOURCE_VERSION/go.mod" 2>/dev/null || echo 0)

need_built() {
  local b
  for b in kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy pause; do
    [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b missing: run lab/k8s/build.sh first"
  done
}

host_tools() {
  local missing=() p
  for p in skopeo mmdebstrap; do
    command -v "$p" >/dev/null || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from the host's apt sources"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# Debian binary packages (bookworm) via the private apt; apt checks them against the signed index.
fetch_debian_deps() {
  local p have=1
  for p in "${DEBIAN_DEPS[@]}"; do
    compgen -G "$DEPS_DIR/${p}_*_$ARCH.deb" >/dev/null || have=
  done
  if [ -n "$have" ]; then
    log "Debian packages cached in $DEPS_DIR"
    return 0
  fi
  private_apt_setup
  rm -rf "$DEPS_DIR"
  papt_download "$DEPS_DIR" "${DEBIAN_DEPS[@]/%//$K8S_DEB_SUITE}"
  ls "$DEPS_DIR" >&2
}
deb_of() { compgen -G "$DEPS_DIR/${1}_*_$ARCH.deb" | head -n1; }
deb_version() { dpkg-deb -f "$(deb_of "$1")" Version; }

# ---------------------------------------------------------------------------------------------------------
# .debs
# ---------------------------------------------------------------------------------------------------------
# mkdeb NAME VERSION ROOT CONTROL-FIELDS...: DEBIAN/control (+ md5sums) and dpkg-deb --build, reproducibly.
mkdeb() {
  local name=$1 version=$2 root=$3 out
  shift 3
  out=$DEB_DIR/${name}_${version}_$ARCH.deb
  install -d "$root/DEBIAN"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: $ARCH"
    echo "Maintainer: $MAINTAINER"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    printf '%s\n' "$@"
  } >"$root/DEBIAN/control"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 -r md5sum) \
    >"$root/DEBIAN/md5sums"
  find "$root" -exec touch -h -d "@$EPOCH" {} +
  SOURCE_DATE_EPOCH=$EPOCH dpkg-deb --root-owner-group -Zgzip --build "$root" "$out" >/dev/null
  log "built $(basename "$out")"
}

systemd_maintscripts() {
  # What debhelper's dh_installsystemd generates for an enabled, started unit (upstream's kubelet .deb is
  # built with dh --with systemd: the kubelet is enabled and started at install, and restarts every 10 s
  # until kubeadm writes its configuration).
  local root=$1 unit=$2
  cat >"$root/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = "configure" ] || [ "\$1" = "abort-upgrade" ] || [ "\$1" = "abort-deconfigure" ] || [ "\$1" = "abort-remove" ] ; then
	deb-systemd-helper unmask '$unit' >/dev/null || true
	# was-enabled defaults to true, so new installations run enable.
	if deb-systemd-helper --quiet was-enabled '$unit'; then
		deb-systemd-helper enable '$unit' >/dev/null || true
	else
		deb-systemd-helper update-state '$unit' >/dev/null || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "\$2" ]; then _dh_action=restart; else _dh_action=start; fi
		deb-systemd-invoke \$_dh_action '$unit' >/dev/null || true
	fi
fi
EOF
  cat >"$root/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "\$1" = remove ]; then
	deb-systemd-invoke stop '$unit' >/dev/null || true
fi
EOF
  cat >"$root/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
if [ "\$1" = "remove" ] && [ -x "/usr/bin/deb-systemd-helper" ]; then
	deb-systemd-helper mask '$unit' >/dev/null || true
fi
if [ "\$1" = "purge" ] && [ -x "/usr/bin/deb-systemd-helper" ]; then
	deb-systemd-helper purge '$unit' >/dev/null || true
	deb-systemd-helper unmask '$unit' >/dev/null || true
fi
EOF
  chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
}

CNI_VERSION=
debs_hash() {
  {
    echo "v=$K8S_PKG_VERSION cni=$(deb_version containernetworking-plugins) maint=$MAINTAINER epoch=$EPOCH"
    sha256sum "$BIN_DIR"/kubeadm "$BIN_DIR"/kubelet "$BIN_DIR"/kubectl "$PKG_SRC"/*
    declare -f mkdeb systemd_maintscripts build_debs
  } | sha256sum | cut -c1-16
}

build_debs() {
  local hash tmp r cni_deb_version
  cni_deb_version=$(deb_version containernetworking-plugins)
  CNI_VERSION=${cni_deb_version%%+*}      # 1.1.1+ds1-3+b5 -> 1.1.1 (the upstream CNI plugins version)
  CNI_VERSION=${CNI_VERSION%%-*}
  hash=$(debs_hash)
  if [ "$(cat "$DEB_DIR/.hash" 2>/dev/null)" = "$hash" ]; then
    log ".debs cached ($hash): $(cd "$DEB_DIR" && echo *.deb)"
    return 0
  fi
  rm -rf "$DEB_DIR"
  install -d "$DEB_DIR"
  tmp=$(mktemp -d /var/tmp/kha-k8s-debs.XXXXXX)

  # kubectl: the binary only (as upstream).
  r=$tmp/kubectl
  install -D -m 0755 "$BIN_DIR/kubectl" "$r/usr/bin/kubectl"
  mkdeb kubectl "$K8S_PKG_VERSION" "$r" \
    "Section: admin" "Priority: optional" "Homepage: https://kubernetes.io" \
    "Description: Command-line utility for interacting with a Kubernetes cluster" \
    " Kubernetes $K8S_TAG ($K8S_GIT_COMMIT)," \
    " built for the kubeadm_ha.cluster lab from Debian's $K8S_DEB_SOURCE source" \
    " package ($K8S_DEB_UPSTREAM) with Go $GO_SERIES."

  # kubernetes-cni: Debian's containernetworking-plugins binaries in /opt/cni/bin, as upstream's package.
  r=$tmp/kubernetes-cni
  dpkg-deb -x "$(deb_of containernetworking-plugins)" "$tmp/cni-x"
  install -d "$r/opt/cni/bin" "$r/etc/cni/net.d"
  install -m 0755 "$tmp"/cni-x/usr/lib/cni/* "$r/opt/cni/bin/"
  : >"$r/etc/cni/net.d/.kubernetes-cni-keep"
  mkdeb kubernetes-cni "$CNI_VERSION-$K8S_PKG_REVISION" "$r" \
    "Section: net" "Priority: optional" "Homepage: https://kubernetes.io" \
    "Depends: libc6 (>= 2.34)" \
    "Description: Binaries required to provision kubernetes container networking" \
    " The CNI plugins $CNI_VERSION from Debian's containernetworking-plugins $cni_deb_version," \
    " installed in /opt/cni/bin as upstream's kubernetes-cni package does."

  # kubelet: binary, unit, /etc/default/kubelet (conffile), the directories upstream ships.
  r=$tmp/kubelet
  install -D -m 0755 "$BIN_DIR/kubelet" "$r/usr/bin/kubelet"
  install -D -m 0644 "$PKG_SRC/kubelet.service" "$r/lib/systemd/system/kubelet.service"
  install -D -m 0644 "$PKG_SRC/kubelet.default" "$r/etc/default/kubelet"
  # Empty directories, as the 1.20-era upstream .deb had them. (pkgs.k8s.io's 1.24+ packages put a
  # .kubelet-keep file in each; kubeadm before 1.23 fails `join` preflight on a non-empty manifests dir.)
  install -d "$r/etc/kubernetes/manifests" "$r/var/lib/kubelet"
  install -d "$r/DEBIAN"
  echo /etc/default/kubelet >"$r/DEBIAN/conffiles"
  systemd_maintscripts "$r" kubelet.service
  mkdeb kubelet "$K8S_PKG_VERSION" "$r" \
    "Section: net" "Priority: optional" "Homepage: https://kubernetes.io" \
    "Depends: iptables (>= 1.4.21), kubernetes-cni (>= 0.8.7), iproute2, socat, util-linux, mount, ebtables, ethtool, conntrack, init-system-helpers (>= 1.18~)" \
    "Description: Node agent for Kubernetes clusters" \
    " Kubernetes $K8S_TAG ($K8S_GIT_COMMIT)," \
    " built for the kubeadm_ha.cluster lab from Debian's $K8S_DEB_SOURCE source" \
    " package ($K8S_DEB_UPSTREAM) with Go $GO_SERIES."

  # kubeadm: binary + the kubelet drop-in. Upstream's 1.20 kubeadm also Depends on cri-tools (>= 1.13.0);
  # Debian has no cri-tools, so it is only recommended here (apt skips a missing recommendation).
  r=$tmp/kubeadm
  install -D -m 0755 "$BIN_DIR/kubeadm" "$r/usr/bin/kubeadm"
  install -D -m 0644 "$PKG_SRC/10-kubeadm.conf" "$r/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
  install -d "$r/DEBIAN"
  printf '#!/bin/sh\nset -e\nif [ -d /run/systemd/system ]; then\n\tsystemctl --system daemon-reload >/dev/null || true\nfi\n' \
    >"$r/DEBIAN/postinst"
  cp "$r/DEBIAN/postinst" "$r/DEBIAN/postrm"
  chmod 0755 "$r/DEBIAN/postinst" "$r/DEBIAN/postrm"
  mkdeb kubeadm "$K8S_PKG_VERSION" "$r" \
    "Section: admin" "Priority: optional" "Homepage: https://kubernetes.io" \
    "Depends: kubelet (>= 1.13.0), kubectl (>= 1.13.0), kubernetes-cni (>= 0.8.7)" \
    "Recommends: cri-tools (>= 1.13.0)" \
    "Description: Command-line utility for administering a Kubernetes cluster" \
    " Kubernetes $K8S_TAG ($K8S_GIT_COMMIT)," \
    " built for the kubeadm_ha.cluster lab from Debian's $K8S_DEB_SOURCE source" \
    " package ($K8S_DEB_UPSTREAM) with Go $GO_SERIES."

  rm -rf "$tmp"
  echo "$hash" >"$DEB_DIR/.hash"
}

publish_debs() {
  local want have
  want=$(cd "$DEB_DIR" && sha256sum ./*.deb | sed 's| \./| |' | sort)
  # What the repository serves now (Packages lists Filename and SHA256 per package).
  have=$(curl -fsS --max-time 10 "${K8S_APT_URL}Packages" 2>/dev/null |
    awk '/^Filename:/ {f = $2; sub(/^\.\//, "", f)} /^SHA256:/ {print $2 "  " f}' | sort || true)
  if [ -n "$have" ] && [ -z "$(comm -23 <(echo "$want") <(echo "$have"))" ]; then
    log "apt repository ${K8S_APT_URL} already serves these .debs"
    return 0
  fi
  "$LABCTL" apt-publish "$K8S_APT_DIR" "$DEB_DIR"/*.deb
  curl -fsS --max-time 10 "${K8S_APT_URL}Release" >/dev/null || die "${K8S_APT_URL}Release does not answer"
}

# ---------------------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------------------
# A deterministic tar of a root directory.
root_tar() { tar --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner -C "$1" -cf "$2" .; }

# The small files every root gets (go-runner/distroless-like): passwd, group, nsswitch.conf (so Go's
# resolver reads /etc/hosts first, as build/lib/release.sh adds), a writable /tmp.
base_files() {
  local r=$1
  install -d "$r/etc" "$r/usr/local/bin" "$r/var/run"
  install -d -m 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
}

# image_root NAME DIR: fill DIR with the root file system of image NAME.
# debian_root WHAT PACKAGES EXTRA_RM DIR: a minimal Debian root with PACKAGES (docs, man pages, locales, apt lists
# and caches left out, and EXTRA_RM: paths below the root "$1") unpacked into DIR. The same for every Kubernetes
# version, so the tar is built once and kept by its recipe (the upgrade's second image set reuses it).
debian_root() {
  local what=$1 packages=$2 extra_rm=$3 dir=$4 tar x
  tar=$KHA_LAB_CACHE/rootfs/$what-$(echo "$packages $extra_rm $K8S_DEB_SUITE $("$LABCTL" mirror)" |
    sha256sum | cut -c1-16).tar
  if [ ! -s "$tar" ]; then
    x=$(mktemp -d /var/tmp/kha-k8s-x.XXXXXX)
    mmdebstrap --quiet --variant=minbase --include="$packages" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --customize-hook="rm -rf \"\$1\"/var/lib/apt/lists/* \"\$1\"/var/cache/apt/* $extra_rm" \
      "$K8S_DEB_SUITE" "$x/root.tar" "$("$LABCTL" mirror)" >"$x/mmdebstrap.log" 2>&1 ||
      { tail -n 30 "$x/mmdebstrap.log" >&2; die "mmdebstrap for $what failed"; }
    install -d "$(dirname "$tar")"
    mv "$x/root.tar" "$tar"
    rm -rf "$x"
  fi
  install -d "$dir"
  tar -xf "$tar" -C "$dir"
}

image_root() {
  local name=$1 r=$2 x
  case "$name" in
    kube-apiserver | kube-controller-manager | kube-scheduler)
      base_files "$r"
      install -m 0755 "$BIN_DIR/$name" "$r/usr/local/bin/$name"
      ;;
    pause)
      install -d "$r"
      install -m 0755 "$BIN_DIR/pause" "$r/pause"
      ;;
    etcd)
      base_files "$r"
      x=$(mktemp -d /var/tmp/kha-k8s-x.XXXXXX)
      dpkg-deb -x "$(deb_of libc6)" "$x"
      dpkg-deb -x "$(deb_of etcd-server)" "$x"
      dpkg-deb -x "$(deb_of etcd-client)" "$x"
      cp -a "$x/lib" "$x/lib64" "$r/"
      [ -d "$x/usr/lib/x86_64-linux-gnu" ] && install -d "$r/usr/lib" && cp -a "$x/usr/lib/x86_64-linux-gnu" "$r/usr/lib/"
      install -m 0755 "$x/usr/bin/etcd" "$x/usr/bin/etcdctl" "$r/usr/local/bin/"
      install -d -m 0700 "$r/var/lib/etcd"
      rm -rf "$x"
      ;;
    kube-proxy)
      # A Debian root with what kube-proxy execs (iptables, ip6tables, ipset, conntrack, modprobe, ...).
      # shellcheck disable=SC2016 # "$1" is mmdebstrap's hook argument: expanded by the hook's shell, not here
      debian_root kube-proxy "$KUBE_PROXY_PACKAGES" '"$1"/var/log/*' "$r"
      install -m 0755 "$BIN_DIR/kube-proxy" "$r/usr/local/bin/kube-proxy"
      ;;
    nginx-smoke)
      # Debian's nginx (default site on :80) and curl, for the acceptance check's pod-to-pod requests.
      debian_root nginx-smoke "$SMOKE_PACKAGES" "" "$r"
      ;;
    *) die "no recipe for image $name" ;;
  esac
}

# The cache key of an image: its inputs. (kube-proxy's Debian root is not bit-for-bit reproducible, so the
# key is the recipe, not the tar.)
image_inputs_hash() {
  local name=$1 tag=$2
  {
    echo "name=$name tag=$tag epoch=$EPOCH"
    case "$name" in
      kube-apiserver | kube-controller-manager | kube-scheduler | kube-proxy | pause) sha256sum "$BIN_DIR/$name" ;;
      etcd) basename -a "$(deb_of etcd-server)" "$(deb_of etcd-client)" "$(deb_of libc6)" ;;
    esac
    [ "$name" = kube-proxy ] && echo "$KUBE_PROXY_PACKAGES $K8S_DEB_SUITE"
    [ "$name" = nginx-smoke ] && echo "$SMOKE_PACKAGES $K8S_DEB_SUITE"
    declare -f image_root base_files image_config root_tar
  } | sha256sum | cut -c1-16
}

image_config() {
  local name=$1
  echo 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  case "$name" in
    pause) echo 'ENTRYPOINT ["/pause"]' ;;
    nginx-smoke) echo 'CMD ["nginx", "-g", "daemon off;"]' ;;
    etcd) echo 'CMD ["/usr/local/bin/etcd"]' ;;
    *) echo "ENTRYPOINT [\"/usr/local/bin/$name\"]" ;;
  esac
}

# build_image REF: REF is repo/name:tag as kubeadm lists it; the local image is kha-lab/k8s/name:tag.
build_image() {
  local ref=$1 nametag name tag hash local_ref have tmp
  nametag=${ref##*/}
  name=${nametag%%:*}
  tag=${nametag#*:}
  hash=$(image_inputs_hash "$name" "$tag")
  local_ref=kha-lab/k8s/$name:$tag
  have=$(docker image inspect -f '{{ index .Config.Labels "org.kha-lab.hash" }}' "$local_ref" 2>/dev/null || true)
  if [ "$have" != "$hash" ]; then
    tmp=$(mktemp -d /var/tmp/kha-k8s-img.XXXXXX)
    image_root "$name" "$tmp/root"
    root_tar "$tmp/root" "$tmp/root.tar"
    local changes=()
    while read -r line; do changes+=(-c "$line"); done < <(image_config "$name")
    docker import "${changes[@]}" -c "LABEL org.kha-lab.hash=$hash org.kha-lab.source=$K8S_TAG" \
      "$tmp/root.tar" "$local_ref" >/dev/null
    rm -rf "$tmp"
    log "image $local_ref built ($hash, $(docker image inspect -f '{{ .Size }}' "$local_ref" | numfmt --to=iec))"
  else
    log "image $local_ref is current ($hash)"
  fi
  # Push unless the registry already has this very image (same hash label).
  have=$(skopeo inspect --tls-verify=false --config "docker://$ref" 2>/dev/null |
    python3 -c 'import json,sys; print((json.load(sys.stdin).get("config", {}).get("Labels") or {}).get("org.kha-lab.hash", ""))' \
      2>/dev/null || true)
  if [ "$have" = "$hash" ]; then
    log "registry has $ref ($hash)"
    return 0
  fi
  skopeo copy --quiet --dest-tls-verify=false "docker-daemon:$local_ref" "docker://$ref" >/dev/null ||
    die "skopeo copy to $ref failed"
  log "pushed $ref"
}

image_list() {
  "$BIN_DIR/kubeadm" config images list --kubernetes-version "$K8S_TAG" --image-repository "$K8S_IMAGE_REPO" 2>/dev/null
}

build_and_push_images() {
  local ref skipped=()
  curl -fsS -o /dev/null --max-time 5 "http://$LAB_REGISTRY/v2/" || die "registry $LAB_REGISTRY does not answer (lab/labctl infra-up)"
  while read -r ref; do
    case "${ref##*/}" in
      coredns:*) skipped+=("$ref") ;;
      *) step "image ${ref##*/}" build_image "$ref" ;;
    esac
  done < <(image_list)
  for ref in "${skipped[@]}"; do
    log "NOT built: $ref (Debian has no CoreDNS source or binary package; see docs/kubernetes-in-the-lab.md)"
  done
  step "image nginx-smoke" build_image "$SMOKE_IMAGE"
}

main() {
  need_built
  docker info >/dev/null 2>&1 || die "no Docker engine answers (lab/labctl engine)"
  step "host tools (skopeo, mmdebstrap)" host_tools
  step "fetch Debian packages" fetch_debian_deps
  step "build .debs" build_debs
  step "publish .debs" publish_debs
  build_and_push_images
  log "apt: deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] $K8S_APT_URL /"
  log "key: ${K8S_APT_URL}Release.key   packages: $K8S_PKG_VERSION   images: $K8S_IMAGE_REPO"
}

main "$@"
