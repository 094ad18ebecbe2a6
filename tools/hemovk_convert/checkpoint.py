"""Load PyTorch checkpoints (.pth/.pt/.bin) and find the state dict inside.

mmcv/mmengine/timm checkpoints pickle extra objects (configs, message hubs, optimizer state) whose
classes may not be importable here; those are replaced by a placeholder so the tensors still load.
"""
import pickle
import types

import torch


class _Missing:
    """Stands in for any class that cannot be imported while unpickling."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.state = state


class _TolerantUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Missing,), {"__module__": module})


_tolerant_pickle = types.SimpleNamespace(**{k: getattr(pickle, k) for k in dir(pickle) if not k.startswith("__")})
_tolerant_pickle.Unpickler = _TolerantUnpickler

# Keys under which frameworks store the model's weights, most specific first.
WRAPPER_KEYS = ("state_dict", "model", "module")


def load_state_dict(path):
    """Return (state_dict, note): the {name: tensor-or-other} mapping and where it was found."""
    obj = torch.load(path, map_location="cpu", pickle_module=_tolerant_pickle)
    note = "top level"
    for _ in range(3):  # {'model': {'state_dict': ...}} nests at most a couple of levels
        if not isinstance(obj, dict):
            break
        if obj and all(torch.is_tensor(v) for v in obj.values()):
            break
        inner = next((k for k in WRAPPER_KEYS if isinstance(obj.get(k), dict)), None)
        if inner is None:
            break
        obj = obj[inner]
        note = f"'{inner}'" if note == "top level" else f"{note} -> '{inner}'"
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: no state dict found (top-level object is {type(obj).__name__})")
    return dict(obj), note


def strip_prefix(sd, prefix="module."):
    """Drop a DataParallel/DistributedDataParallel prefix from every key that has it.

    Returns (new_dict, number_stripped). Two keys that become equal are an error naming both."""
    out, stripped = {}, 0
    for k, v in sd.items():
        nk = k[len(prefix):] if k.startswith(prefix) else k
        stripped += nk != k
        if nk in out:
            raise ValueError(f"keys '{k}' and '{nk}' collide once the '{prefix}' prefix is removed")
        out[nk] = v
    return out, stripped
