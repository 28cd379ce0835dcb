"""The transferlab command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from support import OXFORD_REAL, requires_real_data


def run_cli(*args, timeout=300):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "transferlab", *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env
    )


def test_classify_chelsea_json_and_bad_files(chelsea_jpeg, tmp_path):
    (tmp_path / "notes.jpg").write_text("not a photo")
    out = run_cli("classify", tmp_path / "missing.jpg", chelsea_jpeg, tmp_path / "notes.jpg", "--top", "3", "--json")
    assert out.returncode == 1, "some images failed"
    results = json.loads(out.stdout)["results"]
    assert [r["image"] for r in results] == [str(chelsea_jpeg)], "the good image is still classified"
    assert {t["id"] for t in results[0]["top"]} == {281, 282, 285}
    errors = [ln for ln in out.stderr.splitlines() if ln.startswith("transferlab: error:")]
    assert len(errors) == 2 and "missing.jpg: no such file" in errors[0] and "not an image" in errors[1]
    assert "Traceback" not in out.stderr


def test_classify_text_output(chelsea_jpeg):
    out = run_cli("classify", chelsea_jpeg, "--top", "3")
    assert out.returncode == 0, out.stderr
    assert "tiger cat" in out.stdout and "Egyptian cat" in out.stdout and "tabby" in out.stdout


def test_unknown_class_and_backbone_are_one_line_errors(chelsea_jpeg, tmp_path):
    out = run_cli("attack", chelsea_jpeg, "--target", "crane", "--out", tmp_path / "x.png")
    assert out.returncode == 2 and "134" in out.stderr and "517" in out.stderr and "Traceback" not in out.stderr
    out = run_cli("classify", chelsea_jpeg, "--backbone", "alexnet")
    assert out.returncode == 2 and "efficientnet_lite0" in out.stderr


def test_attack_json_is_measured_on_the_written_png(tmp_path):
    from PIL import Image

    from transferlab import images

    x = np.random.default_rng(1).integers(0, 256, (240, 260, 3)).astype(np.uint8)
    Image.fromarray(x).save(tmp_path / "noise.png")
    out = run_cli(
        "attack", tmp_path / "noise.png", "--target", "tabby", "--eps", "3", "--out", tmp_path / "adv.png", "--json"
    )
    obj = json.loads(out.stdout)
    assert set(obj) == {
        "original",
        "target_id",
        "success",
        "target_probability",
        "max_abs_perturbation",
        "steps",
        "seconds",
    }
    assert obj["target_id"] == 281 and obj["success"] and obj["max_abs_perturbation"] <= 3
    assert images.load_rgb(tmp_path / "adv.png").shape == (224, 224, 3)


def test_dream_json(tmp_path):
    out = run_cli("dream", "--class", "zebra", "--steps", "30", "--out", tmp_path / "z.png", "--json")
    assert out.returncode == 0, out.stderr[-2000:]
    obj = json.loads(out.stdout)
    assert obj["class_id"] == 340 and obj["steps"] == 30 and obj["probability"] > 0.5
    assert (tmp_path / "z.png").is_file()


def test_data_scan_json(tmp_path):
    from support import write_bad_files

    write_bad_files(tmp_path / "photos", np.random.default_rng(2))
    out = run_cli("data", "scan", tmp_path / "photos", "--json")
    assert json.loads(out.stdout) == {
        "usable": 4,
        "skipped": {"empty": 1, "truncated": 1, "not an image": 1},
        "converted": {"PNG named .jpg": 1, "GIF named .jpg": 1, "CMYK JPEG": 1, "greyscale JPEG": 1},
    }


@requires_real_data
def test_probe_command_species():
    out = run_cli("probe", OXFORD_REAL, "--task", "species", "--json")
    obj = json.loads(out.stdout)
    assert obj["task"] == "species" and obj["backbone"] == "efficientnet_lite0"
    assert obj["accuracy"] >= 0.98 and obj["n_train"] == 592 and obj["n_test"] == 296


def test_python_dash_m_and_missing_folder(tmp_path):
    out = run_cli("data", "scan", tmp_path / "nowhere")
    assert out.returncode == 2 and "no such folder" in out.stderr


@pytest.mark.parametrize("args", [["--version"]])
def test_version(args):
    assert run_cli(*args).stdout.startswith("transferlab ")
