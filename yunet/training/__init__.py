"""Training of YuNet with the original libfacedetection.train recipe: `python -m yunet.training`."""

from yunet.training.config import TrainConfig, load_config
from yunet.training.trainer import Trainer

__all__ = ["TrainConfig", "Trainer", "load_config"]
