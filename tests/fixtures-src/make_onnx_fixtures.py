"""Writes the ONNX import fixtures in tests/NtkDynamics.Tests/Fixtures/onnx/ (see the README.md there).

Run from anywhere with Debian's Python (torch 1.13 with functorch, numpy; torch.onnx.export needs no `onnx` package):
    /usr/bin/python3 tests/fixtures-src/make_onnx_fixtures.py [--bench DIR] [--out DIR]
DIR defaults: --bench <repo>/../shared/bench (cnn.py, entk.py, st_io.py), --out the Fixtures/onnx folder.

For each model: <name>.onnx exported by torch.onnx.export and <name>_ref.safetensors with PyTorch's numbers on the same
float32 weights: logits, loss and parameter gradients of a batch, the eNTK (full, trace, logit 0) of a probe computed by
functorch (entk.entk_jac) in evaluation mode, and for BatchNorm models the same batch in training mode (batch statistics)
with the running statistics after it. Reference results are computed in float64 from the float32 weights and inputs.
Every draw is seeded and torch runs on one thread.
"""
import argparse
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ap = argparse.ArgumentParser()
ap.add_argument("--bench", default=os.path.join(REPO, "..", "shared", "bench"))
ap.add_argument("--out", default=os.path.join(REPO, "tests", "NtkDynamics.Tests", "Fixtures", "onnx"))
ap.add_argument("--resnet18", nargs=2, metavar=("NF", "PATH"),
                help="only export an untrained ResNet-18 of width NF to PATH with the documented call (for the bench)")
ap.add_argument("--cnn", nargs=2, metavar=("WIDTH", "PATH"),
                help="only export an untrained paper CNN (3x32x32, 10 classes) of WIDTH channels to PATH (for the bench)")
ap.add_argument("--readme", action="store_true",
                help="only export fmnist_cnn.onnx, the README's end-to-end example (Fashion-MNIST's 1x28x28 images)")
args = ap.parse_args()
sys.path.insert(0, os.path.abspath(args.bench))

import st_io  # noqa: E402
from cnn import PaperCNN  # noqa: E402
from torch_references import BasicBlock, ResNet18, forward_backward, kernels  # noqa: E402

torch.set_num_threads(1)
OUT = args.out
os.makedirs(OUT, exist_ok=True)

# Gradients of models over this many parameters are stored as float32 (4 bytes a value instead of 8) to keep the
# repository small; float32 rounding (6e-8 relative) is far below the tests' 1e-5 tolerance.
BIG = 100_000


def out(name):
    return os.path.join(OUT, name)


def f64(t):
    return t.detach().to(torch.float64).numpy().copy()


# ----------------------------------------------------------------------------- models

