#!/usr/bin/env bash
# galaxy-importer on the collection tarball, the checks Galaxy runs on an upload (tests/run-all.sh build).
#
#   tests/galaxy-importer.sh [TARBALL]      default: a tarball built from the checkout
#
# Fails on any ERROR or WARNING line of the importer (its own, and those of the ansible-lint it runs), on content
# it lists twice, and on a filter, module or other documented plugin type it lists without documentation.
#
# The importer lives in its own virtualenv (its pins differ from requirements.txt), made once from PyPI under
# .cache/galaxy-importer/ (KHA_GALAXY_IMPORTER_VENV) and reused offline; it is made again when GALAXY_IMPORTER
# below changes. The importer runs offline: no ansible-test (it would want containers), ansible-lint --offline.
#
# galaxy.yml has no `repository` yet (the collection has no public address, see its comment), and the importer
# refuses a collection without one. The script checks that this is the only thing it refuses, then imports a copy
# whose galaxy.yml has a stand-in address under example.invalid (a reserved name that can never resolve), built in
# a scratch directory only; once galaxy.yml has a real `repository`, the checkout is imported as it is.
set -euo pipefail

GALAXY_IMPORTER="galaxy-importer>=0.4.44,<0.5"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${KHA_GALAXY_IMPORTER_VENV:-$ROOT/.cache/galaxy-importer/venv}
ANSIBLE_GALAXY="$ROOT/.venv/bin/ansible-galaxy"

if [ "$(cat "$VENV/.kha-spec" 2>/dev/null)" != "$GALAXY_IMPORTER" ]; then
  echo "making the galaxy-importer virtualenv $VENV ($GALAXY_IMPORTER, from PyPI)"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$ROOT/.venv/bin/python" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$GALAXY_IMPORTER" >"$VENV.pip.log" 2>&1 ||
    { cat "$VENV.pip.log"; echo "cannot install $GALAXY_IMPORTER (PyPI unreachable?)"; rm -rf "$VENV"; exit 1; }
  echo "$GALAXY_IMPORTER" >"$VENV/.kha-spec"
fi

tmp=$(mktemp -d /tmp/kha-galaxy-importer.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/ansible-tmp" "$tmp/work"
cat >"$tmp/galaxy-importer.cfg" <<EOF
[galaxy-importer]
run_ansible_test = False
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
check_changelog = True
ansible_local_tmp = $tmp/ansible-tmp
tmp_root_dir = $tmp/work
log_level_main = INFO
EOF

# The importer sees only its own virtualenv: its ansible-core, ansible-doc and ansible-lint, no project config.
importer() {
  (cd "$tmp/work" && env -i HOME="$tmp/home" PATH="$VENV/bin:/usr/bin:/bin" LANG=C.UTF-8 \
    GALAXY_IMPORTER_CONFIG="$tmp/galaxy-importer.cfg" "$VENV/bin/python" -m galaxy_importer.main "$@")
}

build() {
  # build DIR OUTDIR: the tarball of the collection in DIR
  "$ANSIBLE_GALAXY" collection build --force --output-path "$2" "$1" >/dev/null && ls "$2"/kubeadm_ha-cluster-*.tar.gz
}

has_repository=$("$ROOT/.venv/bin/python" -c 'import yaml; print(bool(yaml.safe_load(open("galaxy.yml")).get("repository")))')
if [ $# -gt 0 ]; then
  tarball=$1
elif [ "$has_repository" = True ]; then
  tarball=$(build . "$tmp/tarball")
else
  real=$(build . "$tmp/real")
  importer "$real" >"$tmp/real.out" 2>&1 && { echo "galaxy-importer imported a collection without repository"; exit 1; }
  refusal="ERROR: The import failed for the following reason: Invalid collection metadata. 'repository' is required"
  if [ "$(grep -E '^(ERROR|WARNING|CRITICAL)' "$tmp/real.out")" != "$refusal" ]; then
    echo "galaxy-importer refuses the collection as it is for more than the missing repository:"
    cat "$tmp/real.out"
    exit 1
  fi
  echo "NOTE: galaxy.yml has no repository; galaxy-importer refuses the collection as it is, as expected:"
  echo "  $refusal"
  echo "  the rest of the import is checked on a copy with a stand-in repository (https://example.invalid/...)"
  mkdir -p "$tmp/copy"
  git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- . "$tmp/copy/"
  printf '%s\n' "repository: https://example.invalid/kubeadm_ha.cluster" >>"$tmp/copy/galaxy.yml"
  tarball=$(build "$tmp/copy" "$tmp/tarball")
fi

rc=0
importer --print-result "$tarball" >"$tmp/import.out" 2>"$tmp/import.err" || rc=$?
# The log lines come first; the result (JSON) starts at the first line that is a lone "{".
sed -n '/^{$/q;p' "$tmp/import.out" | grep -v '^Loading ' || true
if [ $rc -ne 0 ] || [ -s "$tmp/import.err" ]; then
  cat "$tmp/import.err"
  echo "galaxy-importer failed (rc=$rc)"
  exit 1
fi
"$VENV/bin/python" - "$tmp/import.out" <<'PY'
import collections
import json
import re
import sys

text = open(sys.argv[1]).read()
log, _, result = text.partition("\n{\n")
result = json.loads("{\n" + result)
problems = [f"importer said: {line}" for line in log.splitlines() if re.match(r"(ERROR|WARNING|CRITICAL)\b", line)]
contents = [(c["content_type"], c["name"]) for c in result["contents"]]
problems += [f"listed {n} times: {t} {name}" for (t, name), n in collections.Counter(contents).items() if n > 1]
# plugin types ansible-doc documents (action plugins share their module's documentation)
documented = {"become", "cache", "callback", "cliconf", "connection", "filter", "httpapi", "inventory", "lookup",
              "shell", "module", "strategy", "test", "vars"}
# (a plugin file is listed under its file name: one filter per file, documented inside it, see plugins/filter/)
undocumented = {f"{c['content_type']} {c['name']}" for c in result["contents"]
                if c["content_type"] in documented and not c["description"]}
problems += [f"listed without documentation: {u}" for u in sorted(undocumented)]
counts = collections.Counter(t for t, _ in contents)
print("galaxy-importer result: " + ", ".join(f"{n} {t}" for t, n in sorted(counts.items())))
print("\n".join(problems) or "galaxy-importer: no error, no warning, nothing listed twice, nothing undocumented")
sys.exit(1 if problems else 0)
PY
