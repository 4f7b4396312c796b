"""HIL suite defaults: flashed_board flashes the MaixPy face kfpkg unless --kfpkg names one."""
from __future__ import annotations

from pathlib import Path

import pytest

from host_tests.conftest import shared_model

FACE_KFPKG = "sipeed_face_model_at_0x300000.kfpkg"


@pytest.fixture(scope="session")
def hil_kfpkg(request: pytest.FixtureRequest) -> Path:
    value = request.config.getoption("maixkpu_kfpkg")
    return Path(value) if value else shared_model(FACE_KFPKG)
