"""Write tests/golden/differential.json: PyTorch's per-step losses, in float32 and float64, for
random training configurations covering what webgrad can train (issue 18's differential test).

How to run (from the repository root; PyTorch is needed only here, never by CI):

    python3 -m venv venv && venv/bin/pip install torch numpy && venv/bin/python tests/golden/make_differential.py

Each case is a model (1-8 inputs, 0-3 hidden layers of 1-24 units, one of the six activations),
a head and loss (softmax cross-entropy with or without label smoothing, sigmoid BCE with logits,
linear MSE or Huber), one of the seven optimizers with its settings (weight decay included), a
learning-rate schedule (constant, StepLR, ExponentialLR, cosine with linear warm-up), gradient
clipping, L1/L2 penalties and a batch size, trained for STEPS steps on rows taken in order.
Dropout is left out: its masks come from each library's own random numbers. Seven more cases are
MNIST-sized (784-64-64-10, batch 16), one per optimizer (`wide`).

The data and initial weights are not stored: both sides draw them from the case's seed with the
same generator (splitmix64; `draw` below, `Draws` in the Rust test), so the file holds only the
settings and the losses. Every number is drawn in float64 and rounded once to float32.

The losses are the data loss of each step (before its update; the penalties are added to what
is differentiated, not to what is reported), as webgrad's Trainer reports them. The float64 run
starts from the same float32 weights and data, so the distance between the two runs is what
float32 rounding alone does to the trajectory.
"""

import json
import math
import os
import random

import torch
from torch import nn

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

CASES = 200
STEPS = 30
SEED = 20261204
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "differential.json")
MASK = (1 << 64) - 1


