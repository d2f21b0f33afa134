#!/usr/bin/env bash
# A cri-dockerd STAND-IN for the container_runtime scenario, NOT cri-dockerd (no release can be fetched from the
# lab): a release-shaped archive (cri-dockerd/cri-dockerd inside a .tgz) whose "binary" is a Python script that
# tells systemd it is ready (Type=notify), records its arguments in /run/kha-cri-dockerd-stub.args and waits.
# It lets the scenario run the role's cri-dockerd path for real: download with a checksum, unpack, install,
# systemd units, socket and service. Published with labctl beside a .sha256 file:
#   http://172.30.0.2/apt/test:/cri-dockerd/cri-dockerd-0.0.0-kha-stub.amd64.tgz(.sha256)
# Usage: build-cri-dockerd-stub.sh LABCTL. Idempotent: nothing is built when the archive is published already.
set -euo pipefail
LABCTL=$1
DIR="test:/cri-dockerd"
NAME=cri-dockerd-0.0.0-kha-stub.amd64.tgz
URL="http://172.30.0.2/apt/$DIR/$NAME"

if curl -fsS -o /dev/null --max-time 10 "$URL.sha256" 2>/dev/null; then
  echo "stub already published at $URL"
  exit 0
fi

work=$(mktemp -d /var/tmp/kha-cri-dockerd-stub.XXXXXX)
trap 'rm -rf "$work"' EXIT
install -d "$work/root/cri-dockerd"
cat >"$work/root/cri-dockerd/cri-dockerd" <<'PY'
#!/usr/bin/python3
"""TEST STUB of the container_runtime scenario, not cri-dockerd: ready for systemd, then waits."""
import os
import socket
import sys
import time

if "--version" in sys.argv:
    print("cri-dockerd 0.0.0 (kha test stub)")
    sys.exit(0)
with open("/run/kha-cri-dockerd-stub.args", "w") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
address = os.environ.get("NOTIFY_SOCKET", "")
if address:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect("\0" + address[1:] if address.startswith("@") else address)
        s.send(b"READY=1")
while True:
    time.sleep(3600)
PY
chmod 0755 "$work/root/cri-dockerd/cri-dockerd"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/root" -czf "$work/$NAME" cri-dockerd
(cd "$work" && sha256sum "$NAME" >"$NAME.sha256")
"$LABCTL" apt-publish "$DIR" "$work/$NAME" "$work/$NAME.sha256"
