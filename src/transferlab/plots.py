"""Pictures people would rather see than read: curves, confusion matrices, image grids.

Every function returns the matplotlib Figure (notebooks show it; scripts can ``savefig``).
This module imports no training code: it takes histories, arrays and names.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np


def _history_dict(history) -> dict:
    return dict(getattr(history, "history", history))


def _key(history: dict, name: str) -> str | None:
    for key in (name, {"accuracy": "acc", "acc": "accuracy"}.get(name, name)):
        if key in history:
            return key
    return None


def plot_history(history, phase_starts=None, phase_names=None, title: str = "Training"):
    """Loss and accuracy curves (train and validation) of a Keras ``History`` or its dict.

    ``phase_starts``: epochs where a new phase begins (e.g. fine-tuning), drawn as a dashed line.
    """
    h = _history_dict(history)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        key = _key(h, metric)
        if key is None:
            ax.set_visible(False)
            continue
        epochs = np.arange(1, len(h[key]) + 1)
        ax.plot(epochs, h[key], "o-", label=f"train {metric}")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], "s-", label=f"validation {metric}")
        for i, start in enumerate(phase_starts or []):
            if start > 0:
                label = (phase_names or [None] * 10)[i] or "phase change"
                ax.axvline(start + 0.5, color="grey", linestyle="--", label=label)
        ax.set_xlabel("epoch")
        ax.set_title(f"{title}: {metric}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def plot_confusion_matrix(y_true, y_pred, class_names, normalize: bool = True, title: str = "Confusion matrix"):
    """Rows: true class; columns: predicted. Normalised per row by default."""
    n = len(class_names)
    cm = confusion_matrix(y_true, y_pred, n).astype(float)
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.28 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(cm, cmap="Blues", vmin=0)
    ax.set_xticks(range(n), class_names, rotation=90 if n > 4 else 0, fontsize=8 if n > 10 else 10)
    ax.set_yticks(range(n), class_names, fontsize=8 if n > 10 else 10)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= 10:
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    f"{cm[i, j]:.2f}" if normalize else int(cm[i, j]),
                    ha="center",
                    va="center",
                    color="white" if cm[i, j] > cm.max() / 2 else "black",
                )
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def _to_uint8(image) -> np.ndarray:
    return np.clip(np.rint(np.asarray(image, dtype=np.float64)), 0, 255).astype(np.uint8)


def image_grid(images, titles=None, ncols: int = 4, size: float = 2.6, title_colors=None, suptitle: str | None = None):
    """Images (RGB, [0, 255]) in a grid, with optional titles (and their colours)."""
    images = list(images)
    nrows = max(1, math.ceil(len(images) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for i, image in enumerate(images):
        ax = axes.flat[i]
        ax.imshow(_to_uint8(image))
        if titles is not None:
            ax.set_title(titles[i], fontsize=9, color=(title_colors or ["black"] * len(images))[i])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def prediction_grid(images, y_true, y_pred, class_names, probabilities=None, ncols: int = 4):
    """Test images titled "predicted (p) / true"; wrong predictions in red."""
    titles, colors = [], []
    for i, (t, p) in enumerate(zip(y_true, y_pred, strict=True)):
        conf = f" {probabilities[i]:.2f}" if probabilities is not None else ""
        titles.append(f"{class_names[p]}{conf}" + ("" if t == p else f"\n(true: {class_names[t]})"))
        colors.append("green" if t == p else "red")
    return image_grid(images, titles, ncols=ncols, title_colors=colors)


def perturbation_grid(original, adversarial, titles=None, amplify: float | None = None):
    """Original | perturbation (amplified to be visible) | adversarial, one row per image."""
    original = np.asarray(original, dtype=np.float32).reshape((-1,) + np.shape(original)[-3:])
    adversarial = np.asarray(adversarial, dtype=np.float32).reshape(original.shape)
    delta = adversarial - original
    scale = amplify or (127.0 / max(float(np.abs(delta).max()), 1e-9))
    rows = []
    for o, d, a in zip(original, delta, adversarial, strict=True):
        rows += [o, 127.5 + scale * d, a]
    default = ["original", f"perturbation x{scale:.0f}", "adversarial"] * len(original)
    return image_grid(rows, titles or default, ncols=3, size=3.0)


def plot_feature_maps(maps: dict, channels: int = 6, size: float = 1.7):
    """A few channels of each feature map (name -> (H, W, C) array): one row per depth."""
    fig, axes = plt.subplots(len(maps), channels, figsize=(size * channels, size * len(maps)), squeeze=False)
    for row, (name, fmap) in enumerate(maps.items()):
        fmap = np.asarray(fmap)
        strongest = np.argsort(-fmap.mean(axis=(0, 1)))[:channels]
        for col, c in enumerate(strongest):
            ax = axes[row, col]
            ax.imshow(fmap[:, :, c], cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(f"{name}\n{fmap.shape[0]}x{fmap.shape[1]}x{fmap.shape[2]}", fontsize=8)
    fig.suptitle("Feature maps: strongest channels at increasing depth")
    fig.tight_layout()
    return fig


def plot_curves(x, series: dict, xlabel: str, ylabel: str, title: str = "", logx: bool = False):
    """Several named series over one x axis (probability trajectories, success rate vs epsilon...)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, ys in series.items():
        ax.plot(x if x is not None else np.arange(len(ys)), ys, "o-" if len(ys) < 30 else "-", label=name)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def bar_chart(labels, values, xlabel: str = "", title: str = "", highlight=None):
    """Horizontal bars (per-class accuracy, class balance...)."""
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.22 * len(labels) + 1)))
    colors = ["tab:red" if highlight is not None and v < highlight else "tab:blue" for v in values]
    ax.barh(range(len(labels)), values, color=colors)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig
