"""Shared pytest fixtures: where the third-party K210 models live, and skipping without them."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = REPO.parent / "shared" / "models"


def shared_model(name: str) -> Path:
    """Path of a file in ../shared/models; skips the test with a reason when it is absent."""
    path = SHARED_MODELS / name
    if not path.is_file():
        pytest.skip(f"{name} not found: the third-party models folder {SHARED_MODELS} is absent")
    return path


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The ../shared/models folder (skips the test when it is absent)."""
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"third-party models folder {SHARED_MODELS} is absent")
    return SHARED_MODELS
