#!/usr/bin/env bash
# TEST PACKAGES for the kube_packages scenario, NOT Kubernetes: kubelet, kubeadm and kubectl 1.20.1-1.1 whose
# "binaries" are shell scripts printing that version (the kubelet one exits 1, so its unit restarts in a loop as
# a real unconfigured kubelet does). They give the scenario an installed older version to upgrade from.
# Published with labctl into their own flat repository, shaped like pkgs.k8s.io's, beside the real packages:
#   http://172.30.0.2/apt/test:/kube-packages/core:/stable:/v1.20/deb/
# Usage: build-test-debs.sh LABCTL. Idempotent: nothing is built when the repository lists them already.
set -euo pipefail
LABCTL=$1
VERSION=1.20.1
REVISION=1.1
DIR="test:/kube-packages/core:/stable:/v${VERSION%.*}/deb"
URL="http://172.30.0.2/apt/$DIR/"
ARCH=$(dpkg --print-architecture)

if curl -fsS --max-time 10 "${URL}Packages" 2>/dev/null | grep -qx "Version: $VERSION-$REVISION"; then
  echo "test packages already published at $URL"
  exit 0
fi

work=$(mktemp -d /var/tmp/kha-test-kube-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT
for name in kubelet kubeadm kubectl; do
  root=$work/$name
  install -d "$root/DEBIAN" "$root/usr/bin"
  case $name in
    kubelet)
      # shellcheck disable=SC2016  # the $ in the script text is for the generated script, not this one
      printf '#!/bin/sh\n# kube_packages scenario TEST PACKAGE, not a kubelet.\necho "Kubernetes v%s (kha test package)"\n[ "${1:-}" = --version ] && exit 0\nexit 1\n' "$VERSION" >"$root/usr/bin/kubelet"
      install -d "$root/lib/systemd/system"
      printf '[Unit]\nDescription=kubelet TEST PACKAGE (kube_packages scenario)\n\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\nRestartSec=10\n\n[Install]\nWantedBy=multi-user.target\n' \
        >"$root/lib/systemd/system/kubelet.service"
      ;;
    kubeadm)
      printf '#!/bin/sh\n# kube_packages scenario TEST PACKAGE, not kubeadm.\necho "v%s"\n' "$VERSION" >"$root/usr/bin/kubeadm"
      ;;
    kubectl)
      printf '#!/bin/sh\n# kube_packages scenario TEST PACKAGE, not kubectl.\necho "Client Version: v%s"\n' "$VERSION" >"$root/usr/bin/kubectl"
      ;;
  esac
  chmod 0755 "$root/usr/bin/$name"
  cat >"$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $VERSION-$REVISION
Architecture: $ARCH
Maintainer: kubeadm_ha.cluster tests <lab@kha-lab.test>
Section: admin
Priority: optional
Description: TEST PACKAGE of the kube_packages Molecule scenario (not Kubernetes)
 A shell script printing version $VERSION, to have an older installed version to upgrade from.
CONTROL
  dpkg-deb --root-owner-group --build "$root" "$work/${name}_$VERSION-${REVISION}_$ARCH.deb" >/dev/null
done
"$LABCTL" apt-publish "$DIR" "$work"/*.deb
