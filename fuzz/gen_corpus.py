#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: fuzz/corpus/<target>/seed-*.

Run from anywhere: python3 fuzz/gen_corpus.py. Deterministic (gzip without a time stamp), so a
rerun changes nothing. Files named seed-* are rewritten; any other file in a corpus directory
(e.g. crash-* inputs kept after a fix) is left alone.

Each seed is the 5 control bytes of fuzz/src/lib.rs (where the input is cut into chunks, flags),
the target's option bytes (csv: 2), then a file: valid CSV/TSV (header, quotes, categoricals,
missing cells, decimal commas), IDX and NPY of several types, their gzip forms, and a few broken
ones (a ragged row, an open quote, headers promising more data than there is).
"""

import gzip
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def control(body, first_cut, three=True, knows_len=True, extra_flags=0):
    """Cuts at `first_cut` and (with three chunks) half way through the rest."""
    n = len(body)
    a = min(first_cut, n)
    b = (n - a) // 2
    flags = (1 if three else 0) | (2 if knows_len else 0) | extra_flags
    return struct.pack("<HHB", a, b, flags)


# --- CSV ------------------------------------------------------------------------------------

# Option byte 0: bits 0-1 label (0 last, 1 column 1, 2 name "label", 3 name "3"), 2-3 task
# (0 auto, 1 classification, 2 regression), 4-5 missing (0 error, 1 drop row, 2 fill mean),
# 6-7 header (0 detect, 1 yes, 2 no). Option byte 1: bits 0-1 delimiter (0 detect, 1 ',', 2 ';', 3 tab).
def csv_opts(label=0, task=0, missing=0, header=0, delim=0):
    return bytes([label | task << 2 | missing << 4 | header << 6, delim])


with open(os.path.join(ROOT, "assets", "iris.csv"), "rb") as f:
    iris = f.read()

quoted = (
    b'"sepal length",colour,"note, free",label\r\n'
    b'5.1,red,"says ""hi""",setosa\r\n'
    b'4.9,"blue","two\nlines",versicolor\r\n'
    b'6.3,red,,virginica\r\n'
    b'5.8,green,"x",setosa\r\n'
)
semicolon = b"x;y;target\n1,5;2;3,25\n2,25;-1;0,5\n3;4,75;1e-3\n"
tsv = b"a\tb\tc\tlabel\r\n1\tNA\tx\t0\r\n2\t3\ty\t1\r\n\r\n4\t5\tN/A\t0\r\n6\t7\tx\t2\r\n"
noheader = b"1,0.5,2\n0,1.5,3\n1,2.5,2\n0,3.5,3\n"
bom_drop = b"\xef\xbb\xbff1,f2,class\n1,?,a\n2,3,b\n4,5,a\nnull,6,b\n7,8,c\n"
ragged = b"a,b,c\n1,2,x\n3,4\n5,6,y\n"
open_quote = b'a,b\n1,"never closed\n2,3\n'
header_only = b"x,y,label\n"

csv_seeds = [
    ("iris", iris, csv_opts(), 7),
    ("quoted", quoted, csv_opts(label=2, missing=2), 17),
    ("semicolon-decimal-comma", semicolon, csv_opts(task=2, delim=2), 3),
    ("tsv-missing-crlf", tsv, csv_opts(missing=2, delim=3), 20),
    ("no-header", noheader, csv_opts(label=1, header=2), 9),
    ("bom-drop-rows", bom_drop, csv_opts(label=3, missing=1), 2),
    ("ragged", ragged, csv_opts(), 11),
    ("open-quote", open_quote, csv_opts(), 8),
    ("header-only", header_only, csv_opts(header=1), 4),
    ("iris.gz", gz(iris), csv_opts(), 12),
    ("quoted.gz", gz(quoted), csv_opts(label=2, missing=2), 5),
]

# --- IDX ------------------------------------------------------------------------------------

IDX_TYPES = {"u8": (0x08, "B"), "i8": (0x09, "b"), "i16": (0x0B, "h"), "i32": (0x0C, "i"), "f32": (0x0D, "f"), "f64": (0x0E, "d")}


def idx(ty, dims, values):
    code, fmt = IDX_TYPES[ty]
    head = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return head + b"".join(struct.pack(">" + fmt, v) for v in values)


def mnist_slice():
    """The first 2 test images (28x28 u8) and 10 labels of the bundled MNIST subset."""
    with gzip.open(os.path.join(ROOT, "assets", "mnist", "t10k-images-idx3-ubyte.gz")) as f:
        images = f.read(16 + 2 * 784)
    with gzip.open(os.path.join(ROOT, "assets", "mnist", "t10k-labels-idx1-ubyte.gz")) as f:
        labels = f.read(8 + 10)
    images = images[:4] + struct.pack(">I", 2) + images[8:]
    labels = labels[:4] + struct.pack(">I", 10) + labels[8:]
    return images, labels


mnist_images, mnist_labels = mnist_slice()
u8_images = idx("u8", [3, 2, 2], [0, 255, 17, 3, 128, 64, 1, 2, 200, 100, 50, 25])
f32_matrix = idx("f32", [2, 3], [0.0, -1.5, 3.25, 1e-7, 6.0e10, -0.0])
idx_seeds = [
    ("u8-images", u8_images, 6),
    ("u8-labels", idx("u8", [3], [0, 2, 1]), 4),
    ("i8", idx("i8", [4], [-128, -1, 0, 127]), 9),
    ("i16", idx("i16", [2, 2], [-32768, -1, 0, 32767]), 13),
    ("i32", idx("i32", [3], [-(2**31), 16777217, 2**31 - 1]), 2),
    ("f32", f32_matrix, 5),
    ("f64", idx("f64", [2, 1, 2], [0.1, -2.5, 1e300, 3.0]), 17),
    ("u8-rank4", idx("u8", [1, 1, 2, 2], [1, 2, 3, 4]), 7),
    ("mnist-2-images", mnist_images, 16),
    ("mnist-10-labels", mnist_labels, 3),
    ("header-claims-4294967295-items", bytes([0, 0, 0x08, 1, 0xFF, 0xFF, 0xFF, 0xFF]) + b"\x01\x02", 5),
    ("u8-images.gz", gz(u8_images), 11),
    ("f32.gz", gz(f32_matrix), 1),
    ("mnist-2-images.gz", gz(mnist_images), 30),
]

