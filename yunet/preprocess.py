"""Conversion of every supported image kind to a BGR array, and packing of images into network input.

Policies (see `docs/inputs-and-outputs.md`):
- Channel order: NumPy arrays and tensors are BGR by default (OpenCV's convention); pass `color="rgb"` for RGB.
  Files and `PIL.Image` objects carry their own order, so `color` does not apply to them.
- Alpha: a fourth channel is dropped, never composited, as `cv2.imread(path, cv2.IMREAD_COLOR)` does.
- Grayscale (`(H, W)`, `(H, W, 1)`, PIL mode "L") is replicated to three channels.
- Value range: uint8 is used as is; uint16 is scaled by 255/65535; other integer and float arrays must
  already hold values in [0, 255]. NaN, infinity, bool and complex arrays are rejected.
- EXIF orientation is applied to files and to `PIL.Image` objects, so their coordinates are those of the
  upright image.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal, Union

import cv2
import numpy as np
import torch

from yunet.errors import ImageError, ImageReadError

logger = logging.getLogger(__name__)

ColorOrder = Literal["bgr", "rgb"]
ImageInput = Union[str, os.PathLike, np.ndarray, torch.Tensor, Any]  # Any: PIL.Image.Image (optional import)

_UINT16_SCALE = 255.0 / 65535.0


def _check_color(color: str) -> None:
    if color not in ("bgr", "rgb"):
        raise ImageError(f"color must be 'bgr' or 'rgb', got {color!r}")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as a BGR array with EXIF orientation applied and alpha dropped.

    Returns:
        `(H, W, 3)` BGR array, uint8 (or float32 in [0, 255] for 16-bit files).

    Raises:
        ImageReadError: if the file is missing, unreadable, or not an image.
    """
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"image file not found: {str(path)!r}")
    if not path.is_file():
        raise ImageReadError(f"not a file: {str(path)!r}")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise ImageReadError(f"cannot read image file {str(path)!r}: {error}") from error
    if data.size == 0:
        raise ImageReadError(f"image file is empty: {str(path)!r}")
    # IMREAD_COLOR applies EXIF orientation, replicates gray and drops alpha; ANYDEPTH keeps 16-bit precision.
    image = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    if image is None:
        image = _read_with_pil(path)
    return to_bgr_array(image)


def _read_with_pil(path: Path) -> np.ndarray:
    """Fallback for formats OpenCV cannot decode (GIF, for example)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - pillow is a dependency
        raise ImageReadError(f"OpenCV cannot decode {str(path)!r} and Pillow is not installed") from None
    try:
        with Image.open(path) as pil_image:
            pil_image.load()
            return pil_to_bgr(pil_image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"not a readable image file: {str(path)!r} ({error})") from error


def pil_to_bgr(image: Any) -> np.ndarray:
    """Convert a `PIL.Image.Image` to a BGR array, applying its EXIF orientation and dropping alpha."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        array = np.asarray(image).astype(np.float32) * _UINT16_SCALE
        return to_bgr_array(array)
    if image.mode == "I":  # 32-bit integers; 16-bit PNGs open in this mode
        array = np.asarray(image)
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise ImageError(f"PIL image of mode 'I' has values outside 0..65535 (min {array.min()}, max {array.max()})")
        return to_bgr_array(array.astype(np.float32) * _UINT16_SCALE)
    if image.mode == "F":
        return to_bgr_array(np.asarray(image, dtype=np.float32))
    if image.mode == "L":
        return to_bgr_array(np.asarray(image))
    if image.mode in ("La", "RGBa"):  # premultiplied alpha: Pillow converts these only to their plain form
        image = image.convert(image.mode.upper())
    if image.mode != "RGB":
        try:
            image = image.convert("RGB")  # palette, CMYK, RGBA (alpha dropped), LA, ...
        except ValueError as error:
            raise ImageError(f"cannot convert a PIL image of mode {image.mode!r} to RGB: {error}") from error
    return to_bgr_array(np.asarray(image), color="rgb")


