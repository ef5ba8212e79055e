# Regenerates the embedded default data set from Debian's dataset-fashion-mnist package:
# the first 300 training and the first 100 test images of each class, in file order, as gzipped IDX.
# Run with /usr/bin/python3 from this folder; the output is byte-for-byte reproducible (gzip mtime 0).
import gzip, struct
import numpy as np

SRC = "/usr/share/datasets/fashion-mnist"

def read(name):
    with gzip.open(f"{SRC}/{name}", "rb") as f:
        return f.read()

def write(name, data):
    with open(name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(data)

for split, src, per_class in [("train", "train", 300), ("test", "t10k", 100)]:
    images = np.frombuffer(read(f"{src}-images-idx3-ubyte.gz"), np.uint8, offset=16).reshape(-1, 28, 28)
    labels = np.frombuffer(read(f"{src}-labels-idx1-ubyte.gz"), np.uint8, offset=8)
    seen = np.zeros(10, int)
    keep = []
    for i, y in enumerate(labels):
        if seen[y] < per_class:
            seen[y] += 1
            keep.append(i)
    keep = np.array(keep)
    write(f"fashion-mnist-{split}-images-idx3-ubyte.gz", struct.pack(">IIII", 0x803, len(keep), 28, 28) + images[keep].tobytes())
    write(f"fashion-mnist-{split}-labels-idx1-ubyte.gz", struct.pack(">II", 0x801, len(keep)) + labels[keep].tobytes())
    print(split, len(keep), "images, last source index", keep[-1])
