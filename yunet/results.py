"""Typed, immutable detection results.

Coordinate contract: float pixels of the image as given to the detector (after EXIF orientation for files
and PIL images), origin at the top-left corner of the top-left pixel, x to the right, y down. Boxes are
`x1, y1, x2, y2`. They may extend past the image border, because a face cut by the border keeps its full
extent. Call the detector with `clip=True`, or use `Detections.clip()`, to keep them inside the image.
Landmarks follow OpenCV's order and are named from the subject's point of view: the subject's right eye is
on the image-left side for a frontal face.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

import numpy as np

from yunet.errors import ResultIndexError

LANDMARK_NAMES = ("right_eye", "left_eye", "nose_tip", "right_mouth_corner", "left_mouth_corner")


class Point(NamedTuple):
    """A point in pixels of the input image."""

    x: float
    y: float


class Landmarks(NamedTuple):
    """The five facial landmarks, named from the subject's point of view (OpenCV's order)."""

    right_eye: Point
    left_eye: Point
    nose_tip: Point
    right_mouth_corner: Point
    left_mouth_corner: Point


@dataclass(frozen=True)
class Face:
    """One detected face: box `x1, y1, x2, y2` in pixels, score in [0, 1], and five landmarks."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: Landmarks

    @property
    def width(self) -> float:
        """Box width in pixels."""
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        """Box height in pixels."""
        return self.box[3] - self.box[1]

    @property
    def center(self) -> Point:
        """Box centre in pixels."""
        return Point((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)

    def to_dict(self) -> dict[str, Any]:
        """Convert to plain Python types: `{"box": [x1, y1, x2, y2], "score": s, "landmarks": {name: [x, y]}}`."""
        return {
            "box": [float(v) for v in self.box],
            "score": float(self.score),
            "landmarks": {name: [float(point.x), float(point.y)] for name, point in zip(LANDMARK_NAMES, self.landmarks)},
        }


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float32)
    array.setflags(write=False)
    return array


