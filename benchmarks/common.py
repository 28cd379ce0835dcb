"""Shared by the benchmark scripts: where the sample data is, and writing a JSON result."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TRANSFERLAB_DATA") or ROOT.parent / "shared" / "data")
OXFORD = DATA / "oxford-iiit-pet"
RESULTS = ROOT / "benchmarks" / "results"


def device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return f"GPU: {tf.config.experimental.get_device_details(gpus[0]).get('device_name', gpus[0].name)}"
    return f"CPU: {os.cpu_count()} cores, {platform.processor() or platform.machine()}"


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "date": time.strftime("%Y-%m-%d %H:%M"), "device": device(), **result}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))
    return path
