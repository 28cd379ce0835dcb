"""Transfer models: a frozen pretrained base, a new head, and the fine-tuning that follows.

>>> model = build_transfer_model("efficientnet_lite0", num_classes=2)
>>> compile_model(model, learning_rate=1e-3); model.fit(train, validation_data=val, epochs=5)
>>> unfreeze_top(model, 20); compile_model(model, learning_rate=1e-4)   # 10x lower
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import keras
import tensorflow as tf

from transferlab import backbones, pipeline

BASE_NAME = "base"


def get_strategy(kind: str = "auto") -> tf.distribute.Strategy:
    """A ``tf.distribute`` strategy: ``"auto"`` picks TPU (Colab) > several GPUs (Mirrored) > default.

    ``"mirrored"`` mirrors across all GPUs, or across every logical CPU device when there is none.
    """
    if kind in ("auto", "tpu"):
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        except (ValueError, RuntimeError, tf.errors.NotFoundError):
            if kind == "tpu":
                raise
    gpus = tf.config.list_logical_devices("GPU")
    if kind == "mirrored" or (kind == "auto" and len(gpus) > 1):
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.get_strategy()


def use_mixed_precision(enable: bool | None = None) -> str:
    """Mixed float16 on a GPU (``enable=None`` decides by the hardware); returns the policy name."""
    if enable is None:
        enable = bool(tf.config.list_physical_devices("GPU"))
    policy = "mixed_float16" if enable else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def build_transfer_model(
    backbone: str,
    num_classes: int,
    image_size: int | None = None,
    augment: bool = True,
    dropout: float = 0.2,
    weights: str | None = "imagenet",
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    l2: float = 0.0,
) -> keras.Model:
    """raw pixels -> [augmentation] -> frozen pretrained base (``training=False``) -> dropout -> dense.

    The base is the layer named ``"base"``; it is called in inference mode, so its
    BatchNormalization statistics never move, not even after :func:`unfreeze_top`.
    The output layer is float32 softmax, so it stays stable under mixed precision; ``l2`` puts an
    L2 penalty of that weight on its kernel (useful with few images per class).
    """
    entry = backbones.get(backbone)
    size = int(image_size or entry.input_size)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        base = backbones.build(entry.name, include_top=False, weights=weights, input_size=size)
        base.name = BASE_NAME  # a stable handle for freezing/unfreezing
        base.trainable = False
        inputs = keras.Input(shape=(size, size, 3), name="pixels")
        x = pipeline.augmentation(seed)(inputs) if augment else inputs
        x = base(x, training=False)
        x = keras.layers.Dropout(dropout, name="head_dropout", seed=seed)(x)
        regularizer = keras.regularizers.L2(l2) if l2 else None
        outputs = keras.layers.Dense(
            num_classes, activation="softmax", dtype="float32", kernel_regularizer=regularizer, name="classifier"
        )(x)
        return keras.Model(inputs, outputs, name=f"{entry.name}_transfer")


def base_of(model: keras.Model) -> keras.Model:
    """The pretrained base inside a transfer model."""
    return model.get_layer(BASE_NAME)


def freeze(model: keras.Model) -> None:
    """Freeze the whole base of a transfer model (the head stays trainable)."""
    base_of(model).trainable = False


def unfreeze_top(model: keras.Model, count: int | None = None, from_layer: str | None = None) -> list[str]:
    """Unfreeze the top of the base: its last ``count`` layers, or every layer from ``from_layer`` on.

    BatchNormalization layers stay frozen either way. Returns the names of the layers unfrozen.
    Recompile afterwards (with a lower learning rate) for the change to take effect.
    """
    if (count is None) == (from_layer is None):
        raise ValueError("give exactly one of count= or from_layer=")
    base = base_of(model)
    layers = backbones.flat_layers(base)
    if from_layer is not None:
        names = [layer.name for layer in layers]
        if from_layer not in names:
            raise ValueError(f"no layer {from_layer!r} in the base; its layers run {names[0]} ... {names[-1]}")
        start = names.index(from_layer)
    else:
        start = max(0, len(layers) - int(count))
    base.trainable = True
    unfrozen = []
    for i, layer in enumerate(layers):
        layer.trainable = i >= start and not isinstance(layer, keras.layers.BatchNormalization)
        if layer.trainable and layer.weights:
            unfrozen.append(layer.name)
    for sub in base.layers:  # nested models follow their leaves
        if isinstance(sub, keras.Model):
            sub.trainable = any(leaf.trainable for leaf in backbones.flat_layers(sub))
    return unfrozen


def count_trainable(model: keras.Model) -> int:
    return int(sum(keras.ops.size(w) for w in model.trainable_weights))


def compile_model(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam, sparse categorical cross-entropy on integer labels, ``metrics=["accuracy"]``."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    return model


def default_callbacks(checkpoint: str | Path | None = None, patience: int = 5, monitor: str = "val_loss"):
    """Early stopping (restoring the best weights) and, given a path, a best-only ``.keras`` checkpoint.

    The validation *loss* is watched by default: on small validation sets accuracy moves in coarse
    steps and stops training too early.
    """
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor=monitor, mode="max" if "acc" in monitor else "min", patience=patience, restore_best_weights=True
        )
    ]
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        if checkpoint.suffix != ".keras":
            raise ValueError("checkpoints are Keras 3 '.keras' files")
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        callbacks.append(keras.callbacks.ModelCheckpoint(checkpoint, monitor=monitor, save_best_only=True))
    return callbacks


def metric_key(history: dict, name: str = "accuracy") -> str:
    """The key a history uses for a metric: ``accuracy`` in Keras 3, ``acc`` in old saved histories."""
    history = getattr(history, "history", history)
    for key in (name, {"accuracy": "acc", "acc": "accuracy"}.get(name, name)):
        if key in history:
            return key
    raise KeyError(f"no {name!r} in history keys {sorted(history)}")


def merge_histories(*histories) -> tuple[dict[str, list[float]], list[int]]:
    """Join the histories of consecutive ``fit`` calls; returns (history, epochs where each phase starts)."""
    merged: dict[str, list[float]] = {}
    starts = []
    for h in histories:
        h = getattr(h, "history", h)
        starts.append(len(next(iter(merged.values()), [])))
        for key, values in h.items():
            merged.setdefault(key, []).extend(float(v) for v in values)
    return merged, starts


def train_head_on_features(
    train_x,
    train_y,
    val_x,
    val_y,
    num_classes: int,
    epochs: int = 20,
    learning_rate: float = 1e-3,
    dropout: float = 0.3,
    batch_size: int = 32,
    verbose: int = 1,
    seed: int = 0,
):
    """A small Keras classifier on cached features (dropout + dense); returns (model, history).

    Early stopping on validation accuracy restores the best epoch's weights.
    """
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(train_x.shape[1],)),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="feature_classifier",
    )
    compile_model(model, learning_rate)
    history = model.fit(
        train_x,
        train_y,
        validation_data=(val_x, val_y),
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=default_callbacks(patience=max(3, epochs // 4)),
    )
    return model, history


def batchnorm_modes(model: keras.Model, images) -> dict[str, float]:
    """Why the base runs with ``training=False``: the same images through the base both ways.

    Compares the pooled features with BatchNormalization in inference mode (ImageNet's running
    statistics) and in training mode (this batch's statistics), relative to the features' size.
    Keras 3 runs a *frozen* BatchNormalization layer in inference mode whatever ``training`` says,
    so the layers are unfrozen for the comparison; every weight and flag is restored afterwards.
    """
    base = base_of(model)
    layers = [base, *backbones.flat_layers(base)] + [m for m in base.layers if isinstance(m, keras.Model)]
    flags = [(layer, layer.trainable) for layer in layers]
    saved = [w.numpy().copy() for w in base.weights]
    x = tf.convert_to_tensor(images, dtype=tf.float32)
    inference = base(x, training=False).numpy()
    try:
        base.trainable = True
        batch_stats = base(x, training=True).numpy()
    finally:
        for w, value in zip(base.weights, saved, strict=True):
            w.assign(value)
        for layer, flag in flags:
            layer.trainable = flag
    scale = float(abs(inference).mean()) or 1.0
    difference = float(abs(batch_stats - inference).mean())
    return {
        "mean_abs_feature_inference": scale,
        "mean_abs_difference": difference,
        "relative_difference": difference / scale,
    }
