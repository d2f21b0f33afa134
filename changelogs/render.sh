#!/usr/bin/env bash
# CHANGELOG.md is rendered by antsibull-changelog from changelogs/changelog.yaml (released versions) and
# changelogs/fragments/ (what the next release holds); never edit it by hand (docs/DEVELOPING.md, "Changelog").
#
#   changelogs/render.sh           rewrite CHANGELOG.md
#   changelogs/render.sh --check   fail when CHANGELOG.md is not what they render (tests/run-all.sh lint)
#
# antsibull-changelog renders released versions only: `generate` refuses ("Cannot create changelog when not at
# least one release has been added") and `release` moves the fragments into changelog.yaml and deletes them. So
# the fragments are rendered by a `release` of galaxy.yml's version in a scratch copy of the checkout; the
# checkout keeps its fragments. The release date is not rendered, so the result does not depend on the day.
# A real release is `antsibull-changelog release` in the checkout itself (docs/DEVELOPING.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -d .venv/bin ] && export PATH="$ROOT/.venv/bin:$PATH"
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d /tmp/kha-changelog.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The plugin and module lists come from the plugins' docs, so the copy holds the whole collection.
git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- . "$tmp/"
rm -f "$tmp/changelogs/.plugin-cache.yaml"
(
  cd "$tmp"
  if find changelogs/fragments -name '*.yml' -o -name '*.yaml' | grep -q .; then
    version=$(python3 -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
    if python3 -c 'import sys, yaml; sys.exit(sys.argv[1] not in (yaml.safe_load(open("changelogs/changelog.yaml")).get("releases") or {}))' "$version"; then
      echo "galaxy.yml's version $version is released already (changelogs/changelog.yaml): raise it for the fragments" >&2
      exit 1
    fi
    antsibull-changelog release --version "$version" >/dev/null
  else
    antsibull-changelog generate >/dev/null
  fi
)
if $check; then
  diff -u CHANGELOG.md "$tmp/CHANGELOG.md" ||
    { echo "CHANGELOG.md is not what changelogs/ renders: run changelogs/render.sh and commit the result" >&2; exit 1; }
  echo "CHANGELOG.md is what changelogs/ renders"
else
  cp "$tmp/CHANGELOG.md" CHANGELOG.md
  echo "CHANGELOG.md rendered from changelogs/"
fi
