"""``transferlab demo``: the offline hello world. No dataset, no network.

Classifies the photos that ship with scikit-image, draws an ideal tabby cat, and turns Chelsea the
cat into a "golden retriever" within 2/255 per pixel, all with the offline EfficientNet-Lite0;
writes the pictures under ``build/demo/`` and prints what happened.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")


def run_demo(out_dir: str | Path = "build/demo", dream_steps: int = 150) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from skimage import data

    from transferlab import attacks, backbones, dream, imagenet, images, pipeline, plots

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    model = backbones.build("efficientnet_lite0")
    print(f"EfficientNet-Lite0 with real ImageNet weights loaded offline in {time.perf_counter() - start:.1f} s")

    photos = {name: pipeline.prepare_image(getattr(data, name)(), 224) for name in PHOTOS}
    x = np.stack(list(photos.values()))
    tops = imagenet.decode_top_k(model.predict(x, verbose=0), 3)
    print("\n1. What the network sees in scikit-image's photos:")
    for name, top in zip(photos, tops, strict=True):
        print(f"   {name:<10} " + ", ".join(f"{t['name']} {t['probability']:.2f}" for t in top))
    fig = plots.image_grid(x, [f"{t[0]['name']} {t[0]['probability']:.2f}" for t in tops], ncols=len(photos))
    fig.savefig(out / "classified.png", dpi=80)

    tabby = imagenet.class_id("tabby")
    plain = dream.dream(model, tabby, steps=dream_steps)
    smooth = dream.dream(model, tabby, steps=dream_steps, tv_weight=10.0)
    images.save_png(smooth.image, out / "ideal_tabby.png")
    fig = plots.image_grid(
        [plain.image, smooth.image],
        [f"class score only: P={plain.probability:.3f}", f"+ variation loss: P={smooth.probability:.3f}"],
        ncols=2,
        size=4,
    )
    fig.savefig(out / "ideal_tabby_comparison.png", dpi=80)
    print(
        f"\n2. An ideal tabby from noise in {dream_steps} steps: P(tabby) {plain.probability:.3f} "
        f"(total variation {plain.total_variation:.0f}); with the variation loss {smooth.probability:.3f} "
        f"(total variation {smooth.total_variation:.0f})"
    )

    target = imagenet.class_id("golden retriever")
    result = attacks.pgd(model, photos["chelsea"], target, eps=2, steps=10)
    written = images.load_rgb(images.save_png(result.adversarial[0], out / "adversarial_chelsea.png"))
    after = imagenet.decode_top_k(model.predict(written[None].astype("float32"), verbose=0), 1)[0][0]
    fig = plots.perturbation_grid(
        photos["chelsea"],
        written.astype("float32"),
        titles=[
            f"original: {tops[0][0]['name']}",
            "perturbation (amplified)",
            f"adversarial: {after['name']} {after['probability']:.2f}",
        ],
    )
    fig.savefig(out / "adversarial_comparison.png", dpi=80)
    change = float(np.abs(written.astype(np.float32) - photos["chelsea"]).max())
    print(
        f"\n3. Chelsea the cat, every pixel moved by at most {change:.0f}/255: now '{after['name']}' "
        f"(p {after['probability']:.2f}) after {result.steps} steps"
    )
    print(f"\nPictures in {out}/: " + ", ".join(sorted(p.name for p in out.glob("*.png"))))
    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return 0
