"""yunet: the YuNet face detector in PyTorch."""

from yunet.config import ModelConfig, yunet_n_config, yunet_s_config
from yunet.detector import FaceDetector
from yunet.draw import draw_detections
from yunet.errors import YunetError
from yunet.models import YuNet
from yunet.results import Detections, Face, Landmarks, Point

__version__ = "0.1.0.dev0"

__all__ = [
    "Detections",
    "Face",
    "FaceDetector",
    "Landmarks",
    "ModelConfig",
    "Point",
    "YuNet",
    "YunetError",
    "__version__",
    "draw_detections",
    "yunet_n_config",
    "yunet_s_config",
]
