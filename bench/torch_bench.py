"""PyTorch (CPU, one thread) on the workloads of webgrad's benchmark suite, for `cargo xtask bench`.

    python3 bench/torch_bench.py [DATA_DIR]
    WEBGRAD_TORCH_DEVICE=cuda python3 bench/torch_bench.py [DATA_DIR]   # on a GPU

DATA_DIR (default target/bench-data) is what `cargo run --release -p webgrad-nn --example
bench_data -- DATA_DIR` writes: the bundled MNIST split, the spiral set, webgrad's batch order and
initial parameters. Timed as crates/webgrad-nn/src/bench.rs times webgrad: MNIST MLP 784-128-64-10
(ReLU, cross-entropy, Adam lr 1e-3 eps 1e-8) at batch 64 and 256, samples/s as the median of
epochs 2-4 after a warm-up epoch; the 2-8-8-2 tanh model at batch 10, steps/s; matmul GFLOP/s.
Every step reads its loss back (`loss.item()`). Adam is PyTorch's fused CPU kernel where the installed
torch has it (faster than its default here). Prints one JSON line per row, with
/proc/loadavg before and after.
"""

import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
torch.manual_seed(0)
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "target", "bench-data")
# "cpu" (one thread, the default) or a GPU ("cuda"): the data, model and products live there, and
# every step's `loss.item()` waits for the device, as webgrad's steps read their loss back.
DEVICE = torch.device(os.environ.get("WEBGRAD_TORCH_DEVICE", "cpu"))


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def read(name, dtype):
    return np.fromfile(os.path.join(DATA, name), dtype=dtype)


def dataset(prefix, meta):
    n, d = meta["n"], meta["d"]
    return {
        "x": torch.from_numpy(read(f"{prefix}_x.f32", "<f4").reshape(n, d).copy()).to(DEVICE),
        "y": torch.from_numpy(read(f"{prefix}_y.i32", "<i4").astype(np.int64)).to(DEVICE),
        "order": torch.from_numpy(read(f"{prefix}_order.u32", "<u4").astype(np.int64).reshape(-1, n)).to(DEVICE),
        "init": read(f"{prefix}_init.f32", "<f4"),
        **meta,
    }


def model(data, act):
    """nn.Sequential with webgrad's initial parameters (weight [out, in] then bias, per layer)."""
    sizes = [data["d"], *data["hidden"], data["classes"]]
    layers, at = [], 0
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        lin = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(data["init"][at : at + fan_in * fan_out].reshape(fan_out, fan_in)))
            at += fan_in * fan_out
            lin.bias.copy_(torch.from_numpy(data["init"][at : at + fan_out]))
            at += fan_out
        layers.append(lin)
        if i + 2 < len(sizes):
            layers.append(act())
    assert at == len(data["init"]), "initial parameters do not match the model"
    return torch.nn.Sequential(*layers).to(DEVICE)


ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}


def adam(params):
    """PyTorch's fastest Adam on the CPU: the fused kernel (torch >= 2.4), else the default."""
    params = list(params)
    try:
        return torch.optim.Adam(params, fused=True, **ADAM)
    except (TypeError, RuntimeError):
        return torch.optim.Adam(params, **ADAM)


def trainer(data, act):
    net = model(data, act)
    opt = adam(net.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(idx):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(data["x"][idx]), data["y"][idx])
        loss.backward()
        opt.step()
        value = loss.item()
        if value != value or abs(value) == float("inf"):
            raise RuntimeError(f"diverged (loss {value})")
        return value

    return step


def batches(data, epoch, batch):
    order = data["order"][epoch % data["epochs"]]
    return [order[s : s + batch] for s in range(0, data["n"], batch)]


def mnist(data, batch):
    step = trainer(data, torch.nn.ReLU)
    per_epoch, last = [], float("nan")
    for epoch in range(4):
        todo = batches(data, epoch, batch)
        start = time.perf_counter()
        for idx in todo:
            last = step(idx)
        per_epoch.append(time.perf_counter() - start)
    secs = statistics.median(per_epoch[1:])
    n = data["n"]
    return {
        "workload": f"mnist_mlp_b{batch}",
        "value": round(n / secs, 1),
        "unit": "samples/s",
        "ms_per_step": round(1e3 * secs / len(todo), 4),
        "batch": batch,
        "first_epoch_samples_per_s": round(n / per_epoch[0], 1),
        "epoch_samples_per_s": [round(n / s, 1) for s in per_epoch],
        "last_loss": finite_or_none(last),
    }


def finite_or_none(x):
    """A loss for the JSON line: json.dumps writes NaN as a bare `NaN`, which is not JSON (the
    xtask table reads a null loss as a diverged run)."""
    return x if math.isfinite(x) else None


def timed(reps, f):
    start = time.perf_counter()
    for _ in range(reps):
        f()
    return time.perf_counter() - start


def reps_for(secs, target):
    return max(1, min(1_000_000, int(-(-target // max(secs, 1e-9)))))


def playground(data):
    step = trainer(data, torch.nn.Tanh)
    state = {"epoch": 0, "todo": batches(data, 0, 10), "last": float("nan")}

    def one():
        if not state["todo"]:
            state["epoch"] += 1
            state["todo"] = batches(data, state["epoch"], 10)
        state["last"] = step(state["todo"].pop(0))

    warm = timed(200, one)
    reps = reps_for(warm / 200, 0.2)
    value = statistics.median(reps / timed(reps, one) for _ in range(5))
    return {
        "workload": "playground_2-8-8-2_b10",
        "value": round(value, 1),
        "unit": "steps/s",
        "ms_per_step": round(1e3 / value, 4),
        "batch": 10,
        "last_loss": finite_or_none(state["last"]),
    }


def matmul(m, k, n):
    a, b = torch.rand(m, k, device=DEVICE) * 2 - 1, torch.rand(k, n, device=DEVICE) * 2 - 1
    check = [0.0]

    def product():
        check[0] = torch.mm(a, b)[0, 0].item()

    reps = reps_for(timed(1, product), 0.25)
    rates = [2 * m * k * n * reps / timed(reps, product) / 1e9 for _ in range(5)]
    return {"workload": f"matmul_{m}x{k}x{n}", "value": round(statistics.median(rates), 1), "unit": "GFLOP/s",
            "m": m, "k": k, "n": n, "check": check[0]}


def main():
    with open(os.path.join(DATA, "meta.json")) as f:
        meta = json.load(f)
    mnist_data, spiral_data = dataset("mnist", meta["mnist"]), dataset("spiral", meta["spiral"])
    runs = [
        lambda: mnist(mnist_data, 64),
        lambda: mnist(mnist_data, 256),
        lambda: playground(spiral_data),
        lambda: matmul(1024, 1024, 1024),
        lambda: matmul(64, 784, 128),
    ]
    fused = adam([torch.zeros(1, requires_grad=True)]).defaults.get("fused")
    where = torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else DEVICE.type
    base = {"framework": "pytorch", "place": "native", "device": f"torch-{torch.__version__}-{where}",
            "threads": torch.get_num_threads(), "adam_fused": bool(fused)}
    for run in runs:
        before = loadavg()
        row = run()
        print(json.dumps({**base, **row, "load": {"before": before, "after": loadavg()}}), flush=True)


if __name__ == "__main__":
    main()
