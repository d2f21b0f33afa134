"""TEST DOUBLE: a fake ``kubeadm`` for the module tests. It is not kubeadm and changes nothing real.

It prints what kubeadm prints (rendered from the shared fixtures), writes the files kubeadm would
write, but only under ``$FAKE_KUBEADM_DIR``, and records every call in ``$FAKE_KUBEADM_DIR/calls.jsonl``
so tests can prove what ran (or that nothing ran, in check mode).

Environment:
  FAKE_KUBEADM_DIR       state directory: calls.jsonl, tokens.json, and the fake /etc/kubernetes ("etc/")
  FAKE_KUBEADM_ETC       the fake /etc/kubernetes of this node, if not "$FAKE_KUBEADM_DIR/etc"
  FAKE_KUBEADM_VERSION   what ``kubeadm version -o short`` prints (default v1.20.2)
  FAKE_KUBEADM_TOKEN     token that init and ``token create`` use
  FAKE_KUBEADM_KEY       certificate key that init, ``certs certificate-key`` and upload-certs use
  FAKE_KUBEADM_FIXTURES  the shared kubeadm fixtures (default: found relative to this file)
  FAKE_KUBEADM_FAIL      sub-command (e.g. ``init``, ``join``, ``token``) that fails with exit code 1,
                         printing the token and key to stdout/stderr like a real failure might
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

FIXTURES = Path(os.environ.get("FAKE_KUBEADM_FIXTURES") or Path(__file__).resolve().parents[2] / "fixtures" / "kubeadm")
FIXTURE_TOKEN = "abcdef.0123456789abcdef"
FIXTURE_KEY = "e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204"
ENDPOINT = "10.0.0.10:6443"


def main(argv: list[str]) -> int:
    state = Path(os.environ["FAKE_KUBEADM_DIR"])
    etc = Path(os.environ.get("FAKE_KUBEADM_ETC") or state / "etc")
    with (state / "calls.jsonl").open("a") as log:
        log.write(json.dumps(argv) + "\n")
    version = os.environ.get("FAKE_KUBEADM_VERSION", "v1.20.2")
    minor = int(version.split(".")[1])
    token = os.environ.get("FAKE_KUBEADM_TOKEN", FIXTURE_TOKEN)
    key = os.environ.get("FAKE_KUBEADM_KEY", FIXTURE_KEY)
    command = argv[0] if argv else ""

    if os.environ.get("FAKE_KUBEADM_FAIL") == command:
        print("[bootstrap-token] Using token: %s" % token)
        print("[upload-certs] Using certificate key:\n%s" % key)
        print("error execution phase %s: token %s rejected (key %s)" % (command, token, key), file=sys.stderr)
        return 1

    if argv[:3] == ["version", "-o", "short"]:
        print(version)
        return 0

    if command == "init" and argv[1:3] == ["phase", "upload-certs"]:
        if "--certificate-key" in argv:
            key = argv[argv.index("--certificate-key") + 1]
        print("W1122 02:10:00.000001    5151 version.go:104] could not fetch a Kubernetes version", file=sys.stderr)
        print('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace')
        print("[upload-certs] Using certificate key:\n%s" % key)
        return 0

    if command == "init":
        upload = any(a in argv for a in ("--upload-certs", "--experimental-upload-certs"))
        era = {14: "1.14.0", 15: "1.15.5", 20: "1.20"}.get(minor, "1.28.4")
        text = (FIXTURES / ("%s.init.%s.txt" % (era, "cpe-upload" if upload else "cpe-no-upload"))).read_text()
        (etc / "manifests").mkdir(parents=True, exist_ok=True)
        (etc / "pki").mkdir(parents=True, exist_ok=True)
        (etc / "admin.conf").write_text("apiVersion: v1\nclusters:\n- cluster:\n    server: https://%s\n" % ENDPOINT)
        (etc / "kubelet.conf").write_text("fake\n")
        (etc / "manifests" / "kube-apiserver.yaml").write_text("fake\n")
        shutil.copy(FIXTURES / "pubkeypin_testCertPEM.crt", etc / "pki" / "ca.crt")
        log = "[init] Using Kubernetes version: %s\n[bootstrap-token] Using token: %s\n" % (version, token)
        if upload:
            log += '[upload-certs] Storing the certificates in Secret "kubeadm-certs"\n'
            log += "[upload-certs] Using certificate key:\n%s\n" % key
        if any(a.startswith("--skip-phases=") and "show-join-command" in a for a in argv):
            text = ""
        sys.stdout.write(log + text.replace(FIXTURE_TOKEN, token).replace(FIXTURE_KEY, key))
        print("\t[WARNING SystemVerification]: fake kubeadm", file=sys.stderr)
        return 0

    if command == "join":
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "kubelet.conf").write_text("fake\n")
        if "--control-plane" in argv or "--experimental-control-plane" in argv:
            (etc / "manifests").mkdir(parents=True, exist_ok=True)
            (etc / "manifests" / "kube-apiserver.yaml").write_text("fake\n")
            (etc / "admin.conf").write_text("fake\n")
        print("This node has joined the cluster:")
        return 0

    tokens_file = state / "tokens.json"
    tokens = json.loads(tokens_file.read_text()) if tokens_file.exists() else []
    if argv[:2] == ["token", "list"]:
        if "-o" in argv:
            for item in tokens:
                print(
                    json.dumps(dict(item, kind="BootstrapToken", apiVersion="output.kubeadm.k8s.io/v1alpha2"), indent=4)
                )
        else:
            print("TOKEN   TTL   EXPIRES   USAGES   DESCRIPTION   EXTRA GROUPS")
            for item in tokens:
                print(
                    "%s   1h   %s   %s   %s   %s"
                    % (
                        item["token"],
                        item.get("expires", "<never>"),
                        ",".join(item.get("usages", [])) or "<none>",
                        item.get("description") or "<none>",
                        ",".join(item.get("groups", [])) or "<none>",
                    )
                )
        return 0
    if argv[:2] == ["token", "create"]:
        tokens.append(
            {
                "token": token,
                "usages": ["authentication", "signing"],
                "groups": ["system:bootstrappers:kubeadm:default-node-token"],
                "expires": "2099-01-01T00:00:00Z",
            }
        )
        tokens_file.write_text(json.dumps(tokens))
        print(token)
        return 0
    if argv[-1:] == ["certificate-key"]:
        print(key)
        return 0
    print("unknown command for the fake kubeadm: %s" % argv, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
