# shellcheck shell=bash disable=SC2034
# The one knob: KHA_K8S_VERSION (upstream Kubernetes version, without the "v"). KHA_K8S_UPGRADE_VERSION is the
# second set the lab publishes, for the upgrade tests (a stamped rebuild of the same source: see 1.20.3).
KHA_K8S_UPGRADE_VERSION=${KHA_K8S_UPGRADE_VERSION:-1.20.3}
# Everything else (which Debian source package carries it, which Go builds it, the package revision, the
# expected upstream tree) follows from it here. To move to a newer Kubernetes, add a case below and build.
KHA_K8S_VERSION=${KHA_K8S_VERSION:-1.20.2}

case "$KHA_K8S_VERSION" in
  1.20.2)
    # Debian bookworm's `kubernetes` source package, 1.20.5+really1.20.2-*: the upstream v1.20.2 tree
    # (a GitHub tag archive, vendor/ included). Only its orig tarball is used (Debian's patches are not
    # applied: they touch kubectl only and would make the tree "dirty" relative to v1.20.2).
    K8S_DEB_SOURCE=kubernetes
    K8S_DEB_SUITE=bookworm
    K8S_DEB_UPSTREAM=1.20.5+really1.20.2          # the Debian upstream-version part (orig tarball name)
    K8S_ORIG_SHA256=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc
    # The commit the tag archive was made from (`git get-tar-commit-id` on the orig tarball); also what
    # upstream's own v1.20.2 binaries report as gitCommit.
    K8S_GIT_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56
    # Go that builds it (Go >= 1.19 compiles 1.20 but the binaries panic at run time; see shared LAB.md).
    GO_SERIES=1.15
    GO_DEB_SUITE=bullseye
    # Package revision in pkgs.k8s.io style: <version>-1.1
    K8S_PKG_REVISION=1.1
    ;;
  1.20.3)
    # NOT upstream's v1.20.3: the v1.20.2 source above (the same verified Debian orig tarball) built a second time
    # with its version stamped v1.20.3, the next patch release. It gives the lab a second, newer package and image
    # set to upgrade to, so the upgrade machinery (repository, holds, images, static pod manifests, drains) runs
    # with a real kubeadm; it cannot show what differs between real releases. Everything shows it as v1.20.3.
    K8S_SOURCE_VERSION=1.20.2
    K8S_DEB_SOURCE=kubernetes
    K8S_DEB_SUITE=bookworm
    K8S_DEB_UPSTREAM=1.20.5+really1.20.2
    K8S_ORIG_SHA256=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc
    K8S_GIT_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56
    GO_SERIES=1.15
    GO_DEB_SUITE=bullseye
    K8S_PKG_REVISION=1.1
    ;;
  *)
    echo "versions.sh: no recipe for Kubernetes $KHA_K8S_VERSION (add one to lab/k8s/versions.sh)" >&2
    return 1
    ;;
esac

# The upstream tree the binaries are built from (the version itself, except for a stamped rebuild such as 1.20.3).
K8S_SOURCE_VERSION=${K8S_SOURCE_VERSION:-$KHA_K8S_VERSION}
K8S_TAG=v$KHA_K8S_VERSION
K8S_PKG_VERSION=$KHA_K8S_VERSION-$K8S_PKG_REVISION
K8S_MINOR=$(echo "$KHA_K8S_VERSION" | cut -d. -f1,2)   # 1.20: the apt repository is core:/stable:/v1.20/deb
