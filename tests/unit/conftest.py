"""Make the checkout importable as ansible_collections.kubeadm_ha.cluster and pin Hypothesis.

Works both from a plain checkout (``pytest tests/unit`` in the repository root: a throwaway
``ansible_collections/kubeadm_ha/cluster`` symlink tree is put on sys.path) and under
``ansible-test units`` (the checkout already sits in such a tree).
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

COLLECTION_ROOT = Path(__file__).resolve().parents[2]


def _remove_tree(top: Path, link: Path) -> None:
    """Undo _collections_path: the symlink, then the (now empty) directories. Never follows the link."""
    link.unlink()
    for directory in (link.parent, link.parent.parent, top):
        directory.rmdir()


def _collections_path() -> str:
    parts = COLLECTION_ROOT.parts
    if len(parts) >= 4 and parts[-3] == "ansible_collections":
        return str(Path(*parts[:-3]))
    top = Path(tempfile.mkdtemp(prefix="kha-unit-"))
    link = top / "ansible_collections" / "kubeadm_ha" / "cluster"
    link.parent.mkdir(parents=True)
    link.symlink_to(COLLECTION_ROOT, target_is_directory=True)
    atexit.register(_remove_tree, top, link)
    return str(top)


# test helpers (kubeadm_render) live beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))

COLLECTIONS_PATH = _collections_path()
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)
os.environ.setdefault("KHA_TEST_COLLECTIONS_PATH", COLLECTIONS_PATH)

# Deterministic property tests: the same examples on every run, no deadline flakiness on slow CI.
settings.register_profile(
    "kha",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kha"))