# --- NPY ------------------------------------------------------------------------------------


def npy(descr, shape, payload, version=1, fortran=False):
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}"
    pre = 10 if version == 1 else 12
    pad = (64 - (pre + len(header) + 1) % 64) % 64
    text = (header + " " * pad + "\n").encode("latin-1")
    size = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + size + text + payload


def le(fmt, values):
    return b"".join(struct.pack("<" + fmt, v) for v in values)


npy_f4 = npy("<f4", [3, 2], le("f", [0.0, 1.5, -2.25, 3e38, 1e-40, -0.0]))
npy_u1 = npy("|u1", [4], bytes([0, 1, 2, 255]))
npy_i8 = npy("<i8", [3], le("q", [-1, 0, 2**62]))
npy_seeds = [
    ("f4-2d", npy_f4, 13),
    ("u1-labels", npy_u1, 7),
    ("i8-labels", npy_i8, 70),
    ("f8-2d", npy("<f8", [2, 2], le("d", [0.5, -1e308, 2.0, 4.0])), 9),
    ("b1", npy("|b1", [3], bytes([0, 1, 1])), 6),
    ("i4", npy("<i4", [2], le("i", [-5, 7])), 64),
    ("u2-i2-3d", npy("<u2", [1, 2, 2], le("H", [1, 2, 3, 65535])), 11),
    ("str-labels-U5", npy("<U5", [3], "".join(s.ljust(5, "\0") for s in ["cat", "dog", "mouse"]).encode("utf-32-le")), 80),
    ("v2-f4", npy("<f4", [2], le("f", [1.0, 2.0]), version=2), 10),
    ("v3-u1", npy("|u1", [2], bytes([3, 4]), version=3), 12),
    ("scalar", npy("<f4", [], le("f", [7.0])), 20),
    ("empty-0x3", npy("<f4", [0, 3], b""), 5),
    ("fortran-1d", npy("<f4", [2], le("f", [1.0, 2.0]), fortran=True), 30),
    ("big-endian", npy(">f4", [1], b"\x3f\x80\x00\x00"), 40),
    ("shape-claims-2pow40-items", npy("<f4", [2**20, 2**20], b"\0" * 8), 66),
    ("f4-2d.gz", gz(npy_f4), 2),
    ("u1-labels.gz", gz(npy_u1), 15),
    ("i8-labels.gz", gz(npy_i8), 1),
]

# --- gzip -----------------------------------------------------------------------------------


def gzip_member(data, name=None, comment=None, extra=None, hcrc=False, level=6):
    """A member with the optional header fields of RFC 1952 (written by hand: Python's gzip
    module writes only FNAME)."""
    flags = (4 if extra is not None else 0) | (8 if name else 0) | (16 if comment else 0) | (2 if hcrc else 0)
    head = b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0" + b"\0\xff"
    if extra is not None:
        head += struct.pack("<H", len(extra)) + extra
    if name:
        head += name + b"\0"
    if comment:
        head += comment + b"\0"
    if hcrc:
        head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    return head + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


text = b"label,x\na,1\nb,2\n" * 8
gzip_seeds = [
    ("csv.gz", gz(quoted), 10),
    ("two-members.gz", gz(b"hello, ") + gz(b"world\n"), 25),
    ("all-header-fields.gz", gzip_member(text, name=b"data.csv", comment=b"a comment", extra=b"AB\x02\x00xy", hcrc=True), 14),
    ("stored-block.gz", gzip_member(text, level=0), 30),
    ("empty-payload.gz", gz(b""), 3),
    ("idx.gz", gz(u8_images), 12),
    ("npy.gz", gz(npy_f4), 40),
    ("truncated.gz", gz(text)[:-5], 9),
    ("plain-text", b"not compressed at all\n", 4),
]


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if old.startswith("seed-"):
            os.remove(os.path.join(d, old))
    for name, data in seeds:
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)


write("csv", [(n, control(b, cut) + o + b) for n, b, o, cut in csv_seeds])
write("idx", [(n, control(b, cut) + b) for n, b, cut in idx_seeds])
write("npy", [(n, control(b, cut) + b) for n, b, cut in npy_seeds])
write("gzip", [(n, control(b, cut) + b) for n, b, cut in gzip_seeds])
# auto: every file once, under the name that fits it (flag bits 2-3: 0 none, 1 .csv, 2 .idx.gz,
# 3 .npy), alternately cut into two and three chunks.
auto = []
for i, (n, b, _o, cut) in enumerate(csv_seeds):
    auto.append(("csv-" + n, control(b, cut, three=i % 2 == 0, extra_flags=(1 << 2) | (i % 2) << 4) + b))
for i, (n, b, cut) in enumerate(idx_seeds):
    auto.append(("idx-" + n, control(b, cut, three=i % 2 == 0, extra_flags=(2 << 2) if i % 3 else 0) + b))
for i, (n, b, cut) in enumerate(npy_seeds):
    auto.append(("npy-" + n, control(b, cut, three=i % 2 == 0, extra_flags=(3 << 2) if i % 3 else 0) + b))
write("auto", auto)
