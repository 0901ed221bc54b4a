"""yunet: the YuNet face detector in PyTorch."""

from yunet.config import ModelConfig, yunet_n_config, yunet_s_config
from yunet.errors import YunetError
from yunet.models import YuNet

__version__ = "0.1.0.dev0"

__all__ = ["ModelConfig", "YuNet", "YunetError", "__version__", "yunet_n_config", "yunet_s_config"]
