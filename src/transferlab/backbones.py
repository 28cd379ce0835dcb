"""The registry of ImageNet backbones: name -> how to build it, its input size, its feature size.

Every model built here takes raw RGB pixels in [0, 255]: each backbone's own preprocessing is a
layer inside the model, so pipelines, attacks and dreams never need to know it.

>>> model = build("efficientnet_lite0")                       # ImageNet top: (N, 1000) probabilities
>>> features = build("efficientnet_lite0", include_top=False)  # frozen, pooled: (N, 1280)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import ops

from transferlab import lite0

OFFLINE_BACKBONE = lite0.NAME


class BackboneError(ValueError):
    """An unknown backbone name."""


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be had (typically: no network)."""


@keras.saving.register_keras_serializable(package="transferlab")
class ImageNetPreprocess(keras.layers.Layer):
    """A backbone's input preprocessing as a layer, on RGB pixels in [0, 255].

    ``mode``: ``"caffe"`` (RGB -> BGR, minus the ImageNet mean: VGG, ResNet50), ``"tf"`` (to
    [-1, 1]: MobileNetV2), ``"torch"`` (to [0, 1], then ImageNet mean and std), ``"none"``.
    """

    _CAFFE_MEAN = (103.939, 116.779, 123.68)
    _TORCH_MEAN = (0.485, 0.456, 0.406)
    _TORCH_STD = (0.229, 0.224, 0.225)

    def __init__(self, mode: str = "none", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("caffe", "tf", "torch", "none"):
            raise ValueError(f"unknown preprocessing mode {mode!r}")
        self.mode = mode

    def call(self, x):
        x = ops.cast(x, self.compute_dtype)
        if self.mode == "caffe":
            return ops.flip(x, axis=-1) - ops.convert_to_tensor(self._CAFFE_MEAN, dtype=x.dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor(self._TORCH_MEAN, dtype=x.dtype)
            std = ops.convert_to_tensor(self._TORCH_STD, dtype=x.dtype)
            return (x / 255.0 - mean) / std
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@dataclass(frozen=True)
class Backbone:
    """One registry entry."""

    name: str
    input_size: int
    feature_size: int
    preprocessing: str  # an ImageNetPreprocess mode; "inside" when the network normalises itself
    constructor: Callable | None  # keras.applications constructor; None for efficientnet_lite0
    paper: str = ""

    @property
    def offline(self) -> bool:
        """True when ImageNet weights need no network."""
        return self.constructor is None


def _apps(name):
    return getattr(keras.applications, name)


REGISTRY: dict[str, Backbone] = {
    b.name: b
    for b in (
        Backbone("vgg16", 224, 512, "caffe", _apps("VGG16"), "Simonyan & Zisserman 2014"),
        Backbone("vgg19", 224, 512, "caffe", _apps("VGG19"), "Simonyan & Zisserman 2014"),
        Backbone("resnet50", 224, 2048, "caffe", _apps("ResNet50"), "He et al. 2015"),
        Backbone("mobilenet_v2", 224, 1280, "tf", _apps("MobileNetV2"), "Sandler et al. 2018"),
        Backbone("efficientnet_b0", 224, 1280, "inside", _apps("EfficientNetB0"), "Tan & Le 2019"),
        Backbone("efficientnet_v2_b0", 224, 1280, "inside", _apps("EfficientNetV2B0"), "Tan & Le 2021"),
        Backbone("convnext_tiny", 224, 768, "inside", _apps("ConvNeXtTiny"), "Liu et al. 2022"),
        Backbone(lite0.NAME, lite0.INPUT_SIZE, lite0.FEATURE_SIZE, "inside", None, "Tan & Le 2019 / TF Lite 2020"),
    )
}


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Backbone:
    """The registry entry for ``name``; an unknown name raises :class:`BackboneError` listing all."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in REGISTRY:
        raise BackboneError(f"unknown backbone {name!r}; choose one of: {', '.join(REGISTRY)}")
    return REGISTRY[key]


def build(
    name: str,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_size: int | None = None,
    pooling: str = "avg",
    trainable: bool = False,
) -> keras.Model:
    """Build a backbone that takes raw RGB pixels in [0, 255].

    ``include_top=True``: the ImageNet classifier, ``(N, 1000)`` softmax probabilities, at the
    backbone's own input size. ``include_top=False``: a feature extractor, ``(N, feature_size)``
    after global ``pooling`` ("avg" or "max"), frozen unless ``trainable``; ``input_size`` may
    differ from the default. ``weights`` is ``"imagenet"`` or ``None`` (random).

    Without a network, a ``keras.applications`` backbone whose weights are not cached yet raises
    :class:`WeightsUnavailableError` naming the file and where to put it.
    """
    entry = get(name)
    size = int(input_size or entry.input_size)
    if include_top and size != entry.input_size and weights == "imagenet" and entry.constructor is not None:
        raise ValueError(f"{entry.name} with its ImageNet top takes {entry.input_size}x{entry.input_size} images")
    shape = (size, size, 3)
    if entry.constructor is None:
        model = _build_lite0(include_top, weights, shape, pooling)
    else:
        base = _call_application(entry, include_top, weights, shape, pooling)
        inputs = keras.Input(shape=shape, name="pixels")
        x = inputs
        if entry.preprocessing != "inside":
            x = ImageNetPreprocess(entry.preprocessing, name="preprocess")(x)
        x = base(x)
        if include_top:
            x = keras.layers.Activation("softmax", name="predictions")(x)
        model = keras.Model(inputs, x, name=entry.name)
    if not include_top:
        model.trainable = trainable
    return model


def _build_lite0(include_top, weights, shape, pooling):
    full = lite0.efficientnet_lite0(weights=weights, input_shape=shape)
    if include_top:
        return full
    pool = keras.layers.GlobalAveragePooling2D if pooling == "avg" else keras.layers.GlobalMaxPooling2D
    features = pool(name=f"{pooling}_pool_features")(full.get_layer("head_relu").output)
    return keras.Model(full.input, features, name=lite0.NAME)


def _call_application(entry: Backbone, include_top, weights, shape, pooling):
    kwargs = dict(include_top=include_top, weights=weights, input_shape=shape)
    if include_top:
        kwargs["classifier_activation"] = None  # logits; the softmax is our "predictions" layer
    else:
        kwargs["pooling"] = pooling
    try:
        return entry.constructor(**kwargs)
    except Exception as exc:  # noqa: BLE001 - keras.utils.get_file raises a bare Exception on network errors
        if weights != "imagenet" or "fetch failure" not in str(exc).lower():
            raise
        raise _weights_unavailable(entry, exc) from exc


def _weights_unavailable(entry: Backbone, exc: Exception) -> WeightsUnavailableError:
    match = re.search(r"(https?://\S+?\.h5)", str(exc))
    url = match.group(1) if match else "(see keras.applications)"
    filename = url.rsplit("/", 1)[-1]
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    target = os.path.join(keras_home, "models", filename)
    return WeightsUnavailableError(
        f"ImageNet weights for {entry.name} could not be downloaded (no network?). "
        f"The file needed is {filename} ({url}); copy it to {target} and try again. "
        f"Offline alternative: backbone {OFFLINE_BACKBONE!r}, whose real ImageNet weights ship with pip."
    )


def available(name: str) -> bool:
    """True when ``name``'s ImageNet weights can be loaded now (offline, cached or downloadable)."""
    try:
        build(name, include_top=False, input_size=64 if get(name).constructor else None)
    except WeightsUnavailableError:
        return False
    return True


def flat_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Every leaf layer of ``model``, nested models opened, in order."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(flat_layers(layer))
        else:
            out.append(layer)
    return out


def logits_model(model: keras.Model) -> keras.Model | None:
    """The same network up to its logits, when its last layer is a softmax named "predictions".

    Attacks and dreams use it to optimise logits (numerically sounder than log-probabilities);
    ``None`` for any other model, which they then treat as giving probabilities.
    """
    try:
        layer = model.get_layer("predictions")
    except ValueError:
        return None
    if not isinstance(layer, keras.layers.Activation) or layer is not model.layers[-1]:
        return None
    return keras.Model(model.inputs, layer.input, name=f"{model.name}_logits")