class Draws:
    """splitmix64; `uniform(lo, hi)` in float64 from the top 53 bits."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self, lo, hi):
        return lo + (hi - lo) * ((self.next() >> 11) / float(1 << 53))

    def floats(self, count, lo, hi):
        """`count` draws rounded to float32 (as a float32 tensor)."""
        return torch.tensor([self.uniform(lo, hi) for _ in range(count)], dtype=torch.float64).float()


def draw(case):
    """(x [n, d], targets, [(weight [out, in], bias [out]) per layer]) of a case, in this order:
    the features row by row, the targets, then each layer's weight (row-major) and bias, all
    uniform; class targets are ⌊u · classes⌋ of a uniform u in [0, 1)."""
    r = Draws(case["seed"])
    n, d = case["batch"] * case["steps"], case["input"]
    x = r.floats(n * d, -2.0, 2.0).reshape(n, d)
    head = case["head"]
    if head["kind"] == "linear":
        y = r.floats(n * head["outputs"], -1.5, 1.5).reshape(n, head["outputs"])
    else:
        classes = head.get("classes", 2)
        y = torch.tensor([min(int(r.uniform(0.0, 1.0) * classes), classes - 1) for _ in range(n)])
    sizes = [d, *[layer["width"] for layer in case["hidden"]], outputs_of(head)]
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        w = r.floats(fan_out * fan_in, -bound, bound).reshape(fan_out, fan_in)
        b = r.floats(fan_out, -bound, bound)
        layers.append((w, b))
    return x, y, layers


def outputs_of(head):
    return {"softmax": lambda: head["classes"], "sigmoid": lambda: 1, "linear": lambda: head["outputs"]}[head["kind"]]()


ACTIVATIONS = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,  # exact (erf), as webgrad's
}


def model(case, layers, dtype):
    modules = []
    for i, (w, b) in enumerate(layers):
        lin = nn.Linear(w.shape[1], w.shape[0], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(w.to(dtype))
            lin.bias.copy_(b.to(dtype))
        modules.append(lin)
        if i < len(case["hidden"]):
            modules.append(ACTIVATIONS[case["hidden"][i]["activation"]]())
    return nn.Sequential(*modules)


def optimizer(cfg, params):
    k = cfg["kind"]
    if k == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"], dampening=cfg["dampening"],
                               nesterov=cfg["nesterov"], weight_decay=cfg["weight_decay"])
    if k in ("adam", "adam_w"):
        make = torch.optim.Adam if k == "adam" else torch.optim.AdamW
        return make(params, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"],
                    weight_decay=cfg["weight_decay"])
    if k == "rms_prop":
        return torch.optim.RMSprop(params, lr=cfg["lr"], alpha=cfg["alpha"], eps=cfg["eps"],
                                   weight_decay=cfg["weight_decay"], momentum=cfg["momentum"], centered=cfg["centered"])
    if k == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg["lr"], lr_decay=cfg["lr_decay"], weight_decay=cfg["weight_decay"],
                                   eps=cfg["eps"])
    raise ValueError(k)


def lr_at(s, base, t):
    """webgrad's Schedule::lr_at: the learning rate of optimizer step t (0-based)."""
    k = s["kind"]
    if k == "constant":
        return base
    if k == "step":
        return base * s["gamma"] ** (t // max(s["step_size"], 1))
    if k == "exponential":
        return base * s["gamma"] ** t
    warm, total = s["warmup_steps"], s["total_steps"]
    if t < warm:
        return base * (s["warmup_start_factor"] + (1 - s["warmup_start_factor"]) * t / warm)
    span = max(total - warm, 1)
    tc = min(t - warm, span)
    return s["min_lr"] + (base - s["min_lr"]) * (1 + math.cos(math.pi * tc / span)) / 2


def loss_fn(cfg):
    k = cfg["kind"]
    if k == "cross_entropy":
        return nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"])
    if k == "bce_with_logits":
        return nn.BCEWithLogitsLoss()
    if k == "mse":
        return nn.MSELoss()
    return nn.HuberLoss(delta=cfg["delta"])


def train(case, dtype):
    x, y, layers = draw(case)
    net = model(case, layers, dtype)
    x = x.to(dtype)
    kind = case["loss"]["kind"]
    if kind in ("mse", "huber"):
        y = y.to(dtype)
    elif kind == "bce_with_logits":
        y = y.to(dtype).reshape(-1, 1)
    opt = optimizer(case["optimizer"], net.parameters())
    loss_of = loss_fn(case["loss"])
    weights = [m.weight for m in net if isinstance(m, nn.Linear)]
    base, batch, losses = case["optimizer"]["lr"], case["batch"], []
    for t in range(case["steps"]):
        for g in opt.param_groups:
            g["lr"] = lr_at(case["schedule"], base, t)
        rows = slice(t * batch, (t + 1) * batch)
        loss = loss_of(net(x[rows]), y[rows])
        total = loss
        if case["l1"]:
            total = total + case["l1"] * sum(w.abs().sum() for w in weights)
        if case["l2"]:
            total = total + case["l2"] * sum(w.pow(2).sum() for w in weights)
        opt.zero_grad(set_to_none=True)
        total.backward()
        if case["clip_grad_norm"] is not None:
            nn.utils.clip_grad_norm_(net.parameters(), case["clip_grad_norm"])
        opt.step()
        losses.append(float(loss.item()))
    return losses


def log_uniform(r, lo, hi):
    return float(f"{math.exp(r.uniform(math.log(lo), math.log(hi))):.3g}")


def sample(r, i):
    """Case i: the activation cycles with i, the optimizer with i // 6, so that every one of the
    42 pairs occurs (in cases 0-41, again in 42-83, …); the rest is random."""
    activation = list(ACTIVATIONS)[i % 6]
    name = ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad"][(i // 6) % 7]
    depth = r.choice([0, 1, 1, 2, 2, 3])
    hidden = [{"width": r.randint(1, 24), "activation": activation, "dropout": 0.0} for _ in range(depth)]
    head_kind = r.choice(["softmax", "softmax", "sigmoid", "mse", "huber"])
    if head_kind == "softmax":
        head = {"kind": "softmax", "classes": r.randint(2, 5)}
        loss = {"kind": "cross_entropy", "label_smoothing": r.choice([0.0, 0.0, 0.1, 0.2])}
    elif head_kind == "sigmoid":
        head, loss = {"kind": "sigmoid"}, {"kind": "bce_with_logits"}
    else:
        head = {"kind": "linear", "outputs": r.randint(1, 3)}
        loss = {"kind": "mse"} if head_kind == "mse" else {"kind": "huber", "delta": r.choice([0.5, 1.0, 2.0])}
    wd = r.choice([0.0, 0.0, 1e-4, 1e-2])
    if name in ("sgd", "momentum", "nesterov"):
        opt = {"kind": "sgd", "lr": log_uniform(r, 1e-3, 0.3 if name == "sgd" else 0.1),
               "momentum": 0.0 if name == "sgd" else 0.9,
               "dampening": r.choice([0.0, 0.1]) if name == "momentum" else 0.0,
               "nesterov": name == "nesterov", "weight_decay": wd}
    elif name in ("adam", "adamw"):
        beta1, beta2 = r.choice([(0.9, 0.999), (0.8, 0.99)])
        opt = {"kind": "adam" if name == "adam" else "adam_w", "lr": log_uniform(r, 1e-4, 3e-2),
               "beta1": beta1, "beta2": beta2, "eps": 1e-8, "weight_decay": wd if name == "adam" else r.choice([0.0, 0.01, 0.1])}
    elif name == "rmsprop":
        opt = {"kind": "rms_prop", "lr": log_uniform(r, 1e-4, 1e-2), "alpha": r.choice([0.9, 0.99]), "eps": 1e-8,
               "momentum": r.choice([0.0, 0.5]), "centered": r.choice([False, True]), "weight_decay": wd}
    else:
        opt = {"kind": "adagrad", "lr": log_uniform(r, 1e-3, 0.3), "lr_decay": r.choice([0.0, 1e-3]), "eps": 1e-10,
               "weight_decay": wd}
    schedule = r.choice(["constant", "step", "exponential", "cosine"])
    if schedule == "step":
        schedule = {"kind": "step", "step_size": r.randint(3, 10), "gamma": r.choice([0.5, 0.9])}
    elif schedule == "exponential":
        schedule = {"kind": "exponential", "gamma": r.choice([0.9, 0.95, 0.99])}
    elif schedule == "cosine":
        schedule = {"kind": "cosine", "warmup_steps": r.randint(0, 6), "warmup_start_factor": 0.1,
                    "total_steps": STEPS, "min_lr": 0.0}
    else:
        schedule = {"kind": "constant"}
    return {
        "seed": 1000 + i,
        "input": r.randint(1, 8),
        "hidden": hidden,
        "head": head,
        "loss": loss,
        "optimizer": opt,
        "schedule": schedule,
        "clip_grad_norm": r.choice([None, None, 0.5, 1.0]),
        "l1": r.choice([0.0, 0.0, 0.0, 1e-4, 1e-3]),
        "l2": r.choice([0.0, 0.0, 0.0, 1e-4, 1e-3]),
        "batch": r.choice([1, 4, 8, 16, 32]),
        "steps": STEPS,
    }


def wide(i):
    """MNIST-sized cases (784-64-64-10, batch 16), one per optimizer: the first is where a
    float32 difference once showed (tanh, RMSprop at lr 4e-3); their data is uniform noise."""
    name = ["rmsprop", "sgd", "momentum", "nesterov", "adam", "adamw", "adagrad"][i % 7]
    activation = ["tanh", "relu", "sigmoid", "gelu", "leaky_relu", "tanh", "relu"][i % 7]
    opt = {
        "sgd": {"kind": "sgd", "lr": 0.05, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
        "momentum": {"kind": "sgd", "lr": 0.01, "momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
        "nesterov": {"kind": "sgd", "lr": 0.01, "momentum": 0.9, "dampening": 0.0, "nesterov": True, "weight_decay": 1e-4},
        "adam": {"kind": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
        "adamw": {"kind": "adam_w", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
        "rmsprop": {"kind": "rms_prop", "lr": 4e-3, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False,
                    "weight_decay": 0.0},
        "adagrad": {"kind": "adagrad", "lr": 0.01, "lr_decay": 0.0, "eps": 1e-10, "weight_decay": 0.0},
    }[name]
    layer = {"width": 64, "activation": activation, "dropout": 0.0}
    return {
        "seed": 5000 + i, "input": 784, "hidden": [layer, dict(layer)], "head": {"kind": "softmax", "classes": 10},
        "loss": {"kind": "cross_entropy", "label_smoothing": 0.0}, "optimizer": opt, "schedule": {"kind": "constant"},
        "clip_grad_norm": None, "l1": 0.0, "l2": 0.0, "batch": 16, "steps": STEPS,
    }


WIDE = 7


def main():
    r = random.Random(SEED)
    cases = []
    for i in range(CASES + WIDE):
        case = sample(r, i) if i < CASES else wide(i - CASES)
        case["torch_f32"] = train(case, torch.float32)
        case["torch_f64"] = train(case, torch.float64)
        cases.append(case)
    doc = {
        "about": "PyTorch's per-step data losses (float32 and float64) of random webgrad configurations; "
                 "written by tests/golden/make_differential.py, read by crates/webgrad-nn/tests/all/differential.rs",
        "torch": torch.__version__,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    worst = max(abs(a - b) / max(abs(b), 1e-12) for c in cases for a, b in zip(c["torch_f32"], c["torch_f64"]))
    print(f"wrote {len(cases)} cases to {OUT}; float32 vs float64 worst relative drift {worst:.2e}")


if __name__ == "__main__":
    main()
