"""Puts molecule/shared on sys.path: the tests import kha_playbook_run from there."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
