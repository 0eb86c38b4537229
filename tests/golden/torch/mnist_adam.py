"""Continue a webgrad experiment in PyTorch.

    python train.py                                # one process: CUDA if there is one, else the CPU
    torchrun --nproc-per-node 4 train.py           # DistributedDataParallel on 4 GPUs (or processes)
    torchrun --nnodes 2 --node-rank R --master-addr HOST --nproc-per-node 4 train.py   # several machines

The settings below were written by webgrad's export; the rest of this file is the same for every
export. It starts from the weights (and, for a checkpoint, the optimizer's state and the schedule's
position) in weights.safetensors and writes the trained model to trained.safetensors, with the
model description embedded, so that webgrad can import it again (page: Import; CLI: webgrad eval).
"""
import argparse
import csv
import gzip
import json
import math
import os
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch import nn

HERE = Path(__file__).resolve().parent

# ---- the experiment as webgrad ran it (written by webgrad's export; edit freely) ----
DATASET = "mnist"  # what webgrad trained on


def MODEL():
    return nn.Sequential(
        nn.Linear(784, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def make_optimizer(params):
    return torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)


# PyTorch's names of the optimizer's state tensors in weights.safetensors, in webgrad's order
OPTIMIZER_SLOTS = ["exp_avg", "exp_avg_sq"]
OPTIMIZER_COUNTS_STEPS = True


def lr_factor(t):
    """A constant learning rate."""
    return 1.0


LOSS = nn.CrossEntropyLoss(label_smoothing=0.0)
LOSS_KIND = "ce"
HEAD_OUTPUTS = 10
L1 = 0.0  # coefficient of Σ|W| added to the loss
L2 = 0.0  # coefficient of ΣW² added to the loss
CLIP_GRAD_NORM = None
BATCH_SIZE = 64
EPOCHS = 5
SEED = 1
SHUFFLE = True
START_STEP = 250  # optimizer steps webgrad had taken
CURSOR = (2, 0)  # (epoch, step) of webgrad's next batch
# IDX files beside this script (or in --data-dir)
DATA = {
    "kind": "idx",
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
# ---- end of the experiment's settings ----


def input_features(x, names):
    """TensorFlow Playground's input features of 2-D points x [n, 2], in the model's order."""
    x1, x2 = x[:, 0], x[:, 1]
    table = {"x1": x1, "x2": x2, "x1sq": x1 * x1, "x2sq": x2 * x2, "x1x2": x1 * x2,
             "sinx1": np.sin(x1), "sinx2": np.sin(x2)}
    return np.stack([table[n] for n in names], axis=1).astype(np.float32)


def preprocess(x, pre, pixels=False):
    """Raw features [n, d] → model inputs, as webgrad does: input features, scale, then
    (x − mean) / std with the statistics webgrad fitted on its training split. `pixels`: MNIST's
    IDX images, which webgrad divides by 255."""
    x = np.asarray(x, dtype=np.float32)
    if pre.get("input_features"):
        x = input_features(x, pre["input_features"])
    if pre.get("scale") and pixels:
        # MNIST's pixels as webgrad reads them: v / 255, correctly rounded (v · (1/255) differs
        # in the last bit for about half of the 256 values)
        x = x / np.float32(round(1 / pre["scale"]))
    elif pre.get("scale"):
        x = x * np.float32(pre["scale"])
    if pre.get("standardize"):
        s = pre["standardize"]
        x = (x - np.asarray(s["mean"], np.float32)) / np.asarray(s["std"], np.float32)
    return x.astype(np.float32)


def read_idx(path):
    """An IDX file (MNIST's format), gzip-compressed or not, as a numpy array."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:2] != b"\0\0" or raw[2] != 8:
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * raw[3]).reshape(dims)


# the cells webgrad reads as missing (trimmed, any case)
MISSING = {"", "na", "n/a", "nan", "null", "?"}


def read_csv(path, label, class_names, outputs, pre):
    """A CSV file with a header (RFC 4180 quoting): the label column(s) by name (default: the
    last `outputs`), the other columns the features, laid out as the model was trained on them
    (`table_features`)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise SystemExit(f"{path}: empty file")
    header = [name.strip(" \t") for name in rows[0]]
    body = [r for r in rows[1:] if any(cell.strip(" \t") for cell in r)]
    repeated = next((name for i, name in enumerate(header) if name in header[:i]), None)
    if repeated is not None:
        raise SystemExit(f"{path}: two columns are named {repeated!r}: the model's columns are found by name")
    ragged = next((i for i, r in enumerate(rows[1:], start=2) if len(r) != len(header) and any(c.strip(" \t") for c in r)), None)
    if ragged is not None:
        raise SystemExit(f"{path}: line {ragged} has {len(rows[ragged - 1])} fields, the header {len(header)}")
    labels = [name.strip() for name in label.split(",")] if label else header[-outputs:]
    missing = [name for name in labels if name not in header]
    if missing:
        raise SystemExit(f"{path}: no column {missing[0]!r} (columns: {', '.join(header)})")
    columns = [header.index(name) for name in labels]
    features = {header[c]: c for c in range(len(header)) if c not in columns}
    x = table_features(path, body, features, pre)
    if class_names:
        index = {name: i for i, name in enumerate(class_names)}
        values = [r[columns[0]].strip(" \t") for r in body]
        unknown = sorted({v for v in values if v not in index})
        if unknown:
            raise SystemExit(f"{path}: label {unknown[0]!r} is not one of the model's classes {class_names}")
        return x, np.array([index[v] for v in values], np.int64)
    try:
        return x, np.array([[float(r[c]) for c in columns] for r in body], np.float32)
    except ValueError as e:
        raise SystemExit(f"{path}: a target is not a number ({e})")


def table_features(path, body, features, pre):
    """The feature columns (name → index in a row) as the model takes them. With the layout
    webgrad recorded (preprocessing.columns), each recorded column by name, in the recorded
    order, and no other: numbers as they are, text one-hot in the recorded categories (one the
    model never saw: all 0); a missing cell takes the recorded fill values
    (preprocessing.fill_missing), else stops. Without one, the columns in file order, numbers."""
    recorded, fill = pre.get("columns"), pre.get("fill_missing")
    if not recorded:
        recorded = [{"name": name} for name in features]
    else:
        extra = [name for name in features if name not in {c["name"] for c in recorded}]
        absent = [c["name"] for c in recorded if c["name"] not in features]
        if extra or absent:
            which = f"no column {absent[0]!r}" if absent else f"column {extra[0]!r} is not one"
            raise SystemExit(f"{path}: {which} the model was trained on ({', '.join(c['name'] for c in recorded)})")
    width = sum(len(c.get("categories") or [None]) for c in recorded)
    x = np.zeros((len(body), width), np.float32)
    for i, r in enumerate(body):
        j = 0
        for c in recorded:
            categories = c.get("categories")
            n = len(categories) if categories else 1
            cell = r[features[c["name"]]].strip(" \t")
            if cell.lower() in MISSING:
                if fill is None:
                    raise SystemExit(f"{path}: data row {i + 1}: column {c['name']!r} is missing, and the model "
                                     "records no values to fill it with (train in webgrad with --missing mean)")
                x[i, j:j + n] = fill[j:j + n]
            elif categories:
                if cell in categories:
                    x[i, j + categories.index(cell)] = 1
            else:
                try:
                    x[i, j] = float(cell)
                except ValueError:
                    raise SystemExit(f"{path}: data row {i + 1}: column {c['name']!r} holds {cell!r}, not a number")
                if not math.isfinite(x[i, j]):
                    raise SystemExit(f"{path}: data row {i + 1}: column {c['name']!r} holds {cell!r}, not a finite number")
            j += n
    return x


def load_data(args, meta):
    """(x_train, y_train, x_test, y_test) as model inputs and targets in their own units."""
    pre, names = meta.get("preprocessing") or {}, meta.get("class_names") or []
    outputs = HEAD_OUTPUTS if LOSS_KIND in ("mse", "huber") else 1
    if args.csv:
        x, y = read_csv(args.csv, args.label or DATA.get("label"), names, outputs, pre)
        order = np.random.default_rng(SEED).permutation(len(x))
        n_test = int(round(len(x) * args.test_fraction))
        test, train = order[:n_test], order[n_test:]
        x = preprocess(x, pre)
        return x[train], y[train], x[test], y[test]
    if DATA["kind"] == "idx":
        d = Path(args.data_dir or HERE)
        split = [read_idx(d / DATA[key]) for key in ("train_images", "train_labels", "test_images", "test_labels")]
        flat = lambda images: preprocess(images.reshape(len(images), -1), pre, pixels=True)
        return flat(split[0]), split[1].astype(np.int64), flat(split[2]), split[3].astype(np.int64)
    # kind "npy": the splits exactly as webgrad trained on them, already model inputs
    d = Path(args.data_dir or HERE / "data")
    x_train, y_train, x_test, y_test = (np.load(d / f) for f in ("train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"))
    if DATA.get("train_y_standardized") and pre.get("target_standardize"):
        s = pre["target_standardize"]
        y_train = y_train * np.asarray(s["std"], np.float32) + np.asarray(s["mean"], np.float32)
    return x_train, y_train, x_test, y_test


def training_targets(y, pre):
    """Targets as the model trains on them: regression targets standardised as webgrad did."""
    if LOSS_KIND in ("mse", "huber"):
        y = np.asarray(y, np.float32).reshape(len(y), -1)
        if pre.get("target_standardize"):
            s = pre["target_standardize"]
            y = (y - np.asarray(s["mean"], np.float32)) / np.asarray(s["std"], np.float32)
        return torch.from_numpy(y.astype(np.float32))
    if LOSS_KIND == "bce":
        return torch.from_numpy(np.asarray(y, np.float32).reshape(-1, 1))
    return torch.from_numpy(np.asarray(y, np.int64))


def penalty(model):
    """L1 · Σ|W| + L2 · ΣW² over the weight matrices (not the biases), as webgrad adds them."""
    total = 0.0
    for m in model.modules():
        if isinstance(m, nn.Linear):
            if L1:
                total = total + L1 * m.weight.abs().sum()
            if L2:
                total = total + L2 * m.weight.pow(2).sum()
    return total


def load_weights(model, optimizer, path):
    """The weights under their nn.Sequential names; a checkpoint's optimizer state is stored
    as optimizer.<parameter>.<slot> in the order of OPTIMIZER_SLOTS."""
    tensors = load_file(str(path))
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optimizer.")}, strict=True)
    if START_STEP == 0:
        return
    for name, p in model.named_parameters():
        state = {key: tensors[f"optimizer.{name}.{i}"].to(p.device).view_as(p).clone()
                 for i, key in enumerate(OPTIMIZER_SLOTS)}
        if OPTIMIZER_COUNTS_STEPS:
            state["step"] = torch.tensor(float(START_STEP))
        optimizer.state[p] = state


def batch_order(n, epoch, shuffle, rank, world):
    """This process's rows of one epoch: a fresh permutation per epoch (the same on every
    process), dealt out so that each process gets the same number of rows."""
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed((SEED * 1_000_003 + epoch) % 2**63))
    else:
        order = torch.arange(n)
    if world > 1:
        order = order[: n // world * world][rank::world]
    return order


@torch.no_grad()
def evaluate(model, x, y, pre):
    if len(x) == 0:
        return "no test rows"
    model.eval()
    out = torch.cat([model(x[i:i + 4096]) for i in range(0, len(x), 4096)])
    model.train()
    line = f"test loss {LOSS(out, y).item():.6f}"
    if LOSS_KIND == "ce":
        line += f"  accuracy {(out.argmax(1) == y).float().mean().item() * 100:.2f} %"
    elif LOSS_KIND == "bce":
        line += f"  accuracy {((out > 0).float() == y).float().mean().item() * 100:.2f} %"
    else:
        residual = ((out - y) ** 2).sum(0)
        total = ((y - y.mean(0)) ** 2).sum(0).clamp_min(1e-12)
        line += f"  R² {(1 - residual / total).mean().item():.4f}"
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int,
                        help=f"epochs to train [default: what is left of the webgrad run's {EPOCHS}, or all of them again]")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="rows per step and process")
    parser.add_argument("--data-dir", help="where the data files are [default: beside this script]")
    parser.add_argument("--csv", help="train on this CSV file (with a header) instead, laid out as model.json records")
    parser.add_argument("--label", help="--csv: the label column(s), comma-separated [default: the last]")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="--csv: rows held out for testing")
    parser.add_argument("--no-shuffle", action="store_true",
                        help="rows in file order, starting where webgrad stopped (to compare step by step)")
    parser.add_argument("--print-steps", type=int, default=0, help="print the loss of the first N steps")
    parser.add_argument("--out", default=str(HERE / "trained.safetensors"), help="where to write the trained model")
    parser.add_argument("--device", help="cuda, cpu, mps … [default: cuda if available]")
    args = parser.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank)  # one GPU per process under torchrun
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    torch.manual_seed(SEED)
    meta_text = (HERE / "model.json").read_text(encoding="utf-8")
    meta = json.loads(meta_text)
    pre = meta.get("preprocessing") or {}
    x_train, y_train, x_test, y_test = load_data(args, meta)
    x_train, x_test = torch.from_numpy(x_train).to(device), torch.from_numpy(x_test).to(device)
    y_train, y_test = training_targets(y_train, pre).to(device), training_targets(y_test, pre).to(device)

    model = MODEL().to(device)
    optimizer = make_optimizer(model.parameters())
    load_weights(model, optimizer, HERE / "weights.safetensors")
    # stepped once per optimizer step, from where webgrad stopped
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: lr_factor(START_STEP + t))
    trained = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    if rank == 0 and lr_factor(START_STEP) == 0:
        print("warning: the schedule has brought the learning rate to 0 (the webgrad run finished its cosine); "
              "edit lr_factor at the top of this file to train further")
    if rank == 0:
        print(f"{len(x_train)} training rows, {len(x_test)} test rows, {world} process(es) on {device}")
        print(f"start: {evaluate(model, x_test, y_test, pre)}")

    shuffle = SHUFFLE and not args.no_shuffle
    first_epoch, first_step = CURSOR if args.no_shuffle else (CURSOR[0] + (CURSOR[1] > 0), 0)
    # a shuffled run skips the rest of a partial epoch, so what is left counts from the next one
    left = EPOCHS - first_epoch
    epochs = args.epochs if args.epochs is not None else (left if left > 0 else EPOCHS)
    steps, loss = 0, None
    for epoch in range(first_epoch, first_epoch + epochs):
        order = batch_order(len(x_train), epoch, shuffle, rank, world).to(device)
        start = first_step * args.batch_size if epoch == first_epoch else 0
        for i in range(start, len(order), args.batch_size):
            rows = order[i:i + args.batch_size]
            loss = LOSS(trained(x_train[rows]), y_train[rows])  # the data loss, as webgrad reports it
            optimizer.zero_grad(set_to_none=True)
            (loss + penalty(model)).backward()
            if CLIP_GRAD_NORM is not None:
                nn.utils.clip_grad_norm_(model.parameters(), CLIP_GRAD_NORM)
            optimizer.step()
            schedule.step()
            steps += 1
            if rank == 0 and steps <= args.print_steps:
                print(f"step {steps} loss {loss.item():.9g}")
        if rank == 0 and loss is not None:
            print(f"epoch {epoch + 1}: last train loss {loss.item():.6f}  {evaluate(model, x_test, y_test, pre)}")

    if rank == 0:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, args.out, metadata={"webgrad": meta_text})
        print(f"wrote {args.out}")
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
