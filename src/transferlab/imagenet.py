"""The 1000 ImageNet-1k classes, offline: names, top-k decoding, and name -> id lookup."""

from __future__ import annotations

import csv
import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np

NUM_CLASSES = 1000


class ClassNameError(ValueError):
    """A class name that matches no ImageNet class, or more than one."""

    def __init__(self, message: str, candidates: list[tuple[int, str]]):
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class ImageNetClass:
    id: int
    wnid: str
    names: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[0]


@functools.cache
def classes() -> tuple[ImageNetClass, ...]:
    """All classes in Keras' ImageNet order (the package data file ``imagenet_classes.tsv``)."""
    text = resources.files("transferlab").joinpath("data/imagenet_classes.tsv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    out = tuple(
        ImageNetClass(int(r["id"]), r["wnid"], tuple(n.strip() for n in r["names"].split(",") if n.strip()))
        for r in rows
    )
    assert len(out) == NUM_CLASSES and all(c.id == i for i, c in enumerate(out))
    return out


def class_name(class_id: int) -> str:
    """The short display name of a class id (``281 -> "tabby"``)."""
    return classes()[int(class_id)].name


@functools.cache
def _index() -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for c in classes():
        keys = {n.lower() for n in c.names} | {c.wnid.lower()}
        keys |= {re.sub(r"\s*\(.*\)$", "", k) for k in keys}  # "crane (bird)" answers to "crane"
        for key in keys:
            index.setdefault(key, []).append(c.id)
    return index


def class_id(name: str | int) -> int:
    """The class id for a name, WordNet id or id (``"tabby" -> 281``, ``"zebra" -> 340``).

    Matching ignores case and underscores. An unknown name or one shared by several classes
    (``"crane"`` is a bird and a machine) raises :class:`ClassNameError` listing the candidates.
    """
    if isinstance(name, (int, np.integer)) or (isinstance(name, str) and name.strip().isdigit()):
        value = int(name)
        if not 0 <= value < NUM_CLASSES:
            raise ClassNameError(f"ImageNet class ids run from 0 to 999, not {value}", [])
        return value
    key = " ".join(str(name).replace("_", " ").split()).lower()
    ids = _index().get(key, [])
    if len(ids) == 1:
        return ids[0]
    if ids:
        candidates = [(i, ", ".join(classes()[i].names)) for i in ids]
        listing = "; ".join(f"{i}: {n}" for i, n in candidates)
        raise ClassNameError(
            f"{name!r} names {len(ids)} ImageNet classes: {listing}. Pass the id or a fuller name.", candidates
        )
    close = difflib.get_close_matches(key, list(_index()), n=5, cutoff=0.6)
    partial = [k for k in _index() if key and key in k][:5]
    names = list(dict.fromkeys(close + partial))[:8]
    candidates = [(_index()[k][0], k) for k in names]
    hint = "; ".join(f"{i}: {k}" for i, k in candidates) or "none close"
    raise ClassNameError(f"{name!r} is not an ImageNet class name. Close matches: {hint}.", candidates)


def decode_top_k(probabilities, k: int = 5) -> list[list[dict]]:
    """Top-k classes of each row of a (N, 1000) probability array: ``[{"id", "name", "probability"}]``."""
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim == 1:
        probs = probs[None]
    if probs.shape[-1] != NUM_CLASSES:
        raise ValueError(f"expected {NUM_CLASSES} class probabilities per row, got shape {probs.shape}")
    out = []
    for row in probs:
        top = np.argsort(-row)[:k]
        out.append([{"id": int(i), "name": class_name(i), "probability": float(row[i])} for i in top])
    return out
