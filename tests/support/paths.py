"""Where the repository and the optional reference generator are, seen from the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# ../shared exists where the reference generator is available (CI); a user's machine has none.
SHARED = REPO.parent / "shared"
MAKE_EXPORT = SHARED / "datagen" / "make_export.py"


def require_shared() -> Path:
    """The reference generator, or a skip that says why (users' machines have no ../shared)."""
    if not MAKE_EXPORT.is_file():
        pytest.skip("../shared not present: acceptance against the reference generator runs in CI")
    return MAKE_EXPORT
