"""WIDER FACE prediction folders in the standard submission layout.

Layout: `<folder>/<event>/<image_name>.txt`, each file holding the image name, the number of boxes, then one
line `x y w h score` per box (pixels of the original image, top-left corner and size).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from yunet.errors import DatasetError


def write_image_predictions(folder: str | Path, event: str, image_name: str, rows: np.ndarray) -> Path:
    """Write one image's `(N, 5)` rows `x, y, w, h, score` to `<folder>/<event>/<image_name>.txt`."""
    path = Path(folder) / event / f"{image_name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    lines = [image_name, str(len(rows))]
    lines += [f"{x:.1f} {y:.1f} {w:.1f} {h:.1f} {score:.6f}" for x, y, w, h, score in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_predictions(folder: str | Path, predictions: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """Write `predictions[event][image_name]` rows to a submission folder."""
    for event, per_event in predictions.items():
        for image_name, rows in per_event.items():
            write_image_predictions(folder, event, image_name, rows)


def read_image_predictions(path: Path) -> np.ndarray:
    """Read one submission file into `(N, 5)` float64 rows `x, y, w, h, score`.

    Raises:
        DatasetError: naming the file and line, if the box count or a box line is malformed.
    """
    lines = path.read_text().splitlines()
    if len(lines) < 2:
        raise DatasetError(f"{path}: expected the image name and the box count on the first two lines")
    try:
        count = int(lines[1].strip())
    except ValueError:
        raise DatasetError(f"{path}:2: box count {lines[1].strip()!r} is not an integer") from None
    rows = []
    for line_number, line in enumerate(lines[2 : 2 + count], start=3):
        values = line.split()
        if len(values) < 5:
            raise DatasetError(f"{path}:{line_number}: expected 'x y w h score', got {line.strip()!r}")
        try:
            rows.append([float(value) for value in values[:5]])
        except ValueError:
            raise DatasetError(f"{path}:{line_number}: non-numeric value in {line.strip()!r}") from None
    if len(rows) != count:
        raise DatasetError(f"{path}: the header announces {count} boxes but {len(rows)} box lines follow")
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5)


def read_predictions(folder: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """Read a submission folder into `predictions[event][image_name]` `(N, 5)` arrays.

    Raises:
        DatasetError: if the folder does not exist or contains no event folders with `.txt` files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"prediction folder not found: {folder}")
    predictions: dict[str, dict[str, np.ndarray]] = {}
    for event_dir in sorted(path for path in folder.iterdir() if path.is_dir()):
        files = sorted(event_dir.glob("*.txt"))
        if files:
            predictions[event_dir.name] = {path.stem: read_image_predictions(path) for path in files}
    if not predictions:
        raise DatasetError(f"{folder} contains no <event>/<image>.txt prediction files")
    return predictions