class SmallResNet(nn.Module):
    """Two residual blocks with max and average pooling (one AvgPool2d with padding) and a linear head."""

    def __init__(self, nf=4, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, nf, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(nf)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.block1 = BasicBlock(nf, nf, 1)
        self.pool2 = nn.AvgPool2d(2)
        self.block2 = BasicBlock(nf, 2 * nf, 2)
        self.pool3 = nn.AvgPool2d(3, stride=1, padding=1)
        self.fc = nn.Linear(2 * nf, num_classes)

    def forward(self, x):
        out = self.pool1(F.relu(self.bn1(self.conv1(x))))
        out = self.pool2(self.block1(out))
        out = self.pool3(self.block2(out))
        out = F.adaptive_avg_pool2d(out, 1)
        return self.fc(out.view(out.size(0), -1))


class ZooMLP(nn.Module):
    """Linear layers with LayerNorm, GELU (erf), tanh, softplus, sigmoid, leaky ReLU, erf, dropout and constants."""

    def __init__(self, d_in=12, width=16, num_classes=5):
        super().__init__()
        self.fc1 = nn.Linear(d_in, width)
        self.ln1 = nn.LayerNorm(width)
        self.fc2 = nn.Linear(width, width)
        self.fc3 = nn.Linear(width, width)
        self.drop = nn.Dropout(0.1)
        self.fc4 = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc5 = nn.Linear(width, num_classes)

    def forward(self, x):
        h = F.gelu(self.ln1(self.fc1(x)))  # opset 17: LayerNormalization; GELU as Div, Erf, Add, Mul, Mul
        h = torch.tanh(self.fc2(h))
        h = F.softplus(self.drop(self.fc3(h)))
        h = torch.sigmoid(self.fc4(h)) - 0.5
        h = F.leaky_relu(self.ln2(h), 0.1)
        h = torch.erf(h) * 2.0
        return self.fc5(h / 1.5)


def randomise_norms(model, x, fresh=()):
    """Random BatchNorm/LayerNorm affine parameters, running statistics from three training-mode batches; the modules
    named in `fresh` are reset to PyTorch's initial state (ones and zeros, which the exporter deduplicates)."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(x + 0.3 * torch.randn_like(x))
    for name in fresh:
        model.get_submodule(name).reset_parameters()
    model.eval()


# ----------------------------------------------------------------------------- exports

def export(model, x, name, opset, train=False, documented=True, dynamic=True, path=None):
    """documented: the call docs/onnx.md gives (BatchNormalization nodes kept); otherwise torch.onnx.export's defaults
    (evaluation mode, constant folding: BatchNorm folded into the convolutions)."""
    m = copy.deepcopy(model).train(train)
    kw = dict(opset_version=opset)
    if documented:
        kw.update(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    if dynamic:
        kw.update(input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    torch.onnx.export(m, x[:1], path or out(f"{name}.onnx"), **kw)


# ----------------------------------------------------------------------------- references

def state_names(model):
    params = [n for n, _ in model.named_parameters()]
    buffers = [n for n, _ in model.named_buffers() if not n.endswith("num_batches_tracked")]
    return params, buffers


def references(name, model, x, labels, probe, batchnorm, store_state=True):
    big = sum(p.numel() for p in model.parameters()) > BIG
    grad_type = (lambda t: t.detach().float().numpy().copy()) if big else f64
    params, buffers = state_names(model)
    ref = {"x": x, "labels": labels, "probe": probe}
    modes = [("", False), ("train.", True)] if batchnorm else [("", False)]
    for prefix, train in modes:
        logits, loss, grads, bufs = forward_backward(model, x, labels, train)
        ref[prefix + "logits"] = f64(logits)
        ref[prefix + "loss"] = f64(loss)
        if train or not (big and batchnorm):  # a big BatchNorm model: the training-mode gradients only
            ref.update({f"{prefix}grad.{k}": grad_type(g) for k, g in grads.items()})
        if train:
            ref.update({f"{prefix}{k}": f64(b) for k, b in bufs.items()})
    full, trace, logit0 = kernels(model, probe)
    ref.update({"entk.full": f64(full), "entk.trace": f64(trace), "entk.logit0": f64(logit0)})
    if store_state:
        ref.update({f"state.{k}": v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")})
    st_io.save(ref, out(f"{name}_ref.safetensors"), metadata={"parameters": ",".join(params), "buffers": ",".join(buffers)})


def main():
    torch.manual_seed(21)
    cnn = PaperCNN(width=4, in_channels=3, image_size=8, num_classes=10).eval()
    x = torch.randn(5, 3, 8, 8)
    export(cnn, x, "cnn", 11, dynamic=False)  # opset 11, the batch size fixed at 1 in the file
    references("cnn", cnn, x, torch.randint(0, 10, (5,)), torch.randn(6, 3, 8, 8), batchnorm=False)

    torch.manual_seed(22)
    resnet = ResNet18(nf=20, num_classes=10)
    x = torch.randn(5, 3, 32, 32)
    randomise_norms(resnet, x)
    export(resnet, x, "resnet18_nf20", 17)
    references("resnet18_nf20", resnet, x, torch.randint(0, 10, (5,)), torch.randn(4, 3, 32, 32), batchnorm=True,
               store_state=False)

    torch.manual_seed(23)
    mlp = ZooMLP()
    x = torch.randn(5, 12)
    randomise_norms(mlp, x)
    export(mlp, x, "mlp", 17)
    export(mlp, x, "mlp_train", 17, train=True)  # Dropout nodes with a ratio input and training_mode = true
    references("mlp", mlp, x, torch.randint(0, 5, (5,)), torch.randn(6, 12), batchnorm=False)

    torch.manual_seed(24)
    small = SmallResNet(nf=4, num_classes=10)
    x = torch.randn(5, 3, 16, 16)
    randomise_norms(small, x, fresh=["block2.bn2"])  # exported as Identity nodes of bn2.weight and bn2.bias
    export(small, x, "resnet_small", 17)
    export(small, x, "resnet_small_train", 12, train=True, dynamic=False)  # BatchNormalization with training outputs
    export(small, x, "resnet_small_folded", 17, documented=False)  # BatchNorm folded into the convolutions
    references("resnet_small", small, x, torch.randint(0, 10, (5,)), torch.randn(6, 3, 16, 16), batchnorm=True)

    readme_model()

    total = sum(os.path.getsize(out(f)) for f in os.listdir(OUT) if not f.endswith(".md"))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}")


def readme_model():
    """The README's example: the paper's CNN (width 4) on Fashion-MNIST's 1x28x28 images, 10 classes, the documented call."""
    torch.manual_seed(25)
    export(PaperCNN(width=4, in_channels=1, image_size=28, num_classes=10).eval(), torch.randn(1, 1, 28, 28), "fmnist_cnn", 17)


if args.readme:
    readme_model()
elif args.cnn:
    torch.manual_seed(0)
    export(PaperCNN(width=int(args.cnn[0]), in_channels=3, image_size=32, num_classes=10).eval(), torch.randn(1, 3, 32, 32), "", 17,
           path=args.cnn[1])
elif args.resnet18:
    torch.manual_seed(0)
    export(ResNet18(nf=int(args.resnet18[0])).eval(), torch.randn(1, 3, 32, 32), "", 17, path=args.resnet18[1])
else:
    main()
