"""Readers of WIDER FACE annotation files into per-image face records.

Three formats are read:
- labelv2 (libfacedetection.train / SCRFD): a `# <path> <w> <h>` header per image, then one line per face,
  `x1 y1 x2 y2` (val file), `x1 y1 x2 y2 ignore` or `x1 y1 x2 y2` plus five `x y flag` landmark triples
  (train file, `-1 -1 -1` for a missing landmark);
- the official split `wider_face_train.mat` / `wider_face_val.mat` (boxes `x y w h` with an invalid flag,
  no landmarks);
- the official `wider_face_train_bbx_gt.txt` / `wider_face_val_bbx_gt.txt` (image path, box count, then
  `x y w h blur expression illumination invalid occlusion pose` per box).

Malformed lines raise `DatasetError` naming the file and line. Boxes that extend past the image border are
clipped and boxes with no area left are dropped, each with a warning naming the file and line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yunet.errors import DatasetError

logger = logging.getLogger(__name__)

NUM_LANDMARKS = 5
_LABELV2_BOX_ONLY = 4
_LABELV2_WITH_IGNORE = 5
_LABELV2_WITH_LANDMARKS = 4 + 3 * NUM_LANDMARKS


@dataclass(frozen=True)
class FaceRecord:
    """Faces of one image.

    Attributes:
        image_path: the image file.
        boxes: `(G, 4)` float32 boxes `x1, y1, x2, y2` in pixels of the original image.
        landmarks: `(G, 5, 2)` float32 points `(x, y)` in pixels: right eye, left eye, nose tip, right and
            left mouth corners, as seen by the subject. Values are undefined where the weight is 0.
        landmark_weights: `(G,)` float32, 1 for a face with annotated landmarks, 0 for one without.
        size: `(width, height)` from the annotation, or None when the format does not give it.
    """

    image_path: Path
    boxes: np.ndarray
    landmarks: np.ndarray
    landmark_weights: np.ndarray
    size: tuple[int, int] | None = None

    @property
    def num_faces(self) -> int:
        """Number of faces."""
        return len(self.boxes)


def _make_record(
    image_path: Path, boxes: list[list[float]], landmarks: list[np.ndarray], size: tuple[int, int] | None
) -> FaceRecord:
    box_array = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if landmarks:
        triples = np.stack(landmarks).astype(np.float32)  # (G, 5, 3)
    else:
        triples = np.full((len(box_array), NUM_LANDMARKS, 3), -1.0, dtype=np.float32)
    # A face's landmarks count when any triple is annotated: the official loader weights each landmark 1
    # unless its triple is -1 -1 -1, and averages the five weights per face.
    annotated = (triples != -1).any(axis=2)  # (G, 5)
    weights = annotated.mean(axis=1).astype(np.float32)
    return FaceRecord(image_path, box_array, np.ascontiguousarray(triples[:, :, :2]), weights, size)


def _checked_box(
    box: list[float], size: tuple[int, int] | None, location: str
) -> list[float] | None:
    """Clip a box `x1, y1, x2, y2` to the image, warning when it crosses the border; None if it has no area."""
    x1, y1, x2, y2 = box
    if size is not None:
        width, height = size
        clipped = [min(max(x1, 0.0), width), min(max(y1, 0.0), height), min(max(x2, 0.0), width), min(max(y2, 0.0), height)]
        if clipped != [x1, y1, x2, y2]:
            logger.warning("%s: box %s extends past the %dx%d image; clipped to %s", location, box, width, height, clipped)
        x1, y1, x2, y2 = clipped
    if x2 <= x1 or y2 <= y1:
        logger.warning("%s: box %s has no area; dropped", location, box)
        return None
    return [x1, y1, x2, y2]


def read_labelv2(annotation_path: str | Path, images_dir: str | Path) -> list[FaceRecord]:
    """Read a labelv2 annotation file.

    Args:
        annotation_path: the `labelv2.txt` file.
        images_dir: the folder the header paths are relative to.

    Returns:
        One record per header, in file order (images without faces included).

    Raises:
        DatasetError: on a line that is neither a header nor a face line of 4, 5 or 19 numbers, naming the
            file and line.
    """
    annotation_path = Path(annotation_path)
    images_dir = Path(images_dir)
    if not annotation_path.is_file():
        raise DatasetError(f"annotation file not found: {annotation_path}")
    records: list[FaceRecord] = []
    current: tuple[Path, tuple[int, int]] | None = None
    boxes: list[list[float]] = []
    landmarks: list[np.ndarray] = []
    with annotation_path.open() as lines:
        for line_number, line in enumerate(lines, start=1):
            location = f"{annotation_path}:{line_number}"
            text = line.strip()
            if not text:
                continue
            if text.startswith("#"):
                if current is not None:
                    records.append(_make_record(current[0], boxes, landmarks, current[1]))
                current = _parse_labelv2_header(text, images_dir, location)
                boxes, landmarks = [], []
                continue
            if current is None:
                raise DatasetError(f"{location}: face line before the first '# <path> <width> <height>' header")
            face = _parse_labelv2_face(text, location)
            if face is None:
                continue
            box = _checked_box(face[0], current[1], location)
            if box is not None:
                boxes.append(box)
                landmarks.append(face[1])
    if current is not None:
        records.append(_make_record(current[0], boxes, landmarks, current[1]))
    if not records:
        raise DatasetError(f"{annotation_path} contains no '# <path> <width> <height>' image headers")
    return records


def _parse_labelv2_header(text: str, images_dir: Path, location: str) -> tuple[Path, tuple[int, int]]:
    fields = text[1:].split()
    if len(fields) != 3:
        raise DatasetError(f"{location}: expected '# <path> <width> <height>', got {text!r}")
    try:
        size = (int(fields[1]), int(fields[2]))
    except ValueError:
        raise DatasetError(f"{location}: image width and height must be integers, got {text!r}") from None
    if size[0] <= 0 or size[1] <= 0:
        raise DatasetError(f"{location}: image size must be positive, got {size[0]}x{size[1]}")
    return images_dir / fields[0], size


def _parse_labelv2_face(text: str, location: str) -> tuple[list[float], np.ndarray] | None:
    """Parse a face line into (box, `(5, 3)` landmark triples); None for a face flagged as ignored."""
    try:
        values = [float(value) for value in text.split()]
    except ValueError:
        raise DatasetError(f"{location}: non-numeric value in face line {text!r}") from None
    if len(values) not in (_LABELV2_BOX_ONLY, _LABELV2_WITH_IGNORE, _LABELV2_WITH_LANDMARKS):
        raise DatasetError(
            f"{location}: a face line has 4 (box), 5 (box and ignore flag) or 19 (box and five 'x y flag' "
            f"landmarks) numbers, got {len(values)}"
        )
    if not np.isfinite(values).all():
        raise DatasetError(f"{location}: face line contains NaN or infinity: {text!r}")
    if len(values) == _LABELV2_WITH_IGNORE and values[4] > 0:
        return None
    if len(values) == _LABELV2_WITH_LANDMARKS:
        triples = np.asarray(values[4:], dtype=np.float32).reshape(NUM_LANDMARKS, 3)
    else:
        triples = np.full((NUM_LANDMARKS, 3), -1.0, dtype=np.float32)
    return values[:4], triples


def _wider_box(xywh: list[float], location: str) -> list[float] | None:
    x, y, w, h = xywh
    return _checked_box([x, y, x + w, y + h], None, location)


def read_wider_mat(mat_path: str | Path, images_dir: str | Path) -> list[FaceRecord]:
    """Read an official split file (`wider_face_train.mat` or `wider_face_val.mat`).

    Faces flagged invalid are left out. Image paths are `<images_dir>/<event>/<name>.jpg`.

    Raises:
        DatasetError: if the file is missing or lacks the official fields.
    """
    import scipy.io

    mat_path = Path(mat_path)
    if not mat_path.is_file():
        raise DatasetError(f"annotation file not found: {mat_path}")
    mat = scipy.io.loadmat(mat_path)
    try:
        events, files, box_lists, invalid_lists = (
            mat["event_list"], mat["file_list"], mat["face_bbx_list"], mat["invalid_label_list"]
        )
    except KeyError as error:
        raise DatasetError(f"{mat_path} has no {error.args[0]}; is it an official wider_face_*.mat file?") from None
    records = []
    for event_index in range(len(events)):
        event = str(np.asarray(events[event_index][0]).reshape(-1)[0])
        for image_index in range(len(files[event_index][0])):
            name = str(np.asarray(files[event_index][0][image_index][0]).reshape(-1)[0])
            xywh = np.asarray(box_lists[event_index][0][image_index][0], dtype=np.float64).reshape(-1, 4)
            invalid = np.asarray(invalid_lists[event_index][0][image_index][0]).reshape(-1)
            boxes = []
            for box_index, (box, is_invalid) in enumerate(zip(xywh.tolist(), invalid)):
                if is_invalid:
                    continue
                checked = _wider_box(box, f"{mat_path}: {event}/{name}.jpg box {box_index + 1}")
                if checked is not None:
                    boxes.append(checked)
            records.append(_make_record(Path(images_dir) / event / f"{name}.jpg", boxes, [], None))
    return records


def read_wider_txt(txt_path: str | Path, images_dir: str | Path) -> list[FaceRecord]:
    """Read an official `wider_face_*_bbx_gt.txt` file. Faces flagged invalid are left out.

    Raises:
        DatasetError: on a malformed count or box line, naming the file and line.
    """
    txt_path = Path(txt_path)
    if not txt_path.is_file():
        raise DatasetError(f"annotation file not found: {txt_path}")
    lines = txt_path.read_text().splitlines()
    records = []
    index = 0
    while index < len(lines):
        name = lines[index].strip()
        if not name:
            index += 1
            continue
        if index + 1 >= len(lines):
            raise DatasetError(f"{txt_path}:{index + 2}: missing the box count after {name!r}")
        try:
            count = int(lines[index + 1].strip())
        except ValueError:
            raise DatasetError(f"{txt_path}:{index + 2}: box count {lines[index + 1].strip()!r} is not an integer") from None
        # An image without faces is followed by one line of zeros.
        num_lines = max(count, 1)
        boxes = []
        for offset in range(num_lines):
            line_number = index + 3 + offset
            if line_number > len(lines):
                raise DatasetError(f"{txt_path}:{line_number}: file ends inside the boxes of {name!r}")
            fields = lines[line_number - 1].split()
            if len(fields) < 10:
                raise DatasetError(
                    f"{txt_path}:{line_number}: expected 'x y w h blur expression illumination invalid occlusion pose', "
                    f"got {lines[line_number - 1].strip()!r}"
                )
            try:
                values = [float(value) for value in fields[:10]]
            except ValueError:
                raise DatasetError(f"{txt_path}:{line_number}: non-numeric value in {lines[line_number - 1].strip()!r}") from None
            if count == 0 or values[7] > 0:
                continue
            checked = _wider_box(values[:4], f"{txt_path}:{line_number}")
            if checked is not None:
                boxes.append(checked)
        records.append(_make_record(Path(images_dir) / name, boxes, [], None))
        index += 2 + num_lines
    return records


def check_images(records: list[FaceRecord], *, missing: str = "error") -> list[FaceRecord]:
    """Check that every record's image exists.

    Args:
        records: the records to check.
        missing: `"error"` raises on the first missing image. `"skip"` keeps the records whose image exists
            and logs how many were left out, for an image folder that contains part of a split (such as a
            subset of WIDER_train).

    Raises:
        DatasetError: naming a missing image (with `missing="error"`), or when no image exists at all.
    """
    present = [record for record in records if record.image_path.is_file()]
    if len(present) < len(records):
        absent = [record.image_path for record in records if not record.image_path.is_file()]
        if missing == "error":
            raise DatasetError(
                f"{len(absent)} annotated images not found, first {absent[0]}; fix the image folder or set "
                "data.missing_images=skip to train on the images that exist"
            )
        logger.warning("%d of %d annotated images not found (first: %s); training on the %d found", len(absent), len(records), absent[0], len(present))
    if not present:
        raise DatasetError("none of the annotated images exists; check data.images")
    return present
