"""IPython startup file used by scripts/perturbation_check.sh: nudge every weight that from_pretrained loads.

Each floating-point parameter is multiplied by (1 + eps * noise), noise standard normal from a fixed seed,
eps from STRUCTAPI_PERTURB and the seed from STRUCTAPI_PERTURB_SEED (default 0). A GPU computes the same model with other reduction orders and kernels, which
moves logits in their last digits; this makes a CPU run move them on purpose, so any printed digit, arg-max
or cut that depends on the last digits shows up as an nbval mismatch without a GPU.
"""

import os
from pathlib import Path

import torch
from transformers import modeling_utils

_EPS = float(os.environ["STRUCTAPI_PERTURB"])
_SEED = int(os.environ.get("STRUCTAPI_PERTURB_SEED", "0"))
_load = modeling_utils.PreTrainedModel.from_pretrained.__func__


_catalog_dirs: set[Path] | None = None


def _from_catalog(source: object) -> bool:
    """Whether `source` is the directory of a catalog checkpoint (not, say, a copy a notebook saved itself)."""
    global _catalog_dirs
    if _catalog_dirs is None:
        from structapi.catalog import CATALOG, checkpoint

        _catalog_dirs = {Path(checkpoint(name)).resolve() for name in CATALOG}
    return isinstance(source, (str, os.PathLike)) and Path(source).resolve() in _catalog_dirs


def _perturbed_from_pretrained(cls, *args, **kwargs):
    loaded = _load(cls, *args, **kwargs)
    model = loaded[0] if isinstance(loaded, tuple) else loaded  # output_loading_info=True adds a dict
    # A model the notebook saved and reloads must come back exactly as saved, so only catalog weights move.
    if not _from_catalog(args[0] if args else kwargs.get("pretrained_model_name_or_path")):
        return loaded
    generator = torch.Generator().manual_seed(_SEED)
    with torch.no_grad():
        for parameter in model.parameters():  # tied weights are one parameter and are nudged once
            if parameter.is_floating_point():
                noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
                parameter.mul_(1 + _EPS * noise.to(parameter.device, parameter.dtype))
    return loaded


modeling_utils.PreTrainedModel.from_pretrained = classmethod(_perturbed_from_pretrained)
