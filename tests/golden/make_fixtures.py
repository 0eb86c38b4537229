"""Generate the PyTorch golden fixtures that webgrad's tests compare against.

How to run (from the repository root; PyTorch is needed only here, never by CI):

    python3 -m venv venv && venv/bin/pip install torch safetensors numpy && venv/bin/python tests/golden/make_fixtures.py

It (re)writes, next to this script, in tests/golden/:

    training.safetensors + training.json
        A small MLP (6 -> 16 relu -> 8 tanh -> 3) trained for 100 steps on 100
        fixed batches with several optimizer / clipping / LR-schedule configs:
        the initial weights, the data, the per-step losses, the learning rate
        actually used at each step (scheduled configs) and the final weights.
    losses.safetensors + losses.json
        Loss functions (cross-entropy with and without label smoothing,
        BCE-with-logits, MSE, Huber) on fixed inputs: value and gradient with
        respect to the input.
    layers.safetensors + layers.json
        Single ops (gelu (exact erf), leaky_relu(0.01), log_softmax(dim=1),
        softmax(dim=0)) on a [4, 5] input: output and the gradient of
        (out * w).sum() for a stored random w.

The JSON files document every tensor (name, shape, dtype, meaning) and every
hyperparameter actually used, including PyTorch's defaults. Everything is
float32 (labels are int64). The output is deterministic: running the script
twice with the same torch version gives byte-identical files (it runs on the
CPU, single-threaded, with deterministic algorithms). The committed files are
what the Rust tests read; regenerate them only on purpose, and expect the
numbers to shift slightly if the torch version changes.
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

# --------------------------------------------------------------------------
# Determinism: fixed seeds, deterministic kernels, one thread, CPU, float32.
# --------------------------------------------------------------------------
SEED_MODEL = 0  # torch.manual_seed before building the MLP (default init)
SEED_DATA = 1234  # separate generator for the training batches
SEED_LOSSES = 2024  # separate generator for the loss-function fixtures
SEED_LAYERS = 7  # separate generator for the single-op fixtures

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

OUT_DIR = os.path.dirname(os.path.abspath(__file__))

STEPS = 100
BATCH = 32
IN_FEATURES = 6
NUM_CLASSES = 3
ARCHITECTURE = [
    {"in": 6, "out": 16, "act": "relu"},
    {"in": 16, "out": 8, "act": "tanh"},
    {"in": 8, "out": 3, "act": None},
]
# state_dict names of the nn.Sequential, in order.
PARAM_NAMES = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]


def dtype_name(t: torch.Tensor) -> str:
    return {torch.float32: "F32", torch.int64: "I64"}[t.dtype]


def describe(t: torch.Tensor, text: str) -> dict:
    """JSON entry documenting one stored tensor."""
    return {"shape": list(t.shape), "dtype": dtype_name(t), "description": text}


def save(tensors: dict, path: str) -> None:
    """Save contiguous, detached CPU copies (safetensors requires contiguity)."""
    clean = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    for k, v in clean.items():
        assert v.dtype in (torch.float32, torch.int64), (k, v.dtype)
    save_file(clean, path)


def write_json(obj: dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def jsonable(v):
    """Optimizer hyperparameters -> plain JSON values (tuples become lists)."""
    if isinstance(v, (tuple, list)):
        return [jsonable(x) for x in v]
    if isinstance(v, torch.Tensor):
        return v.item()
    return v


# ==========================================================================
# 1. Training fixtures
# ==========================================================================
def make_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3)
    )


# Each config: optimizer class, its kwargs (as the user passes them), and the
# optional gradient clipping / LR scheduler. `foreach=False` forces the plain
# per-tensor ("single tensor") implementation, the simplest one to mirror.
CONFIGS = [
    ("sgd", torch.optim.SGD, dict(lr=0.1), None, None),
    ("sgd_momentum", torch.optim.SGD, dict(lr=0.05, momentum=0.9), None, None),
    (
        "nesterov",
        torch.optim.SGD,
        dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        None,
        None,
    ),
    ("adam", torch.optim.Adam, dict(lr=1e-2), None, None),
    ("adam_l2", torch.optim.Adam, dict(lr=1e-2, weight_decay=1e-2), None, None),
    ("adamw", torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.1), None, None),
    ("rmsprop", torch.optim.RMSprop, dict(lr=1e-3), None, None),
    (
        "rmsprop_centered_momentum",
        torch.optim.RMSprop,
        dict(lr=1e-3, momentum=0.5, centered=True),
        None,
        None,
    ),
    ("adagrad", torch.optim.Adagrad, dict(lr=0.05), None, None),
    ("adam_clip", torch.optim.Adam, dict(lr=1e-2), 0.5, None),
    ("sgd_step_lr", torch.optim.SGD, dict(lr=0.1), None, "step_lr"),
    ("adam_cosine", torch.optim.Adam, dict(lr=1e-2), None, "warmup_cosine"),
]

# What each optimizer does per parameter p with gradient g at step t (t starts
# at 1), transcribed from torch/optim/*.py `_single_tensor_*` (foreach=False).
# Scalars (lr, betas, bias corrections, ...) are Python doubles; tensor math is
# float32. lerp(a, b, w) = a + w * (b - a) for w < 0.5 (PyTorch's CPU kernel).
UPDATE_RULES = {
    "SGD": [
        "if weight_decay != 0: g = g + weight_decay * p",
        "if momentum != 0: buf = g.clone() at the first step, else "
        "buf = momentum * buf + (1 - dampening) * g; "
        "then g = g + momentum * buf if nesterov else g = buf",
        "p = p - lr * g",
    ],
    "Adam": [
        "t += 1",
        "if weight_decay != 0: if decoupled_weight_decay (AdamW): p = p * (1 - lr * weight_decay) "
        "else (L2): g = g + weight_decay * p",
        "m = lerp(m, g, 1 - beta1)   (m starts at 0)",
        "v = v * beta2 + (1 - beta2) * g * g   (v starts at 0)",
        "bias_correction1 = 1 - beta1**t; bias_correction2 = 1 - beta2**t   (doubles)",
        "denom = sqrt(v) / sqrt(bias_correction2) + eps",
        "p = p - (lr / bias_correction1) * m / denom",
    ],
    "RMSprop": [
        "if weight_decay != 0: g = g + weight_decay * p",
        "sq = alpha * sq + (1 - alpha) * g * g   (sq starts at 0)",
        "if centered: ga = lerp(ga, g, 1 - alpha) (ga starts at 0); avg = sqrt(sq - ga * ga) "
        "else avg = sqrt(sq)",
        "avg = avg + eps   (eps outside the sqrt)",
        "if momentum > 0: buf = momentum * buf + g / avg (buf starts at 0); p = p - lr * buf "
        "else p = p - lr * g / avg",
    ],
    "Adagrad": [
        "t += 1",
        "if weight_decay != 0: g = g + weight_decay * p",
        "clr = lr / (1 + (t - 1) * lr_decay)",
        "sum = sum + g * g   (sum starts at initial_accumulator_value)",
        "p = p - clr * g / (sqrt(sum) + eps)",
    ],
}


def make_training() -> None:
    # Initial weights: PyTorch default nn.Linear init under a fixed seed.
    torch.manual_seed(SEED_MODEL)
    init_model = make_model()
    init_state = {k: v.detach().clone() for k, v in init_model.state_dict().items()}
    assert list(init_state) == PARAM_NAMES

    # Data: x ~ N(0, 1); labels are the argmax of a fixed random linear
    # projection of x, so the problem is learnable and the loss falls.
    g = torch.Generator().manual_seed(SEED_DATA)
    x = torch.randn(STEPS, BATCH, IN_FEATURES, generator=g, dtype=torch.float32)
    proj = torch.randn(IN_FEATURES, NUM_CLASSES, generator=g, dtype=torch.float32)
    y = torch.argmax(x @ proj, dim=-1).to(torch.int64)  # [STEPS, BATCH], in 0..3

    tensors = {"x": x, "y": y}
    for k, v in init_state.items():
        tensors[f"init.{k}"] = v

    docs = {
        "x": describe(x, "inputs; batch t is x[t] (shape [32, 6]); standard normal"),
        "y": describe(
            y,
            "int64 class labels in 0..3; y[t] goes with x[t]; "
            "y = argmax(x @ P) for a fixed random P [6, 3] (P not stored)",
        ),
    }
    for k, v in init_state.items():
        docs[f"init.{k}"] = describe(
            v, f"initial value of state_dict['{k}'] (PyTorch default init, seed {SEED_MODEL})"
        )

    loss_fn = nn.CrossEntropyLoss()  # reduction='mean'
    configs_json = {}

    for name, opt_cls, kwargs, clip, sched_kind in CONFIGS:
        model = make_model()
        model.load_state_dict(init_state)
        opt = opt_cls(model.parameters(), foreach=False, **kwargs)
        # opt.defaults holds every hyperparameter actually used, defaults included.
        hyper = {k: jsonable(v) for k, v in opt.defaults.items()}

        scheduler = None
        sched_json = None
        if sched_kind == "step_lr":
            scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.5)
            sched_json = {
                "kind": "StepLR",
                "step_size": 30,
                "gamma": 0.5,
                "stepped": "scheduler.step() once after every opt.step()",
                "formula": "lr_t = lr * gamma ** (t // step_size) for step t = 0..99 "
                "(the lr used by the t-th opt.step())",
            }
        elif sched_kind == "warmup_cosine":
            warm = torch.optim.lr_scheduler.LinearLR(
                opt, start_factor=0.1, end_factor=1.0, total_iters=10
            )
            cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=90, eta_min=0.0)
            scheduler = torch.optim.lr_scheduler.SequentialLR(
                opt, schedulers=[warm, cos], milestones=[10]
            )
            sched_json = {
                "kind": "SequentialLR",
                "milestones": [10],
                "schedulers": [
                    {"kind": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 10},
                    {"kind": "CosineAnnealingLR", "T_max": 90, "eta_min": 0.0},
                ],
                "stepped": "scheduler.step() once after every opt.step()",
                "formula": "for step t = 0..99 (the lr used by the t-th opt.step()): "
                "t < 10: lr_t = lr * (0.1 + 0.9 * t / 10); "
                "t >= 10: lr_t = eta_min + (lr - eta_min) * (1 + cos(pi * (t - 10) / 90)) / 2. "
                "PyTorch computes these recursively in double precision; "
                "'closed_form_max_abs_diff' is the largest difference from this closed form.",
            }

        losses, lrs, grad_norms = [], [], []
        for t in range(STEPS):
            lrs.append(opt.param_groups[0]["lr"])  # lr the coming opt.step() uses
            loss = loss_fn(model(x[t]), y[t])
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                total = torch.nn.utils.clip_grad_norm_(
                    model.parameters(), max_norm=clip, foreach=False
                )
                grad_norms.append(total.item())
            opt.step()
            if scheduler is not None:
                scheduler.step()

        tensors[f"loss.{name}"] = torch.tensor(losses, dtype=torch.float32)
        cfg_tensors = {
            f"loss.{name}": describe(
                tensors[f"loss.{name}"],
                "loss at step t, computed on the weights before the t-th update",
            )
        }
        for k, v in model.state_dict().items():
            tensors[f"final.{name}.{k}"] = v.detach().clone()
            cfg_tensors[f"final.{name}.{k}"] = describe(v, f"'{k}' after {STEPS} steps")

        cfg = {
            "optimizer": opt_cls.__name__,
            "constructor_kwargs": {**kwargs, "foreach": False},
            "hyperparameters": hyper,
            "update_rule": UPDATE_RULES["Adam" if opt_cls is torch.optim.AdamW else opt_cls.__name__],
            "clip_grad_norm": clip,
            "lr_scheduler": sched_json,
            "tensors": cfg_tensors,
        }
        if clip is not None:
            cfg["clip_grad_norm_details"] = {
                "max_norm": clip,
                "norm_type": 2.0,
                "when": "after backward, before opt.step(), every step",
                "formula": "total = ||[||g_i||_2 for each param i]||_2; "
                "coef = min(max_norm / (total + 1e-6), 1.0); g_i = g_i * coef "
                "(always multiplied, also when coef == 1)",
                "epsilon": 1e-6,
            }
            tensors[f"grad_norm.{name}"] = torch.tensor(grad_norms, dtype=torch.float32)
            cfg_tensors[f"grad_norm.{name}"] = describe(
                tensors[f"grad_norm.{name}"],
                "total gradient 2-norm at step t before clipping (returned by clip_grad_norm_)",
            )
        if scheduler is not None:
            tensors[f"lr.{name}"] = torch.tensor(lrs, dtype=torch.float32)
            cfg_tensors[f"lr.{name}"] = describe(
                tensors[f"lr.{name}"], "learning rate used by the t-th opt.step() (float32 copy)"
            )
            sched_json["lr_per_step_f64"] = lrs  # exact double values PyTorch used
            if sched_kind == "step_lr":
                closed = [0.1 * 0.5 ** (t // 30) for t in range(STEPS)]
            else:
                closed = [
                    0.01 * (0.1 + 0.9 * t / 10)
                    if t < 10
                    else 0.0 + (0.01 - 0.0) * (1 + math.cos(math.pi * (t - 10) / 90)) / 2
                    for t in range(STEPS)
                ]
            sched_json["closed_form_max_abs_diff"] = max(abs(a - b) for a, b in zip(lrs, closed))
            assert sched_json["closed_form_max_abs_diff"] < 1e-12, name
        configs_json[name] = cfg
        print(f"training {name:28s} loss {losses[0]:.4f} -> {losses[-1]:.4f}")

    save(tensors, os.path.join(OUT_DIR, "training.safetensors"))
    counts = torch.bincount(y.flatten(), minlength=NUM_CLASSES).tolist()
    write_json(
        {
            "torch_version": torch.__version__,
            "generator": "tests/golden/make_fixtures.py",
            "dtype": "float32 everywhere (y is int64)",
            "architecture": ARCHITECTURE,
            "module": "nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))",
            "param_names": PARAM_NAMES,
            "param_layout": "Linear weight is [out, in]; y = x @ W^T + b",
            "init": "PyTorch default nn.Linear init (weight: kaiming_uniform_(a=sqrt(5)) i.e. "
            "U(-1/sqrt(in), 1/sqrt(in)); bias: U(-1/sqrt(in), 1/sqrt(in))) "
            f"after torch.manual_seed({SEED_MODEL})",
            "steps": STEPS,
            "batch_size": BATCH,
            "in_features": IN_FEATURES,
            "num_classes": NUM_CLASSES,
            "label_counts": counts,
            "loss": "nn.CrossEntropyLoss() (reduction='mean', label_smoothing=0.0)",
            "procedure": [
                "each config starts from the init.* weights and walks batches t = 0..99 in order",
                "loss = CrossEntropyLoss()(model(x[t]), y[t]); record loss",
                "opt.zero_grad(); loss.backward()",
                "clip_grad_norm_ (only if clip_grad_norm is not null)",
                "opt.step()",
                "scheduler.step() (only if lr_scheduler is not null)",
            ],
            "shared_tensors": docs,
            "configs": configs_json,
        },
        os.path.join(OUT_DIR, "training.json"),
    )


# ==========================================================================
# 2. Loss-function fixtures
# ==========================================================================
def make_losses() -> None:
    g = torch.Generator().manual_seed(SEED_LOSSES)
    tensors, docs = {}, {}

    def run(loss_fn, inp, *rest):
        """Loss value (stored as shape [1]) and d loss / d inp."""
        inp = inp.clone().requires_grad_(True)
        loss = loss_fn(inp, *rest)
        loss.backward()
        return loss.detach().reshape(1), inp.grad.detach().clone()

    # --- cross-entropy: logits [7, 5], int64 labels ------------------------
    logits = torch.randn(7, 5, generator=g) * 2.0
    labels = torch.randint(0, 5, (7,), generator=g, dtype=torch.int64)
    tensors["ce.logits"], tensors["ce.labels"] = logits, labels
    docs["ce.logits"] = describe(logits, "logits input [N=7, C=5]")
    docs["ce.labels"] = describe(labels, "int64 class indices in 0..5")
    for tag, ls in [("eps0", 0.0), ("eps0_1", 0.1)]:
        loss, grad = run(nn.CrossEntropyLoss(label_smoothing=ls), logits, labels)
        tensors[f"ce.{tag}.loss"], tensors[f"ce.{tag}.grad"] = loss, grad
        docs[f"ce.{tag}.loss"] = describe(
            loss, f"nn.CrossEntropyLoss(reduction='mean', label_smoothing={ls})(ce.logits, ce.labels)"
        )
        docs[f"ce.{tag}.grad"] = describe(grad, "gradient of that loss w.r.t. ce.logits")

    # --- BCE with logits: logits [7, 1], float 0/1 targets ------------------
    # Include large-magnitude logits to exercise the numerically stable form.
    bce_logits = torch.tensor(
        [[-9.0], [-2.5], [-0.7], [0.0], [0.4], [3.1], [12.0]], dtype=torch.float32
    ) + 0.1 * torch.randn(7, 1, generator=g)
    bce_targets = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0], [0.0], [1.0]])
    loss, grad = run(nn.BCEWithLogitsLoss(), bce_logits, bce_targets)
    tensors.update(
        {"bce.logits": bce_logits, "bce.targets": bce_targets, "bce.loss": loss, "bce.grad": grad}
    )
    docs["bce.logits"] = describe(bce_logits, "logits input [7, 1], magnitudes up to ~12")
    docs["bce.targets"] = describe(bce_targets, "float targets, each 0.0 or 1.0")
    docs["bce.loss"] = describe(loss, "nn.BCEWithLogitsLoss(reduction='mean')(bce.logits, bce.targets)")
    docs["bce.grad"] = describe(grad, "gradient w.r.t. bce.logits")

    # --- MSE: pred [7, 2], target [7, 2] ------------------------------------
    mse_pred = torch.randn(7, 2, generator=g)
    mse_target = torch.randn(7, 2, generator=g)
    loss, grad = run(nn.MSELoss(), mse_pred, mse_target)
    tensors.update(
        {"mse.pred": mse_pred, "mse.target": mse_target, "mse.loss": loss, "mse.grad": grad}
    )
    docs["mse.pred"] = describe(mse_pred, "prediction input [7, 2]")
    docs["mse.target"] = describe(mse_target, "target [7, 2]")
    docs["mse.loss"] = describe(loss, "nn.MSELoss(reduction='mean')(mse.pred, mse.target); mean over all 14 elements")
    docs["mse.grad"] = describe(grad, "gradient w.r.t. mse.pred")

    # --- Huber: residuals spread below / between / above delta 0.5 and 1 ----
    residuals = torch.tensor(
        [
            [-2.7, -1.35],
            [-0.8, -0.3],
            [-0.12, 0.04],
            [0.2, 0.38],
            [0.66, 0.9],
            [1.25, 1.9],
            [3.3, -0.6],
        ],
        dtype=torch.float32,
    )
    huber_target = torch.randn(7, 2, generator=g)
    huber_pred = huber_target + residuals
    r = (huber_pred - huber_target).abs()
    for d in (0.5, 1.0):  # stay clear of the kink so the branch is unambiguous
        assert ((r - d).abs() > 0.05).all()
    tensors["huber.pred"], tensors["huber.target"] = huber_pred, huber_target
    docs["huber.pred"] = describe(huber_pred, "prediction input [7, 2]")
    docs["huber.target"] = describe(
        huber_target,
        "target [7, 2]; |pred - target| spans ~0.04..3.3 with "
        f"{int((r < 0.5).sum())} residuals below 0.5, {int(((r > 0.5) & (r < 1.0)).sum())} in (0.5, 1), "
        f"{int((r > 1.0).sum())} above 1",
    )
    for tag, d in [("d1", 1.0), ("d0_5", 0.5)]:
        loss, grad = run(nn.HuberLoss(delta=d), huber_pred, huber_target)
        tensors[f"huber.{tag}.loss"], tensors[f"huber.{tag}.grad"] = loss, grad
        docs[f"huber.{tag}.loss"] = describe(
            loss,
            f"nn.HuberLoss(reduction='mean', delta={d})(huber.pred, huber.target): "
            "mean of 0.5*r^2 if |r| < delta else delta*(|r| - 0.5*delta)",
        )
        docs[f"huber.{tag}.grad"] = describe(grad, "gradient w.r.t. huber.pred")

    save(tensors, os.path.join(OUT_DIR, "losses.safetensors"))
    write_json(
        {
            "torch_version": torch.__version__,
            "generator": "tests/golden/make_fixtures.py",
            "reduction": "mean for every loss",
            "loss_shape": "every *.loss tensor has shape [1] (the scalar loss reshaped)",
            "grad": "every *.grad tensor is d loss / d (first input) and has that input's shape",
            "tensors": docs,
        },
        os.path.join(OUT_DIR, "losses.json"),
    )


# ==========================================================================
# 3. Single-op fixtures
# ==========================================================================
def make_layers() -> None:
    g = torch.Generator().manual_seed(SEED_LAYERS)
    ops = [
        ("gelu", lambda a: F.gelu(a, approximate="none"), "F.gelu(x, approximate='none') (exact erf form)"),
        ("leaky_relu", lambda a: F.leaky_relu(a, negative_slope=0.01), "F.leaky_relu(x, negative_slope=0.01)"),
        ("log_softmax", lambda a: F.log_softmax(a, dim=1), "F.log_softmax(x, dim=1) (over each row)"),
        ("softmax", lambda a: F.softmax(a, dim=0), "F.softmax(x, dim=0) (over each column)"),
    ]
    tensors, docs = {}, {}
    for name, fn, text in ops:
        x = torch.randn(4, 5, generator=g) * 2.0  # spread over roughly [-5, 5]
        w = torch.randn(4, 5, generator=g)
        xr = x.clone().requires_grad_(True)
        out = fn(xr)
        (out * w).sum().backward()
        tensors.update({f"{name}.x": x, f"{name}.out": out.detach(), f"{name}.w": w, f"{name}.grad": xr.grad})
        docs[f"{name}.x"] = describe(x, "input [4, 5]")
        docs[f"{name}.out"] = describe(out, f"{text}")
        docs[f"{name}.w"] = describe(w, "random weights for the scalar objective (out * w).sum()")
        docs[f"{name}.grad"] = describe(xr.grad, f"d ({name}.out * {name}.w).sum() / d {name}.x")
    save(tensors, os.path.join(OUT_DIR, "layers.safetensors"))
    write_json(
        {
            "torch_version": torch.__version__,
            "generator": "tests/golden/make_fixtures.py",
            "ops": {name: text for name, _, text in ops},
            "tensors": docs,
        },
        os.path.join(OUT_DIR, "layers.json"),
    )


if __name__ == "__main__":
    make_training()
    make_losses()
    make_layers()
    print("wrote", sorted(f for f in os.listdir(OUT_DIR) if f.endswith((".json", ".safetensors"))))