class Detections(Sequence[Face]):
    """The faces found in one image, by decreasing score.

    Array views (read-only float32): `boxes` `(N, 4)` `x1, y1, x2, y2`, `scores` `(N,)`, `landmarks`
    `(N, 5, 2)` `(x, y)` in `LANDMARK_NAMES` order. An image without faces gives `N = 0`, not None.

    Example:
        >>> faces = detector("photo.jpg")
        >>> for face in faces:
        ...     print(face.box, face.score, face.landmarks.nose_tip)
        >>> faces.boxes.shape
        (2, 4)
    """

    __slots__ = ("_boxes", "_scores", "_landmarks", "_image_size")

    def __init__(
        self,
        boxes: np.ndarray,
        scores: np.ndarray,
        landmarks: np.ndarray,
        *,
        image_size: tuple[int, int],
    ) -> None:
        """Wrap arrays of shapes `(N, 4)`, `(N,)` and `(N, 5, 2)`; `image_size` is `(width, height)` in pixels."""
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        scores = np.asarray(scores, dtype=np.float32).reshape(-1)
        landmarks = np.asarray(landmarks, dtype=np.float32).reshape(-1, len(LANDMARK_NAMES), 2)
        if not len(boxes) == len(scores) == len(landmarks):
            raise ValueError(
                f"boxes, scores and landmarks disagree on the face count: {len(boxes)}, {len(scores)}, {len(landmarks)}"
            )
        self._boxes = _read_only(boxes)
        self._scores = _read_only(scores)
        self._landmarks = _read_only(landmarks)
        self._image_size = (int(image_size[0]), int(image_size[1]))

    @classmethod
    def empty(cls, image_size: tuple[int, int]) -> Detections:
        """Return a result without faces for an image of `(width, height)` pixels."""
        return cls(np.zeros((0, 4)), np.zeros((0,)), np.zeros((0, 5, 2)), image_size=image_size)

    @property
    def boxes(self) -> np.ndarray:
        """`(N, 4)` boxes `x1, y1, x2, y2` in pixels."""
        return self._boxes

    @property
    def boxes_xywh(self) -> np.ndarray:
        """`(N, 4)` boxes `x, y, w, h` (top-left corner and size) in pixels, as OpenCV returns them."""
        xywh = np.concatenate([self._boxes[:, :2], self._boxes[:, 2:] - self._boxes[:, :2]], axis=1)
        return _read_only(xywh)

    @property
    def scores(self) -> np.ndarray:
        """`(N,)` scores `sqrt(cls * obj)` in [0, 1]."""
        return self._scores

    @property
    def landmarks(self) -> np.ndarray:
        """`(N, 5, 2)` landmark points `(x, y)` in pixels, in `LANDMARK_NAMES` order."""
        return self._landmarks

    @property
    def image_size(self) -> tuple[int, int]:
        """`(width, height)` of the image the faces were found in, in pixels."""
        return self._image_size

    def __len__(self) -> int:
        return len(self._scores)

    @overload
    def __getitem__(self, index: int) -> Face: ...

    @overload
    def __getitem__(self, index: slice | Sequence[int] | np.ndarray) -> Detections: ...

    def __getitem__(self, index: int | slice | Sequence[int] | np.ndarray) -> Face | Detections:
        """Return one `Face` for an integer, or a `Detections` for a slice, an integer array or a boolean mask
        (for example `faces[faces.scores > 0.8]`)."""
        if isinstance(index, (int, np.integer)):
            return self._face(int(index))
        if isinstance(index, slice):
            selection: slice | np.ndarray = index
        else:
            selection = np.asarray(index)
            if selection.dtype == bool:
                if selection.shape != (len(self),):
                    raise ResultIndexError(
                        f"boolean mask of shape {selection.shape} does not match {len(self)} faces; build it from "
                        "this result's arrays, e.g. faces.scores > 0.8"
                    )
            elif selection.size and selection.dtype.kind not in "iu":
                raise ResultIndexError(
                    f"faces are indexed by an int, a slice, an int array or a bool mask; got an array of {selection.dtype}"
                )
            else:
                selection = selection.astype(np.int64)
        return Detections(
            self._boxes[selection], self._scores[selection], self._landmarks[selection], image_size=self._image_size
        )

    def _face(self, index: int) -> Face:
        box = self._boxes[index]
        points = self._landmarks[index]
        return Face(
            box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
            score=float(self._scores[index]),
            landmarks=Landmarks(*(Point(float(x), float(y)) for x, y in points)),
        )

    def __iter__(self) -> Iterator[Face]:
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        return f"Detections({len(self)} faces, image_size={self._image_size})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Detections):
            return NotImplemented
        return (
            self._image_size == other._image_size
            and np.array_equal(self._boxes, other._boxes)
            and np.array_equal(self._scores, other._scores)
            and np.array_equal(self._landmarks, other._landmarks)
        )

    __hash__ = None  # type: ignore[assignment]  # equality compares arrays, so instances are unhashable

    def clip(self) -> Detections:
        """Return a copy whose boxes and landmarks are clipped to the image area `[0, width] x [0, height]`."""
        width, height = self._image_size
        limits = np.array([width, height, width, height], dtype=np.float32)
        boxes = np.clip(self._boxes, 0, limits)
        landmarks = np.clip(self._landmarks, 0, np.array([width, height], dtype=np.float32))
        return Detections(boxes, self._scores, landmarks, image_size=self._image_size)

    def to_opencv(self) -> np.ndarray:
        """Return `(N, 15)` rows `[x, y, w, h, 10 landmark coordinates, score]`, the layout of
        `cv2.FaceDetectorYN.detect`."""
        return np.concatenate(
            [self.boxes_xywh, self._landmarks.reshape(-1, 10), self._scores[:, None]], axis=1
        ).astype(np.float32)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Convert every face with `Face.to_dict`."""
        return [face.to_dict() for face in self]

    def to_json(self, **kwargs: Any) -> str:
        """Serialize to JSON: `{"image_size": [w, h], "faces": [...]}`; `kwargs` go to `json.dumps`."""
        return json.dumps({"image_size": list(self._image_size), "faces": self.to_dicts()}, **kwargs)

    def to_supervision(self) -> Any:
        """Convert to `supervision.Detections` (landmarks in `data["landmarks"]`); needs the supervision extra."""
        from yunet.integrations import to_supervision_detections

        return to_supervision_detections(self)

    def to_supervision_keypoints(self) -> Any:
        """Convert the landmarks to `supervision.KeyPoints` `(N, 5, 2)`; needs the supervision extra."""
        from yunet.integrations import to_supervision_keypoints

        return to_supervision_keypoints(self)
