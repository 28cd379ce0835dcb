"""Read a PyTorch *legacy* (non-zip) checkpoint with numpy and the standard library only.

PyTorch before 1.6 wrote ``torch.save`` files as a sequence of pickles: a magic number, the
protocol version, a system-info dict, the object itself (tensors refer to their storages through
pickle "persistent ids"), the list of storage keys, then every storage's raw bytes, each behind an
8-byte little-endian element count. This module rebuilds the object with numpy arrays in place of
tensors, so the course never needs torch installed.
"""

from __future__ import annotations

import collections
import pickle
import struct
from pathlib import Path

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class CheckpointFormatError(ValueError):
    """The file is not a legacy PyTorch checkpoint this reader understands."""


class _StorageType:
    def __init__(self, name: str):
        if name not in _STORAGE_DTYPES:
            raise CheckpointFormatError(f"unsupported storage type torch.{name}")
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _TensorRef:
    """A tensor waiting for its storage bytes: (storage key, offset, shape, stride)."""

    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_ignored):
    return _TensorRef(storage, storage_offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor_v2
        if module == "torch" and name.endswith("Storage"):
            return _StorageType(name)
        raise CheckpointFormatError(f"refusing to unpickle {module}.{name}")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel, view_metadata)
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise CheckpointFormatError(f"unknown persistent id {pid!r}")
        _, storage_type, key, _location, numel, view = pid[:6]
        if view is not None:
            raise CheckpointFormatError("storage views are not supported")
        return (str(key), storage_type.dtype, int(numel))


def load_legacy_state_dict(path: str | Path) -> collections.OrderedDict[str, np.ndarray]:
    """Return the state_dict stored in a legacy ``torch.save`` file as numpy arrays."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            magic = pickle.load(f)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not this format"
            raise CheckpointFormatError(f"{path} is not a legacy PyTorch checkpoint ({exc})") from exc
        if magic != MAGIC_NUMBER:
            raise CheckpointFormatError(f"{path} is not a legacy PyTorch checkpoint (bad magic number)")
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        state = _Unpickler(f).load()
        keys = pickle.load(f)
        blobs = {}
        storages = {}
        for ref in _tensor_refs(state):
            storages[ref.storage[0]] = ref.storage
        for key in keys:
            (numel,) = struct.unpack("<q", f.read(8))
            if key not in storages:
                raise CheckpointFormatError(f"storage {key} has no tensor")
            dtype = storages[key][1]
            data = f.read(numel * dtype.itemsize)
            if len(data) != numel * dtype.itemsize:
                raise CheckpointFormatError(f"{path} is truncated")
            blobs[key] = np.frombuffer(data, dtype=dtype)
    out = collections.OrderedDict()
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            continue
        flat = blobs[ref.storage[0]]
        itemsize = flat.dtype.itemsize
        arr = np.lib.stride_tricks.as_strided(
            flat[ref.offset :],
            shape=ref.shape,
            strides=tuple(s * itemsize for s in ref.stride),
        )
        out[name] = np.array(arr)  # own the memory
    return out


def _tensor_refs(state):
    for value in state.values():
        if isinstance(value, _TensorRef):
            yield value
