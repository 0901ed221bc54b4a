"""Shared fixtures: the location of the reference assets (official weights, photographs, WIDER FACE).

The assets live outside the repository, in `../shared/assets` by default; `YUNET_TEST_ASSETS` overrides the
path. A missing asset skips the test on a developer machine and fails it in CI (`CI` set), so CI can never
pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = Path(os.environ.get("YUNET_TEST_ASSETS", REPO_ROOT.parent / "shared" / "assets"))


def require_asset(relative_path: str) -> Path:
    """Return the path of an asset, skipping the test (failing it in CI) when the asset is missing."""
    path = ASSETS_DIR / relative_path
    if not path.exists():
        message = f"test asset not found: {path} (set YUNET_TEST_ASSETS to the assets folder)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def assets_dir() -> Path:
    """The assets folder (it must exist)."""
    return require_asset("")


@pytest.fixture(scope="session")
def official_weights() -> dict[str, Path]:
    """Paths of the official libfacedetection checkpoints, by variant name."""
    return {
        "yunet-n": require_asset("libfacedetection/weights/yunet_n.pth"),
        "yunet-s": require_asset("libfacedetection/weights/yunet_s.pth"),
    }


def _fail_skip_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip into a failure when `CI` is set, so a missing asset or dev dependency cannot pass CI."""
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    _fail_skip_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> object:
    outcome = yield
    _fail_skip_in_ci(outcome.get_result())
