#!/usr/bin/env bash
# The collection's documentation site (tests/run-all.sh build): HTML in .cache/docs-site/html/ (KHA_DOCS_SITE_DIR),
# built the way antsibull-docs sets one up, from the collection as a tarball installs it:
#   antsibull-docs sphinx-init --use-current (conf.py, requirements.txt), antsibull-docs collection (the .rst of
#   every module, filter and role; roles from their argument specs), sphinx-build html.
# Fails on a Sphinx warning or error, except for the two kinds offline builds always have (listed below).
#
# Sphinx and its theme come from the requirements.txt sphinx-init writes, in a virtualenv of their own under
# .cache/docs-site-venv/ (KHA_DOCS_SITE_VENV), made once from PyPI and made again when that file changes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${KHA_DOCS_SITE_VENV:-$ROOT/.cache/docs-site-venv}
OUT=${KHA_DOCS_SITE_DIR:-$ROOT/.cache/docs-site}
PROJECT_BIN=$ROOT/.venv/bin

tmp=$(mktemp -d /tmp/kha-docs-site.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/empty.cfg"
export ANSIBLE_CONFIG="$tmp/empty.cfg" ANSIBLE_COLLECTIONS_PATH="$tmp/installed:$ROOT/.venv/lib/python3.11/site-packages"
export ANSIBLE_FORCE_COLOR=0 NO_COLOR=1

# The collection as a user gets it.
"$PROJECT_BIN/ansible-galaxy" collection build --force --output-path "$tmp" . >/dev/null
ANSIBLE_COLLECTIONS_PATH="$tmp/installed" "$PROJECT_BIN/ansible-galaxy" collection install --no-deps \
  -p "$tmp/installed" "$tmp"/kubeadm_ha-cluster-*.tar.gz >/dev/null

# antsibull-docs wants its directories writable by their owner only.
mkdir -m 700 "$tmp/site"
"$PROJECT_BIN/antsibull-docs" sphinx-init --use-current --dest-dir "$tmp/site" kubeadm_ha.cluster >/dev/null

stamp=$(sha256sum "$tmp/site/requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$VENV/.kha-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "making the docs site virtualenv $VENV (antsibull-docs sphinx-init's requirements.txt, from PyPI)"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PROJECT_BIN/python" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$tmp/site/requirements.txt" >"$VENV.pip.log" 2>&1 ||
    { cat "$VENV.pip.log"; echo "cannot install the docs site requirements (PyPI unreachable?)"; rm -rf "$VENV"; exit 1; }
  echo "$stamp" >"$VENV/.kha-stamp"
fi

# The docs virtualenv's antsibull-docs and Sphinx; ansible-doc (which antsibull-docs runs) from the project's.
export PATH="$VENV/bin:$PROJECT_BIN:/usr/bin:/bin"
(
  cd "$tmp/site"
  # as the build.sh sphinx-init writes
  chmod og-w rst
  antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --use-current \
    --dest-dir rst kubeadm_ha.cluster
  sphinx-build -M html rst build -c . -q --keep-going -w "$tmp/warnings.log" 2>"$tmp/sphinx.log"
) || { cat "$tmp/sphinx.log" 2>/dev/null; echo "the docs site did not build"; exit 1; }

# Offline, Sphinx cannot fetch the intersphinx inventories conf.py names (docs.ansible.com, docs.python.org,
# jinja.palletsprojects.com), and without them the references into Ansible's own documentation that antsibull-docs'
# page templates make (labels such as action_plugins, common_return_values, ansible_configuration_settings) and our
# references to other collections' plugins (ansible_collections.community.general...) stay unresolved. Those two
# kinds are reported and let through, and only when an inventory could not be reached; an unresolved reference into
# this collection (ansible_collections.kubeadm_ha.cluster...) and every other warning fail.
"$PROJECT_BIN/python" - "$tmp/warnings.log" <<'PY'
import re
import sys

entries = []
for line in open(sys.argv[1]).read().splitlines():
    if re.match(r"^(\S.*?: )?(WARNING|ERROR|CRITICAL):", line) or not entries:
        entries.append(line)
    else:
        entries[-1] += "\n" + line
offline = [e for e in entries if "failed to reach any of the inventories" in e
           and all("not fetchable" in l or "not readable" in l for l in e.splitlines()[1:])]
labels = []
problems = []
for entry in entries:
    if entry in offline:
        continue
    m = re.search(r"WARNING: undefined label: '([^']+)'", entry)
    if offline and m and not m.group(1).startswith("ansible_collections.kubeadm_ha.cluster."):
        labels.append(m.group(1))
        continue
    problems.append(entry)
if offline:
    print(f"offline: {len(offline)} intersphinx inventories unreachable, so {len(labels)} references into other "
          f"documentation stay unresolved: {', '.join(sorted(set(labels)))}")
print("\n".join(problems) or "docs site: no Sphinx warning from the collection's documentation")
sys.exit(1 if problems else 0)
PY

rm -rf "$OUT.new"
mkdir -p "$OUT.new"
cp -a "$tmp/site/build/html" "$OUT.new/html"
rm -rf "$OUT"
mv "$OUT.new" "$OUT"
echo "docs site: $OUT/html/index.html ($(find "$OUT/html" -name '*.html' | wc -l) pages)"
