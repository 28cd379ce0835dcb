"""Adversarial examples: FGSM (untargeted) and a targeted projected-gradient-descent attack.

Images are RGB pixels in [0, 255] at the model's input size, and ``eps`` is in pixel units: an
attack at ``eps=2`` moves no pixel by more than 2 of 255. The adversarial image is always an
8-bit image (integers in [0, 255]), so saving it as a PNG and reading it back changes nothing:
the attack is judged on exactly what gets written. Attacks need only a model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from transferlab.objectives import log_prob_fn


@dataclass
class AttackResult:
    original: np.ndarray  # (N, H, W, 3) float32 integers in [0, 255]
    adversarial: np.ndarray  # same shape, integers in [0, 255]
    target_id: int | None
    original_top1: np.ndarray  # (N,)
    adversarial_top1: np.ndarray  # (N,)
    target_probability: np.ndarray | None  # (N,) after the attack
    top1_per_step: list[np.ndarray] = field(default_factory=list)
    target_probability_per_step: list[np.ndarray] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    @property
    def perturbation(self) -> np.ndarray:
        return self.adversarial - self.original

    @property
    def max_abs_perturbation(self) -> float:
        return float(np.abs(self.perturbation).max())

    @property
    def success(self) -> np.ndarray:
        """Per image: top-1 is the target (targeted) or no longer the original class (untargeted)."""
        if self.target_id is not None:
            return self.adversarial_top1 == self.target_id
        return self.adversarial_top1 != self.original_top1

    @property
    def success_rate(self) -> float:
        return float(np.mean(self.success))


def _as_batch(images) -> np.ndarray:
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"expected (H, W, 3) or (N, H, W, 3) RGB images, got shape {x.shape}")
    return np.clip(np.rint(x), 0, 255)  # attacks start from, and return, 8-bit images


def _pixel_bound(eps: float) -> float:
    """The largest whole number of pixel values within ``eps`` (8-bit images move in whole steps)."""
    bound = float(math.floor(eps + 1e-9))
    if bound < 1:
        raise ValueError(f"eps={eps}: an 8-bit image cannot move by less than 1 pixel value")
    return bound


def _probs(log_probs, x, batch_size=32):
    out = [tf.exp(log_probs(tf.constant(x[i : i + batch_size]))).numpy() for i in range(0, len(x), batch_size)]
    return np.concatenate(out)


def pgd(
    model,
    images,
    target_id: int,
    eps: float = 2.0,
    steps: int = 10,
    step_size: float | None = None,
    stop_early: bool = True,
) -> AttackResult:
    """Targeted PGD with an L-infinity bound: descend the target's cross-entropy by signed steps.

    ``eps`` and ``step_size`` are in pixel units (default step: ``max(1, eps / 4)``). Each step is
    projected onto the ``eps`` box around the original and onto [0, 255], and rounded to whole
    pixel values; an image stops changing once the target is its top-1 (``stop_early``).
    """
    x0 = _as_batch(images)
    target_id = int(target_id)
    bound = _pixel_bound(eps)
    step = float(step_size or max(1.0, round(bound / 4)))
    log_probs = log_prob_fn(model)
    start = time.perf_counter()

    @tf.function
    def probs_and_grad(x):
        """One forward and backward pass: the probabilities at ``x`` and the gradient for the next step."""
        with tf.GradientTape() as tape:
            tape.watch(x)
            lp = log_probs(x)
            loss = -tf.reduce_sum(lp[:, target_id])
        return tf.exp(lp), tape.gradient(loss, x)

    def evaluate(x):
        out = [probs_and_grad(tf.constant(x[i : i + 32])) for i in range(0, len(x), 32)]
        return np.concatenate([o[0].numpy() for o in out]), np.concatenate([o[1].numpy() for o in out])

    p, g = evaluate(x0)
    original_top1 = p.argmax(-1)
    x = x0.copy()
    top1_steps, target_steps = [original_top1], [p[:, target_id]]
    active = np.ones(len(x), bool)
    done = 0
    for _ in range(steps):
        if stop_early and not active.any():
            break
        moved = x - step * np.sign(g)
        moved = np.clip(np.rint(np.clip(moved, x0 - bound, x0 + bound)), 0, 255)
        x = np.where(active[:, None, None, None], moved, x) if stop_early else moved
        p, g = evaluate(x)  # the new image's probabilities, and its gradient for the step after
        top1_steps.append(p.argmax(-1))
        target_steps.append(p[:, target_id])
        if stop_early:
            active = p.argmax(-1) != target_id
        done += 1
    return AttackResult(
        x0,
        x.astype(np.float32),
        target_id,
        original_top1,
        p.argmax(-1),
        p[:, target_id],
        top1_steps,
        target_steps,
        done,
        time.perf_counter() - start,
    )


def fgsm(model, images, eps: float = 2.0, labels=None) -> AttackResult:
    """Untargeted FGSM: one signed step of ``eps`` pixels up the loss of the true (or predicted) class."""
    x0 = _as_batch(images)
    bound = _pixel_bound(eps)
    log_probs = log_prob_fn(model)
    start = time.perf_counter()
    p0 = _probs(log_probs, x0)
    original_top1 = p0.argmax(-1)
    y = np.asarray(labels if labels is not None else original_top1).reshape(-1)
    xt = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        lp = log_probs(xt)
        loss = -tf.reduce_sum(tf.gather(lp, y, axis=1, batch_dims=1))
    g = tape.gradient(loss, xt).numpy()
    x = np.clip(x0 + bound * np.sign(g), 0, 255)
    p = _probs(log_probs, x)
    return AttackResult(
        x0,
        x.astype(np.float32),
        None,
        original_top1,
        p.argmax(-1),
        None,
        [original_top1, p.argmax(-1)],
        [],
        1,
        time.perf_counter() - start,
    )


def success_vs_eps(model, images, target_id: int, eps_values=(1, 2, 4, 8), steps: int = 10) -> dict[float, float]:
    """Targeted PGD success rate over a batch of images at each epsilon (pixel units)."""
    return {float(eps): pgd(model, images, target_id, eps=eps, steps=steps).success_rate for eps in eps_values}
