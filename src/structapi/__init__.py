"""Helpers shared by the chapters of *From Structure to API*."""

from structapi.catalog import CATALOG, ChecksumError, UnknownCheckpointError, checkpoint
from structapi.device import pick_device
from structapi.repro import seed_everything
from structapi.versions import warn_if_untested

__all__ = ["CATALOG", "ChecksumError", "UnknownCheckpointError", "checkpoint", "pick_device", "seed_everything"]
__version__ = "0.1.0"

warn_if_untested()
