"""Ideal-class images: start from noise and change the *image* by gradient ascent on a class.

The pixels are parametrised as ``255 * sigmoid(z)``, so every step gives a valid image. The
objective is the class's score (its logit) minus ``tv_weight`` times the image's total variation
(mean absolute difference between neighbouring pixels, in pixel units): without it the network
is satisfied by high-frequency noise; with it the picture must be smooth, and shapes appear.
Dreaming needs only a model that takes RGB pixels in [0, 255] and outputs class probabilities.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from transferlab.objectives import input_size, log_prob_fn, logit_fn


@dataclass
class DreamResult:
    image: np.ndarray  # (H, W, 3) float32 in [0, 255]
    class_id: int
    probabilities: list[float]  # the class's probability before each step, and after the last
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (step, image)
    steps: int = 0
    seconds: float = 0.0

    @property
    def probability(self) -> float:
        return self.probabilities[-1]

    @property
    def total_variation(self) -> float:
        return total_variation(self.image)


def total_variation(image) -> float:
    """Mean absolute difference between horizontal and vertical neighbours, in pixel units."""
    x = np.asarray(image, dtype=np.float64)
    return float(np.abs(np.diff(x, axis=-2)).mean() + np.abs(np.diff(x, axis=-3)).mean())


def _tv(x):
    return tf.reduce_mean(tf.abs(x[:, 1:, :, :] - x[:, :-1, :, :])) + tf.reduce_mean(
        tf.abs(x[:, :, 1:, :] - x[:, :, :-1, :])
    )


def _blur(z):
    kernel = tf.constant([1.0, 2.0, 1.0]) / 4.0
    k2 = tf.tensordot(kernel, kernel, axes=0)[:, :, None, None] * tf.ones((1, 1, 3, 1))
    return tf.nn.depthwise_conv2d(z, k2, strides=[1, 1, 1, 1], padding="SAME")


def dream(
    model,
    class_id: int,
    steps: int = 200,
    tv_weight: float = 0.0,
    learning_rate: float = 0.05,
    jitter: int = 8,
    blur_every: int = 0,
    seed: int = 0,
    noise: float = 0.1,
    stop_at: float | None = None,
    objective: str = "logit",
    snapshot_every: int = 0,
    progress: bool = False,
) -> DreamResult:
    """Optimise an image, from seeded noise, until ``model`` sees ``class_id``.

    ``objective``: ``"logit"`` maximises the class's unnormalised score (Simonyan et al. 2014:
    the softmax could also rise by pushing other classes down), ``"log_prob"`` its log-probability.
    ``tv_weight``: weight of the total-variation penalty (per pixel unit; 0 disables it).
    ``jitter``: random shifts of up to that many pixels each step; ``blur_every``: smooth the
    parameters every that many steps. ``stop_at``: stop once the class probability reaches it.
    Deterministic given ``seed``.
    """
    class_id = int(class_id)
    size = input_size(model)
    log_probs = log_prob_fn(model)
    if objective not in ("log_prob", "logit"):
        raise ValueError("objective is 'log_prob' or 'logit'")
    score_fn = logit_fn(model) if objective == "logit" else log_probs
    rng = np.random.default_rng(seed)
    z = tf.Variable(rng.normal(0.0, noise, size=(1, size, size, 3)).astype(np.float32))

    opt = keras.optimizers.Adam(learning_rate)
    tv_w = tf.constant(float(tv_weight))

    @tf.function
    def step(shift):
        with tf.GradientTape() as tape:
            image = 255.0 * tf.sigmoid(z)
            seen = tf.roll(image, shift, axis=(1, 2)) if jitter else image
            lp = log_probs(seen)[0, class_id]
            score = lp if objective == "log_prob" else score_fn(seen)[0, class_id]
            loss = -score + tv_w * _tv(image)
        grad = tape.gradient(loss, z)
        opt.apply_gradients([(grad, z)])
        return tf.exp(lp)

    @tf.function
    def prob_now():
        return tf.exp(log_probs(255.0 * tf.sigmoid(z))[0, class_id])

    start = time.perf_counter()
    probabilities, snapshots = [], []
    iterator = range(steps)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=f"dreaming class {class_id}", unit="step")
    done = 0
    for i in iterator:
        if snapshot_every and i % snapshot_every == 0:
            snapshots.append((i, (255.0 * tf.sigmoid(z))[0].numpy()))
        shift = rng.integers(-jitter, jitter + 1, size=2).astype(np.int32) if jitter else np.zeros(2, np.int32)
        p = float(step(tf.constant(shift)))
        probabilities.append(p)
        done = i + 1
        if blur_every and done % blur_every == 0:
            z.assign(_blur(z))
        if stop_at is not None and p >= stop_at:
            break
    probabilities.append(float(prob_now()))
    image = (255.0 * tf.sigmoid(z))[0].numpy()
    if snapshot_every:
        snapshots.append((done, image))
    return DreamResult(image, class_id, probabilities, snapshots, done, time.perf_counter() - start)
