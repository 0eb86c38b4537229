"""An independent reader of webgrad's exported models: numpy + the `safetensors` package, no
webgrad code and no PyTorch. It loads the file by its PyTorch state_dict names (strictly: every
tensor the description implies, nothing else), applies the description's preprocessing to the
bundled MNIST test split (and a target standardisation, if any, to the outputs), runs the
forward pass in float64 (dropout is the identity at evaluation), and compares the logits with
webgrad's (`webgrad eval --save-outputs`).

Usage, from the repository root (scripts/setup.sh makes .venv-check with numpy and safetensors):
    .venv-check/bin/python tests/roundtrip/check_export.py model.safetensors logits.npy
Exits 1, saying what differs, when a tensor is missing, extra or misshapen, or a logit differs by
more than 1e-4 · (1 + |logit|).
"""
import gzip
import json
import math
import sys

import numpy as np
from safetensors import safe_open


def fail(msg):
    print(f"check_export: {msg}")
    sys.exit(1)


def idx(path):
    b = gzip.open(path).read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


ACTIVATIONS = {
    "identity": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "gelu": lambda x: 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0))),
}


def layers(model):
    """(state_dict prefix, activation) of each Linear, in order: nn.Sequential numbers the
    activation and the dropout modules too."""
    index, out = 0, []
    for layer in model["hidden"]:
        out.append((index, layer["activation"]))
        index += 1 + (layer["activation"] != "identity") + (layer.get("dropout", 0.0) > 0.0)
    out.append((index, "identity"))
    return out


def main(model_path, logits_path):
    with safe_open(model_path, framework="numpy") as f:
        meta = json.loads((f.metadata() or {}).get("webgrad") or fail("no embedded model description"))
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    model = meta["model"]
    dims = [model["input"]] + [l["width"] for l in model["hidden"]]
    head = model["head"]
    dims.append({"softmax": lambda: head["classes"], "sigmoid": lambda: 1, "linear": lambda: head["outputs"]}[head["kind"]]())
    expected = {}
    for (prefix, _), fan_in, fan_out in zip(layers(model), dims, dims[1:]):
        expected[f"{prefix}.weight"] = (fan_out, fan_in)
        expected[f"{prefix}.bias"] = (fan_out,)
    if set(tensors) != set(expected):
        fail(f"tensors {sorted(tensors)} are not the state_dict {sorted(expected)}")
    for name, shape in expected.items():
        if tensors[name].shape != shape or tensors[name].dtype != np.float32:
            fail(f"{name} is {tensors[name].dtype} {tensors[name].shape}, expected float32 {shape}")

    pre = meta.get("preprocessing") or {}
    x = idx("assets/mnist/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)
    if pre.get("scale"):
        x = x * np.float32(pre["scale"])
    if pre.get("standardize"):
        x = (x - np.array(pre["standardize"]["mean"], np.float32)) / np.array(pre["standardize"]["std"], np.float32)
    h = x.astype(np.float64)
    for prefix, activation in layers(model):
        h = ACTIVATIONS[activation](h @ tensors[f"{prefix}.weight"].astype(np.float64).T + tensors[f"{prefix}.bias"])
    if pre.get("target_standardize"):
        # a regression model trained on standardised targets: webgrad writes its outputs mapped
        # back to the targets' units, z * std + mean per output
        t = pre["target_standardize"]
        h = h * np.array(t["std"], np.float64) + np.array(t["mean"], np.float64)
    ours = np.load(logits_path).reshape(h.shape)
    worst = np.max(np.abs(h - ours) / (1.0 + np.abs(h)))
    labels = idx("assets/mnist/t10k-labels-idx1-ubyte.gz")
    accuracy = float(np.mean(np.argmax(h, 1) == labels))
    print(f"check_export: {model_path}: {len(expected)} tensors by state_dict name, numpy accuracy "
          f"{accuracy:.4f}, max |Δlogit| / (1 + |logit|) = {worst:.2e}")
    if not worst <= 1e-4:
        fail(f"logits differ from webgrad's by {worst:.2e} (relative), more than 1e-4")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
