"""The ``transferlab`` command: the course's functions from a shell.

    transferlab classify IMAGE... [--backbone NAME] [--top K] [--json]
    transferlab data scan DIR [--json]
    transferlab probe DATA_DIR --task species|breed [--backbone NAME] [--json]
    transferlab dream --class NAME --out PNG [--steps N] [--tv W] [--backbone B] [--seed S] [--json]
    transferlab attack IMAGE --target NAME --eps PIXELS --out PNG [--steps N] [--backbone B] [--json]
    transferlab run [--smoke] [NAME...]
    transferlab demo [--out DIR]
    transferlab grade SUBMISSIONS --out scores.csv
    transferlab assign [--run-tests]

Errors a user can fix (a missing file, an unknown class or backbone, no network) print one line
and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _quiet_tensorflow() -> None:
    """Import TensorFlow and start its devices with C++ stderr muted: its start-up lines (oneDNN notes,
    "no CUDA drivers") are written before any log level applies and would bury the command's output."""
    if os.environ.get("TRANSFERLAB_VERBOSE_TF"):
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf

            tf.config.list_logical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class UserError(Exception):
    """An error the user can fix; printed as one line."""


def _user_errors():
    """The exception types that mean 'bad input', not 'bug'."""
    from transferlab import backbones, datasets, imagenet, images, lite0

    return (
        UserError,
        FileNotFoundError,
        imagenet.ClassNameError,
        backbones.BackboneError,
        backbones.WeightsUnavailableError,
        datasets.DatasetError,
        images.ImageError,
        lite0.WeightsUnavailableError,
    )


def _emit(args, obj, text: str) -> None:
    print(json.dumps(obj) if getattr(args, "json", False) else text)


# --------------------------------------------------------------------------- classify


