"""Label assigners: which priors learn which face."""

from yunet.training.assigners.simota import AssignResult, SimOTAAssigner

__all__ = ["AssignResult", "SimOTAAssigner"]
