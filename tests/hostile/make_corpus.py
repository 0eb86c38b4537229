"""Writes the hostile-input corpus's files (tests/hostile/files/), deterministically, with the
standard library only. The cases that use them, and the exact error each must give, are in
tests/hostile/cases.json. Run from the repository root after changing this script:
    python3 tests/hostile/make_corpus.py
"""
import gzip
import io
import json
import os
import struct

OUT = "tests/hostile/files"


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return buf.getvalue()


def idx(ty, dims, body):
    return bytes([0, 0, ty, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + body


def npy(descr, shape, body, fortran=False):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_text)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + body


def safetensors(meta, tensors, key="webgrad"):
    """tensors: name -> (shape, float list); meta: the `webgrad` model description (dict or str),
    or under key "webgrad.checkpoint" a checkpoint's settings."""
    header, body = {"__metadata__": {key: meta if isinstance(meta, str) else json.dumps(meta)}}, b""
    for name, (shape, values) in tensors.items():
        data = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
        body += data
    text = json.dumps(header)
    text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + body


def description(inputs, widths, classes=3, activation="relu"):
    return {
        "format": "webgrad-mlp/1",
        "model": {"input": inputs, "hidden": [{"width": w, "activation": activation} for w in widths],
                  "head": {"kind": "softmax", "classes": classes}},
        "torch": "",
    }


def model_tensors(inputs, widths, classes=3, fill=0.01):
    dims = [inputs] + widths + [classes]
    out, index = {}, 0
    for fan_in, fan_out in zip(dims, dims[1:]):
        out[f"{index}.weight"] = ([fan_out, fan_in], [fill] * (fan_in * fan_out))
        out[f"{index}.bias"] = ([fan_out], [0.0] * fan_out)
        index += 2  # Linear, ReLU
    return out


def checkpoint(loss):
    """A checkpoint's settings before its first step (so without optimizer state), training
    the 4-8-3 iris model with `loss`."""
    return {
        "format": "webgrad-checkpoint/1",
        "model": description(4, [8]),
        "optimizer": {"kind": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
        "schedule": {"kind": "constant"},
        "clip_grad_norm": None,
        "optimizer_step": 0,
        "train": {"batch_size": 16, "epochs": 1, "seed": 1, "shuffle": True, "loss": loss},
        "cursor": {"epoch": 0, "step": 0},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = "".join(f"{i % 5},{(i * 3) % 7},{['a', 'b'][i % 2]}\n" for i in range(40))
    # --- tables
    put("ragged.csv", "x1,x2,label\n1,2,a\n3,b\n" + rows)
    put("nan-feature.csv", "x1,x2,label\n" + rows + "NaN,1,a\n")
    put("inf-feature.csv", "x1,x2,label\n" + rows + "1e999,1,a\n")
    put("empty.csv", "")
    put("header-only.csv", "x1,x2,label\n")
    put("unterminated-quote.csv", 'x1,x2,label\n1,2,"a\n' + rows)
    put("missing-label.csv", "x1,x2,label\n" + rows + "1,2,\n")
    put("too-many-categories.csv", "colour,x,label\n" + "".join(f"c{i},{i % 3},{i % 2}\n" for i in range(1002)))
    put("binary.csv", bytes(range(256)) * 4)
    put("one-class.csv", "x1,label\n" + "".join(f"{i},only\n" for i in range(30)))
    put("html-label-column.csv", "x1,x2,<img src=x onerror=alert(1)>\n" + rows)
    # --- gzip
    put("bomb.csv.gz", gz(b"1," * 50_000_000))
    whole = gz("x1,x2,label\n" + rows)
    put("truncated.csv.gz", whole[:-12])
    corrupt = bytearray(whole)
    corrupt[-8] ^= 0xFF
    put("bad-crc.csv.gz", bytes(corrupt))
    put("trailing-garbage.csv.gz", whole + b"not gzip")
    # --- IDX
    labels = idx(0x08, [4], bytes([0, 1, 0, 1]))
    put("labels-idx1-ubyte", labels)
    put("bad-magic-idx3-ubyte", b"\x12" + idx(0x08, [4, 2, 2], bytes(16))[1:])
    put("truncated-idx3-ubyte", idx(0x08, [4, 2, 2], bytes(13)))
    put("huge-dims-idx3-ubyte", idx(0x08, [2_000_000_000, 50_000, 50_000], bytes(16)))
    put("five-images-idx3-ubyte", idx(0x08, [5, 2, 2], bytes(20)))
    put("float-nan-idx3-ubyte", idx(0x0D, [4, 1, 1], struct.pack(">4f", 1.0, float("nan"), 0.0, 1.0)))
    # --- NPY
    x = npy("<f4", [4, 2], struct.pack("<8f", *range(8)))
    put("x.npy", x)
    put("y.npy", npy("<i8", [4], struct.pack("<4q", 0, 1, 0, 1)))
    put("bad-magic.npy", b"\x93NUMPZ" + x[6:])
    put("fortran.npy", npy("<f4", [4, 2], struct.pack("<8f", *range(8)), fortran=True))
    put("huge-shape.npy", npy("<f4", [250_000_000, 4], b""))
    put("complex.npy", npy("<c8", [4], bytes(32)))
    put("y-short.npy", npy("<i8", [3], struct.pack("<3q", 0, 1, 0)))
    put("nan-x.npy", npy("<f4", [4, 2], struct.pack("<8f", 0, 1, float("nan"), 3, 4, 5, 6, 7)))
    put("long-header.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 65535) + b" " * 65535)
    # --- models (all for the iris table: 4 inputs, 3 classes)
    put("model-huge-width.safetensors", safetensors(description(4, [1_000_000_000]), {"0.weight": ([2, 2], [0.0] * 4)}))
    put("model-wide-empty.safetensors", safetensors(description(4, [60_000]), {"0.weight": ([2, 2], [0.0] * 4)}))
    put("model-too-deep.safetensors", safetensors(description(4, [4] * 40), {}))
    put("model-nan-weight.safetensors", safetensors(description(4, [8]), {**model_tensors(4, [8]), "0.bias": ([8], [float("nan")] + [0.0] * 7)}))
    put("model-extra-tensor.safetensors", safetensors(description(4, [8]), {**model_tensors(4, [8]), "evil": ([1], [1.0])}))
    put("model-bad-json.safetensors", safetensors("{not json", model_tensors(4, [8])))
    put("model-wrong-input.safetensors", safetensors(description(784, [8]), model_tensors(784, [8])))
    put("model-not-safetensors.safetensors", "this is a text file, not a model\n")
    put("model-header-past-end.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
    zero_std = {**description(4, [8]), "preprocessing": {"standardize": {"mean": [0.0] * 4, "std": [1.0, 0.0, 1.0, 1.0]}}}
    put("model-zero-std.safetensors", safetensors(zero_std, model_tensors(4, [8])))
    put("checkpoint-regression-loss.safetensors", safetensors(checkpoint({"kind": "mse"}), model_tensors(4, [8]), key="webgrad.checkpoint"))
    put("model-html-classes.safetensors", safetensors({**description(4, [8]), "class_names": ["<script>alert(1)</script>", "b", "c"]}, model_tensors(4, [8])))


if __name__ == "__main__":
    main()
