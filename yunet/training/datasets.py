"""Training dataset and batching: face records, augmentation with per-sample seeds, a resumable sampler."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from yunet.errors import DatasetError
from yunet.training.annotations import FaceRecord
from yunet.training.augment import augment


@dataclass(frozen=True)
class FaceTargets:
    """Faces of one image in a batch, in input pixels.

    Attributes:
        boxes: `(G, 4)` float32 `x1, y1, x2, y2`.
        landmarks: `(G, 5, 2)` float32 points.
        landmark_weights: `(G,)` float32, 0 for faces without landmarks.
    """

    boxes: torch.Tensor
    landmarks: torch.Tensor
    landmark_weights: torch.Tensor

    def to(self, device: torch.device | str) -> FaceTargets:
        """Move every tensor to `device`."""
        return FaceTargets(self.boxes.to(device), self.landmarks.to(device), self.landmark_weights.to(device))


@dataclass(frozen=True)
class Batch:
    """A training batch.

    Attributes:
        images: `(B, 3, S, S)` float32, BGR, raw 0-255 values.
        targets: one `FaceTargets` per image.
        indices: dataset index of each image (for error messages).
    """

    images: torch.Tensor
    targets: list[FaceTargets]
    indices: list[int]


class FaceDataset(Dataset):
    """Augmented training images from face records.

    The augmentation of item `i` in epoch `e` draws from a generator seeded with `(seed, e, i)`, so a batch
    is the same whatever the worker count and whether the run was resumed. Call `set_epoch` before each epoch.
    """

    def __init__(
        self,
        records: list[FaceRecord],
        *,
        input_size: int,
        crop_scales: tuple[float, ...],
        flip_probability: float,
        seed: int,
    ) -> None:
        self.records = records
        self.input_size = input_size
        self.crop_scales = crop_scales
        self.flip_probability = flip_probability
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose augmentation seeds are used."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, FaceTargets, int]:
        record = self.records[index]
        image = cv2.imread(str(record.image_path), cv2.IMREAD_COLOR)
        if image is None:
            raise DatasetError(f"cannot read image {record.image_path}; is it an image file?")
        if record.size is not None and (image.shape[1], image.shape[0]) != record.size:
            raise DatasetError(
                f"{record.image_path} is {image.shape[1]}x{image.shape[0]} but its annotation gives "
                f"{record.size[0]}x{record.size[1]}; the annotation belongs to another image version"
            )
        rng = np.random.default_rng([self.seed, self.epoch, index])
        sample = augment(
            image,
            record.boxes,
            record.landmarks,
            record.landmark_weights,
            input_size=self.input_size,
            crop_scales=self.crop_scales,
            flip_probability=self.flip_probability,
            rng=rng,
        )
        tensor = torch.from_numpy(sample.image).permute(2, 0, 1).float()  # (3, S, S) BGR 0-255
        targets = FaceTargets(
            torch.from_numpy(sample.boxes), torch.from_numpy(sample.landmarks), torch.from_numpy(sample.landmark_weights)
        )
        return tensor, targets, index


def collate_batch(items: list[tuple[torch.Tensor, FaceTargets, int]]) -> Batch:
    """Stack images and keep each image's faces separate."""
    return Batch(torch.stack([item[0] for item in items]), [item[1] for item in items], [item[2] for item in items])


class EpochSampler(Sampler[int]):
    """Shuffled indices, a fixed permutation per `(seed, epoch)`, that can start part-way into an epoch.

    Used with `drop_last` batching: resuming at batch `k` of an epoch skips the first `k * batch_size`
    indices of that epoch's permutation.
    """

    def __init__(self, num_items: int, *, seed: int, shuffle: bool = True) -> None:
        self.num_items = num_items
        self.seed = seed
        self.shuffle = shuffle
        self.epoch = 0
        self.start = 0

    def set_epoch(self, epoch: int, *, start: int = 0) -> None:
        """Select the epoch's permutation and the position to start from."""
        self.epoch = epoch
        self.start = start

    def permutation(self) -> list[int]:
        """This epoch's full order of indices."""
        if not self.shuffle:
            return list(range(self.num_items))
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return torch.randperm(self.num_items, generator=generator).tolist()

    def __iter__(self) -> Iterator[int]:
        return iter(self.permutation()[self.start :])

    def __len__(self) -> int:
        return self.num_items - self.start
