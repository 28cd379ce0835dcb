"""Cross-check the Keras EfficientNet-Lite0 port against a PyTorch forward pass of the same checkpoint.

Run in TWO environments (the course's must never hold torch):

    .venv/bin/python benchmarks/torch_crosscheck.py export /tmp/lite0_check.npz     # course venv: inputs + Keras logits
    OTHER_VENV/bin/python benchmarks/torch_crosscheck.py compare /tmp/lite0_check.npz CHECKPOINT.pth
    (the second in a venv with torch: its logits and the difference)

The PyTorch side is written with ``torch.nn.functional`` only: TF "SAME" padding, BatchNormalization
with epsilon 1e-3, ReLU6, input (x - 127) / 128, as the checkpoint's original TensorFlow graph.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)


def export(out: str) -> None:
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from reference_inputs import reference_inputs
    from transferlab import backbones, lite0

    x = reference_inputs()
    logits = backbones.logits_model(backbones.build("efficientnet_lite0")).predict(x, verbose=0)
    np.savez(out, inputs=x, keras_logits=logits, checkpoint=str(lite0.checkpoint_path()))
    print(f"wrote {out}: inputs {x.shape}, checkpoint {lite0.checkpoint_path()}")


def torch_logits(state, x):
    import math

    import torch
    import torch.nn.functional as F

    def same_conv(t, w, stride, groups=1):
        k = w.shape[-1]
        pads = []
        for size in (t.shape[-1], t.shape[-2]):  # width then height, as F.pad wants
            out = math.ceil(size / stride)
            total = max((out - 1) * stride + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(t, pads), w, stride=stride, groups=groups)

    def bn(t, key):
        return F.batch_norm(
            t,
            state[key + ".running_mean"],
            state[key + ".running_var"],
            state[key + ".weight"],
            state[key + ".bias"],
            training=False,
            eps=1e-3,
        )

    def relu6(t):
        return torch.clamp(t, 0, 6)

    t = (torch.from_numpy(x).permute(0, 3, 1, 2).float() - 127.0) / 128.0
    t = relu6(bn(same_conv(t, state["_conv_stem.weight"], 2), "_bn0"))
    i, f_in = 0, 32
    for expand, _kernel, stride, f_out, repeats in STAGES:
        for r in range(repeats):
            s = stride if r == 0 else 1
            p = f"_blocks.{i}."
            shortcut = t
            if expand != 1:
                t = relu6(bn(same_conv(t, state[p + "_expand_conv.weight"], 1), p + "_bn0"))
            t = relu6(bn(same_conv(t, state[p + "_depthwise_conv.weight"], s, groups=t.shape[1]), p + "_bn1"))
            t = bn(same_conv(t, state[p + "_project_conv.weight"], 1), p + "_bn2")
            if s == 1 and f_in == f_out:
                t = t + shortcut
            f_in, i = f_out, i + 1
    t = relu6(bn(same_conv(t, state["_conv_head.weight"], 1), "_bn1"))
    t = t.mean(dim=(2, 3))
    return F.linear(t, state["_fc.weight"], state["_fc.bias"]).numpy()


def compare(npz: str, checkpoint: str | None) -> None:
    import numpy as np
    import torch

    data = np.load(npz)
    state = torch.load(checkpoint or str(data["checkpoint"]), map_location="cpu", weights_only=False)
    with torch.no_grad():
        ours = torch_logits(state, data["inputs"])
    diff = np.abs(ours - data["keras_logits"])
    result = {
        "torch": torch.__version__,
        "max_abs_logit_difference": float(diff.max()),
        "mean_abs_logit_difference": float(diff.mean()),
        "top1_torch": ours.argmax(-1).tolist(),
        "top1_keras": data["keras_logits"].argmax(-1).tolist(),
    }
    print(json.dumps(result, indent=2))
    out = Path(__file__).resolve().parent / "results" / "torch_crosscheck.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
