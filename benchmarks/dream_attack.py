"""Dreaming and attacking with EfficientNet-Lite0, and our PGD against IBM's Adversarial Robustness Toolbox.

* dream: "tabby" from noise, 200 steps, without and with the variation loss (as ``transferlab dream``);
* attack: every real dog photo of the Oxford-IIIT Pet sample that the network first classifies as a dog
  breed, targeted to "tabby" at eps 2/255 with at most 10 steps; success and the max change measured on
  the PNGs as written;
* ART: its ProjectedGradientDescent on the same first images, same eps, step and iterations (ART is a
  benchmark-only dependency: ``pip install -r benchmarks/requirements.txt``).

    .venv/bin/python benchmarks/dream_attack.py [N_ART]  -> benchmarks/results/dream_attack.json
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import OXFORD, write_result

from transferlab import attacks, backbones, dream, imagenet, images, pipeline

TABBY = imagenet.class_id("tabby")


def dog_photos() -> np.ndarray:
    files = sorted(p for p in (OXFORD / "images").glob("*.jpg") if p.name[0].islower())
    return np.stack([pipeline.prepare_image(images.load_rgb(p), 224) for p in files])


def run_art(model, x: np.ndarray, eps: float, steps: int) -> dict:
    import tensorflow as tf
    from art.attacks.evasion import ProjectedGradientDescent
    from art.estimators.classification import TensorFlowV2Classifier

    logits = backbones.logits_model(model)
    classifier = TensorFlowV2Classifier(
        model=logits,
        nb_classes=1000,
        input_shape=(224, 224, 3),
        clip_values=(0.0, 255.0),
        loss_object=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    attack = ProjectedGradientDescent(
        classifier,
        norm=np.inf,
        eps=eps,
        eps_step=1.0,
        max_iter=steps,
        targeted=True,
        num_random_init=0,
        batch_size=32,
        verbose=False,
    )
    start = time.perf_counter()
    adv = attack.generate(x=x, y=np.full(len(x), TABBY))
    seconds = time.perf_counter() - start
    as_png = np.clip(np.rint(adv), 0, 255)
    top_float = model.predict(adv, verbose=0).argmax(-1)
    top_png = model.predict(as_png, verbose=0).argmax(-1)
    return {
        "success_rate_float": round(float(np.mean(top_float == TABBY)), 4),
        "success_rate_8bit": round(float(np.mean(top_png == TABBY)), 4),
        "max_abs_perturbation_8bit": float(np.abs(as_png - x).max()),
        "seconds": round(seconds, 1),
    }


def main(n_art: int = 96) -> None:
    model = backbones.build("efficientnet_lite0")
    out = {"backbone": "efficientnet_lite0"}

    plain = dream.dream(model, TABBY, steps=200)
    smooth = dream.dream(model, TABBY, steps=200, tv_weight=10.0)
    out["dream"] = {
        name: {
            "probability": round(r.probability, 4),
            "steps": r.steps,
            "seconds": round(r.seconds, 1),
            "first_step_at_0.99": next((i for i, p in enumerate(r.probabilities) if p >= 0.99), None),
            "total_variation": round(r.total_variation, 2),
        }
        for name, r in (("no_tv", plain), ("tv_10", smooth))
    }
    out["dream"]["tv_ratio"] = round(smooth.total_variation / plain.total_variation, 3)

    x = dog_photos()
    first = model.predict(x, verbose=0).argmax(-1)
    dogs = x[(first >= 151) & (first <= 268)]
    start = time.perf_counter()
    adversarial, success_steps = [], []
    for i in range(0, len(dogs), 32):
        r = attacks.pgd(model, dogs[i : i + 32], TABBY, eps=2, steps=10)
        adversarial.append(r.adversarial)
        success_steps.append(r.steps)
    seconds = time.perf_counter() - start
    adversarial = np.concatenate(adversarial)
    with tempfile.TemporaryDirectory() as tmp:
        written = np.stack(
            [images.load_rgb(images.save_png(a, Path(tmp) / f"{i}.png")) for i, a in enumerate(adversarial)]
        ).astype(np.float32)
    top = model.predict(written, verbose=0).argmax(-1)
    out["attack"] = {
        "dog_photos": len(x),
        "classified_as_dog": len(dogs),
        "eps": 2,
        "max_steps": 10,
        "success_rate_png": round(float(np.mean(top == TABBY)), 4),
        "max_abs_perturbation_png": float(np.abs(written - dogs).max()),
        "seconds": round(seconds, 1),
        "images_per_s": round(len(dogs) / seconds, 2),
    }

    subset = dogs[:n_art]
    start = time.perf_counter()
    ours = attacks.pgd(model, subset, TABBY, eps=2, steps=10, stop_early=False)
    out["comparison_on_first"] = {
        "images": len(subset),
        "transferlab_pgd": {
            "success_rate_8bit": round(ours.success_rate, 4),
            "seconds": round(time.perf_counter() - start, 1),
            "max_abs_perturbation_8bit": ours.max_abs_perturbation,
        },
    }
    try:
        out["comparison_on_first"]["art_pgd"] = run_art(model, subset, 2.0, 10)
    except ImportError:
        out["comparison_on_first"]["art_pgd"] = "not installed: pip install -r benchmarks/requirements.txt"
    write_result("dream_attack", out)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 96)
