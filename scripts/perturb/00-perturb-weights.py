"""IPython startup file used by scripts/perturbation_check.sh: nudge every weight that from_pretrained loads.

Each floating-point parameter is multiplied by (1 + eps * noise), noise standard normal from a fixed seed,
eps from STRUCTAPI_PERTURB and the seed from STRUCTAPI_PERTURB_SEED (default 0). A GPU computes the same model with other reduction orders and kernels, which
moves logits in their last digits; this makes a CPU run move them on purpose, so any printed digit, arg-max
or cut that depends on the last digits shows up as an nbval mismatch without a GPU.
"""

import os
import tempfile
from pathlib import Path

import torch
from transformers import modeling_utils

_EPS = float(os.environ["STRUCTAPI_PERTURB"])
_SEED = int(os.environ.get("STRUCTAPI_PERTURB_SEED", "0"))
_load = modeling_utils.PreTrainedModel.from_pretrained.__func__


_SCRATCH = Path(tempfile.gettempdir()).resolve()


def _perturbed_from_pretrained(cls, *args, **kwargs):
    loaded = _load(cls, *args, **kwargs)
    model = loaded[0] if isinstance(loaded, tuple) else loaded  # output_loading_info=True adds a dict
    source = Path(str(args[0] if args else kwargs.get("pretrained_model_name_or_path", ""))).resolve()
    if source.is_relative_to(_SCRATCH):
        return loaded  # a model the notebook saved itself must reload exactly as it was saved
    generator = torch.Generator().manual_seed(_SEED)
    with torch.no_grad():
        for parameter in model.parameters():  # tied weights are one parameter and are nudged once
            if parameter.is_floating_point():
                noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
                parameter.mul_(1 + _EPS * noise.to(parameter.device, parameter.dtype))
    return loaded


modeling_utils.PreTrainedModel.from_pretrained = classmethod(_perturbed_from_pretrained)
