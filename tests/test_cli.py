"""The `yunet` command line, run as a user would: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
from conftest import require_asset


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yunet", *args], capture_output=True, text=True, timeout=300)


def test_detect_writes_drawn_image_and_json(official_weights, tmp_path):
    photo = require_asset("images/two_people.jpg")

    result = _run(
        "detect", str(photo), "--weights", str(official_weights["yunet-n"]),
        "--out", str(tmp_path / "drawn"), "--json", str(tmp_path / "faces.json"),
    )

    assert result.returncode == 0, result.stderr
    assert "2 face(s)" in result.stdout
    drawn = cv2.imread(str(tmp_path / "drawn" / "two_people.jpg"))
    original = cv2.imread(str(photo))
    assert drawn.shape == original.shape
    assert (drawn != original).any()
    report = json.loads((tmp_path / "faces.json").read_text())
    faces = report[str(photo)]["faces"]
    assert len(faces) == 2
    assert set(faces[0]["landmarks"]) == {"right_eye", "left_eye", "nose_tip", "right_mouth_corner", "left_mouth_corner"}


def test_detect_score_threshold_option(official_weights):
    photo = require_asset("images/profile_audience.jpg")

    strict = _run("detect", str(photo), "--weights", str(official_weights["yunet-n"]), "--score-threshold", "0.95")
    loose = _run("detect", str(photo), "--weights", str(official_weights["yunet-n"]), "--score-threshold", "0.3")

    assert strict.returncode == 0
    assert loose.returncode == 0
    count = lambda output: int(output.splitlines()[0].split(": ")[1].split()[0])  # noqa: E731
    assert count(strict.stdout) < count(loose.stdout)


def test_detect_reports_bad_image_and_continues(official_weights, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    photo = require_asset("images/portrait_astronaut.png")

    result = _run("detect", str(bad), str(photo), "--weights", str(official_weights["yunet-n"]))

    assert result.returncode == 1
    assert "bad.jpg: error: not a readable image" in result.stderr
    assert "portrait_astronaut.png: 1 face(s)" in result.stdout


def test_missing_weights_is_a_clear_error(tmp_path):
    result = _run("detect", str(require_asset("images/portrait_astronaut.png")), "--weights", str(tmp_path / "nope.pth"))

    assert result.returncode == 2
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_detect_tiled_and_no_large_face_pass(official_weights):
    photo = require_asset("images/group_11_faces.jpg")

    tiled = _run("detect", str(photo), "--weights", str(official_weights["yunet-n"]), "--tiled")
    single = _run("detect", str(photo), "--weights", str(official_weights["yunet-n"]), "--no-large-face-pass")

    assert tiled.returncode == 0, tiled.stderr
    assert single.returncode == 0, single.stderr
    assert "11 face(s)" in tiled.stdout
    assert "11 face(s)" in single.stdout
