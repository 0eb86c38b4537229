"""Checks that a model saved by `webgrad train --save` loads into PyTorch unchanged and gives the
same logits as webgrad on the bundled MNIST test split.

Usage (needs torch + safetensors + numpy, e.g. the venv of make_fixtures.py), from the repo root:
    webgrad train --dataset mnist --epochs 1 --save /tmp/m.safetensors
    webgrad eval /tmp/m.safetensors --save-outputs /tmp/m.logits.npy
    python tests/golden/check_torch_load.py /tmp/m.safetensors /tmp/m.logits.npy

It rebuilds the `nn.Sequential` from the saved JSON (`torch` field), loads the weights with
`load_state_dict(strict=True)`, applies the JSON's `preprocessing` (to the inputs, and for a
regression model trained on standardised targets to the outputs), and prints PyTorch's accuracy and the max absolute difference
between PyTorch's and webgrad's logits.
"""
import gzip, json, sys
import numpy as np
import torch
from torch import nn  # noqa: F401  (used by eval of the saved expression)
from safetensors.torch import load_file

path = sys.argv[1]
meta = json.load(open(path.replace(".safetensors", ".json")))
model = eval(meta["torch"])
model.load_state_dict(load_file(path), strict=True)
model.eval()

def idx(p):
    b = gzip.open(p).read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)

# the model's preprocessing, as webgrad applies it: pixels / 255 (rounded once to f32), then
# (x - mean) / std per feature in f32 when the model was trained on standardised features
pre = meta.get("preprocessing") or {}
x = torch.tensor(idx("assets/mnist/t10k-images-idx3-ubyte.gz").reshape(-1, 784) * (pre.get("scale") or 1.0),
                 dtype=torch.float32)
if pre.get("standardize"):
    mean = torch.tensor(pre["standardize"]["mean"], dtype=torch.float32)
    std = torch.tensor(pre["standardize"]["std"], dtype=torch.float32)
    x = (x - mean) / std
y = torch.tensor(idx("assets/mnist/t10k-labels-idx1-ubyte.gz").astype(np.int64))
with torch.no_grad():
    logits = model(x)
# a regression model trained on standardised targets: its outputs z map back to the targets'
# units as z * std + mean per output (in f32), which is what `webgrad eval --save-outputs` writes
if pre.get("target_standardize"):
    logits = logits * torch.tensor(pre["target_standardize"]["std"], dtype=torch.float32) \
        + torch.tensor(pre["target_standardize"]["mean"], dtype=torch.float32)
print(f"torch accuracy on the 2,000 test digits: {(logits.argmax(1) == y).float().mean().item():.4f}")
if len(sys.argv) > 2:
    ours = np.load(sys.argv[2]).reshape(logits.shape)
    worst = np.abs(logits.numpy() - ours).max()
    print(f"max |logits_torch - logits_webgrad| = {worst:.3e}")
    # CI checks the same round trip without PyTorch: tests/roundtrip/check_export.py
    if not worst <= 1e-4 * (1 + np.abs(ours).max()):
        sys.exit("the logits differ from webgrad's")