def cmd_classify(args) -> int:
    import numpy as np

    from transferlab import backbones, imagenet, images, pipeline

    entry = backbones.get(args.backbone)
    model = None
    results, failed = [], 0
    for path in args.images:
        try:
            rgb = images.load_rgb(path)
        except images.ImageError as exc:
            print(f"transferlab: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if model is None:
            model = backbones.build(entry.name)
        x = pipeline.prepare_image(rgb, entry.input_size)[None]
        probs = model.predict(x, verbose=0)[0]
        top = imagenet.decode_top_k(np.asarray(probs), args.top)[0]
        results.append({"image": str(path), "top": top})
        if not args.json:
            print(path)
            for rank, t in enumerate(top, 1):
                print(f"  {rank}. {t['name']:<28} {t['probability']:.4f}  (class {t['id']})")
    if args.json:
        print(json.dumps({"results": results}))
    return 1 if failed else 0


# --------------------------------------------------------------------------- data scan


def cmd_data_scan(args) -> int:
    from transferlab import images

    index = images.scan(args.dir, progress=not args.json)
    summary = index.summary()
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{args.dir}: {summary['usable']} usable images")
    for title, key in (("skipped", "skipped"), ("converted to RGB (kept)", "converted")):
        if summary[key]:
            print(f"  {title}: " + ", ".join(f"{n} {reason}" for reason, n in sorted(summary[key].items())))
    for path, reason in sorted(index.skipped.items()):
        print(f"    skipped {path}: {reason}")
    return 0


# --------------------------------------------------------------------------- probe


def cmd_probe(args) -> int:
    from transferlab import probe

    result = probe.linear_probe(args.data_dir, task=args.task, backbone=args.backbone, verbose=0 if args.json else 1)
    _emit(
        args,
        result.to_dict(),
        f"{result.task} with {result.backbone}: test accuracy {result.accuracy:.4f} "
        f"({result.n_train} train, {result.n_test} test images, {result.seconds:.1f} s)",
    )
    return 0


# --------------------------------------------------------------------------- dream


def cmd_dream(args) -> int:
    from transferlab import backbones, dream, imagenet, images

    class_id = imagenet.class_id(args.class_name)
    model = backbones.build(args.backbone)
    result = dream.dream(
        model, class_id, steps=args.steps, tv_weight=args.tv, seed=args.seed, jitter=args.jitter, progress=not args.json
    )
    images.save_png(result.image, args.out)
    written = images.load_rgb(args.out).astype("float32")
    probability = float(model.predict(written[None], verbose=0)[0, class_id])
    obj = {
        "class_id": class_id,
        "probability": probability,
        "steps": result.steps,
        "seconds": round(result.seconds, 3),
        "total_variation": round(dream.total_variation(written), 3),
    }
    _emit(
        args,
        obj,
        f"{args.out}: {imagenet.class_name(class_id)} (class {class_id}) with probability "
        f"{probability:.4f} after {result.steps} steps, {result.seconds:.1f} s; "
        f"total variation {obj['total_variation']:.2f}",
    )
    return 0


# --------------------------------------------------------------------------- attack


def cmd_attack(args) -> int:
    import numpy as np

    from transferlab import attacks, backbones, imagenet, images, pipeline

    target = imagenet.class_id(args.target)
    rgb = images.load_rgb(args.image)
    entry = backbones.get(args.backbone)
    model = backbones.build(entry.name)
    x = np.rint(pipeline.prepare_image(rgb, entry.input_size))
    result = attacks.pgd(model, x, target, eps=args.eps, steps=args.steps)
    images.save_png(result.adversarial[0], args.out)
    written = images.load_rgb(args.out).astype("float32")
    probs = model.predict(np.stack([x, written]), verbose=0)
    before, after = probs[0], probs[1]
    original = int(before.argmax())
    obj = {
        "original": {"id": original, "name": imagenet.class_name(original), "probability": float(before[original])},
        "target_id": target,
        "success": bool(after.argmax() == target),
        "target_probability": float(after[target]),
        "max_abs_perturbation": float(np.abs(written - x).max()),
        "steps": result.steps,
        "seconds": round(result.seconds, 3),
    }
    now = int(after.argmax())
    _emit(
        args,
        obj,
        f"{args.image}: {obj['original']['name']} ({obj['original']['probability']:.3f}) -> "
        f"{imagenet.class_name(now)} ({after[now]:.3f}); target {imagenet.class_name(target)} "
        f"{'reached' if obj['success'] else 'NOT reached'} with max |change| {obj['max_abs_perturbation']:.0f}/255 "
        f"in {result.steps} steps; wrote {args.out}",
    )
    return 0 if obj["success"] else 1


# --------------------------------------------------------------------------- run, demo, grade


def cmd_run(args) -> int:
    from transferlab import runner

    return runner.run_course(args.names, smoke=args.smoke, out_dir=args.out, timeout=args.timeout)


def cmd_demo(args) -> int:
    from transferlab import demo

    return demo.run_demo(args.out)


def cmd_grade(args) -> int:
    from transferlab import grading

    return grading.grade_folder(args.submissions, args.out, timeout=args.timeout, autograder=args.autograder)


def cmd_assign(args) -> int:
    from transferlab import grading

    zip_path = grading.assign(run_tests=args.run_tests)
    print(f"wrote {grading.STUDENT} and {zip_path}")
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from transferlab import __version__

    p = argparse.ArgumentParser(prog="transferlab", description="Pre-trained networks and transfer learning.")
    p.add_argument("--version", action="version", version=f"transferlab {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    bb = dict(default="efficientnet_lite0", help="backbone name (default: efficientnet_lite0, offline)")

    c = sub.add_parser("classify", help="top-K ImageNet classes of images")
    c.add_argument("images", nargs="+")
    c.add_argument("--backbone", **bb)
    c.add_argument("--top", type=int, default=5)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_classify)

    d = sub.add_parser("data", help="dataset tools")
    dsub = d.add_subparsers(dest="data_command", required=True)
    s = dsub.add_parser("scan", help="decode every image once: usable, skipped (why), converted")
    s.add_argument("dir")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_data_scan)

    pr = sub.add_parser("probe", help="linear probe on Oxford-IIIT Pet: trainval -> test accuracy")
    pr.add_argument("data_dir")
    pr.add_argument("--task", choices=["species", "breed"], default="species")
    pr.add_argument("--backbone", **bb)
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(func=cmd_probe)

    dr = sub.add_parser("dream", help="optimise an image from noise until the network sees a class")
    dr.add_argument("--class", dest="class_name", required=True, help="ImageNet class name or id")
    dr.add_argument("--out", required=True)
    dr.add_argument("--steps", type=int, default=200)
    dr.add_argument("--tv", type=float, default=0.0, help="total-variation weight (0: none; try 10)")
    dr.add_argument("--jitter", type=int, default=8, help="random shift in pixels each step")
    dr.add_argument("--backbone", **bb)
    dr.add_argument("--seed", type=int, default=0)
    dr.add_argument("--json", action="store_true")
    dr.set_defaults(func=cmd_dream)

    a = sub.add_parser("attack", help="targeted adversarial example within +-EPS pixels")
    a.add_argument("image")
    a.add_argument("--target", required=True, help="ImageNet class name or id")
    a.add_argument("--eps", type=float, default=2.0, help="L-infinity bound in pixel values (of 255)")
    a.add_argument("--out", required=True)
    a.add_argument("--steps", type=int, default=10)
    a.add_argument("--backbone", **bb)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_attack)

    r = sub.add_parser("run", help="execute the notebooks and the lab solution in order")
    r.add_argument("names", nargs="*", help="notebook names or numbers (default: all)")
    r.add_argument("--smoke", action="store_true", help="tiny subsets, one epoch")
    r.add_argument("--out", default="build")
    r.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    r.set_defaults(func=cmd_run)

    dm = sub.add_parser("demo", help="offline hello world: classify, dream, attack; pictures in build/demo")
    dm.add_argument("--out", default="build/demo")
    dm.set_defaults(func=cmd_demo)

    g = sub.add_parser("grade", help="grade a folder of lab submissions (no Docker)")
    g.add_argument("submissions")
    g.add_argument("--out", default="scores.csv")
    g.add_argument("--timeout", type=int, default=600, help="seconds per submission")
    g.add_argument("--autograder", default=None, help="autograder zip (default: lab/dist/autograder)")
    g.set_defaults(func=cmd_grade)

    asg = sub.add_parser("assign", help="regenerate the lab's student notebook and autograder from its master")
    asg.add_argument("--run-tests", action="store_true", help="also run the solution against every test")
    asg.set_defaults(func=cmd_assign)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_tensorflow()
    start = time.perf_counter()
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        print("transferlab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - sorted below into user errors and bugs
        if isinstance(exc, _user_errors()):
            print(f"transferlab: error: {exc}", file=sys.stderr)
            return 2
        raise
    if os.environ.get("TRANSFERLAB_TIMING"):
        print(f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