def _normalize_dtype(array: np.ndarray) -> np.ndarray:
    """Return `array` as uint8 or float32 holding values in [0, 255]."""
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return array
    if kind == "u" and array.dtype.itemsize == 2:  # uint16 in either byte order
        return array.astype(np.float32) * np.float32(_UINT16_SCALE)
    if kind == "b":
        raise ImageError("boolean images are not supported; convert to uint8 (0 or 255) first")
    if kind == "c":
        raise ImageError(f"complex images are not supported (dtype {array.dtype})")
    if kind in "iu":
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ImageError(
                f"integer image of dtype {array.dtype} has values in [{low}, {high}]; expected [0, 255] "
                "(uint16 images are scaled automatically; convert other ranges to uint8)"
            )
        return array.astype(np.uint8)
    if kind == "f":
        if not np.isfinite(array).all():
            raise ImageError("image contains NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 255.0:
            raise ImageError(
                f"float image has values in [{low:g}, {high:g}]; expected raw pixel values in [0, 255]"
            )
        if 0.0 < high <= 1.0:
            logger.warning(
                "float image has values in [0, 1] but yunet expects [0, 255]; multiply by 255 if it is a "
                "normalized image, or faces will be missed"
            )
        return array.astype(np.float32, copy=False)
    raise ImageError(f"unsupported image dtype {array.dtype}; use uint8, uint16 or float in [0, 255]")


def to_bgr_array(array: np.ndarray, *, color: ColorOrder = "bgr") -> np.ndarray:
    """Validate an `(H, W)`, `(H, W, 1)`, `(H, W, 3)` or `(H, W, 4)` array and return it as `(H, W, 3)` BGR.

    Args:
        array: the image; 3- and 4-channel arrays are in `color` order (alpha last, dropped).
        color: "bgr" (OpenCV's convention, the default) or "rgb".

    Returns:
        `(H, W, 3)` BGR, uint8 or float32 in [0, 255]; a view of the input where no conversion is needed.

    Raises:
        ImageError: on an empty array, a wrong shape, dtype or value range, or NaN values.
    """
    _check_color(color)
    if not isinstance(array, np.ndarray):
        raise ImageError(f"expected a NumPy array, got {type(array).__name__}")
    if array.ndim not in (2, 3):
        raise ImageError(f"image array must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got {array.shape}")
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ImageError(
            f"image array has {array.shape[2]} channels (shape {array.shape}); expected 1, 3 or 4 channels last"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageError(f"image is empty (shape {array.shape})")
    array = _normalize_dtype(array)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.shape[2] == 1:
        return np.repeat(array, 3, axis=2)
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if color == "rgb":
        array = array[:, :, ::-1]
    return array


def _tensor_to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """Copy a tensor of any device, layout and dtype to a NumPy array, keeping its values."""
    if tensor.is_meta:
        raise ImageError("image tensor is on the 'meta' device and contains no data; pass a tensor on 'cpu' or 'cuda'")
    tensor = tensor.detach().cpu()
    if tensor.layout != torch.strided:
        tensor = tensor.to_dense()
    if tensor.dtype == torch.bfloat16:  # NumPy has no bfloat16, and float32 represents every bfloat16 value exactly
        tensor = tensor.float()
    return tensor.numpy()


def tensor_to_bgr_arrays(tensor: torch.Tensor, *, color: ColorOrder = "bgr") -> list[np.ndarray]:
    """Convert a `(C, H, W)` or `(B, C, H, W)` tensor (channels first, C in 1, 3, 4) to BGR arrays."""
    if tensor.ndim == 2:
        tensor = tensor[None]
    if tensor.ndim == 3:
        tensors = [tensor]
    elif tensor.ndim == 4:
        tensors = list(tensor)
    else:
        raise ImageError(f"image tensor must have shape (C, H, W) or (B, C, H, W); got {tuple(tensor.shape)}")
    arrays = []
    for item in tensors:
        if item.shape[0] not in (1, 3, 4):
            hint = " (channels last? use tensor.permute(2, 0, 1))" if item.shape[-1] in (1, 3, 4) else ""
            raise ImageError(f"image tensor must be channels first with 1, 3 or 4 channels; got {tuple(item.shape)}{hint}")
        arrays.append(to_bgr_array(_tensor_to_numpy(item.permute(1, 2, 0)), color=color))
    return arrays


def to_bgr_images(image: ImageInput, *, color: ColorOrder = "bgr") -> list[np.ndarray]:
    """Convert one image of any supported kind to a list of BGR arrays (a 4-D tensor gives several)."""
    _check_color(color)
    if isinstance(image, (str, os.PathLike)):
        return [read_image(image)]
    if isinstance(image, np.ndarray):
        return [to_bgr_array(image, color=color)]
    if isinstance(image, torch.Tensor):
        return tensor_to_bgr_arrays(image, color=color)
    if type(image).__module__.startswith("PIL."):
        return [pil_to_bgr(image)]
    raise ImageError(
        f"unsupported image type {type(image).__name__}; pass a path, a NumPy array, a PIL image or a torch tensor"
    )


def round_up(value: int, multiple: int) -> int:
    """Round `value` up to a multiple of `multiple`."""
    return -(-value // multiple) * multiple


def letterbox_scale(width: int, height: int, input_size: tuple[int, int]) -> float:
    """Scale that fits a `width` x `height` image inside `input_size` `(W, H)` keeping its aspect ratio."""
    return min(input_size[0] / width, input_size[1] / height)


def pack_images(images: list[np.ndarray], padded_height: int, padded_width: int) -> torch.Tensor:
    """Copy BGR images into a zero-padded float32 `(B, 3, H, W)` batch, each at the top-left corner."""
    # NumPy does the copy on the calling thread. Filling the batch with torch would start an OpenMP parallel
    # region whose idle workers then spin and slow every small torch operation of the decode that follows.
    batch = np.zeros((len(images), 3, padded_height, padded_width), dtype=np.float32)
    for index, image in enumerate(images):
        height, width = image.shape[:2]
        batch[index, :, :height, :width] = image.transpose(2, 0, 1)
    return torch.from_numpy(batch)
