"""Writes the ResNet-18 fixture tests/NtkDynamics.Tests/Fixtures/resnet18/resnet18_nf20.safetensors (see the README.md there).

Run from anywhere with Debian's Python (torch 1.13 with functorch, numpy):
    /usr/bin/python3 tests/fixtures-src/make_resnet_fixtures.py [--bench DIR] [--out DIR]
DIR defaults: --bench <repo>/../shared/bench (entk.py, st_io.py; torch_references.py here), --out Fixtures/resnet18.

The CIFAR ResNet-18 at nf 20 has 1.1 M parameters, so neither its weights nor its gradients are stored: weights, inputs
and labels are drawn by a counter hash (splitmix64 of seed + index, the 24 top bits as a float32 in [-1, 1)) that the C#
test repeats, and every gradient or weight change is kept as its norm and 32 hashed ±1 projections (a sketch whose
relative error estimates the whole tensor's). Running statistics, logits, losses and kernels are stored whole.
Reference results are computed in float64 from the float32 weights and inputs, so a rerun writes identical bytes.

ReLU kinks: a ReLU input within rounding of zero takes float64's branch in one float32 engine and the other branch in
another (which ones depends on the BLAS kernel), and a flipped unit moves a gradient by far more than 1e-5. For every
training pass the float64 run records each ReLU call's input; the float32 run lists as kinks the inputs within KINK_MARGIN
times that call's largest float32 deviation of the float64 input, and takes float64's branch at them (Relus). The kinks
(call, flat index, float64 input) and each call's margin are stored, and the C# test pins them the same way.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ap = argparse.ArgumentParser()
ap.add_argument("--bench", default=os.path.join(REPO, "..", "shared", "bench"))
ap.add_argument("--out", default=os.path.join(REPO, "tests", "NtkDynamics.Tests", "Fixtures", "resnet18"))
args = ap.parse_args()
sys.path.insert(0, os.path.abspath(args.bench))

import st_io  # noqa: E402
import torch_references  # noqa: E402
from torch_references import ResNet18, forward_backward, kernels  # noqa: E402

torch.set_num_threads(1)
NF, BATCH, PROBE, STEPS, LR, MOMENTUM = 20, 8, 4, 3, 0.05, 0.9
SKETCH = 32  # projections per tensor
KINK_MARGIN = 4  # a kink: |float64 input| < KINK_MARGIN x the call's largest |float32 - float64| input difference


class Relus:
    """Stands in for torch_references.relu during a named pass (begin): in float64 it records every call's input, in
    float32 it finds the kinks of the same call and takes float64's branch there. Calls are counted per dtype, so one
    pass may run float64 first and float32 after it."""

    def __init__(self):
        self.inputs, self.kinks, self.margins, self.calls, self.name = {}, {}, {}, {}, None

    def begin(self, name):
        self.name = name
        self.calls = {}

    def __call__(self, x):
        call = self.calls.get(x.dtype, 0)
        self.calls[x.dtype] = call + 1
        if x.dtype == torch.float64:
            self.inputs.setdefault(self.name, []).append(x.detach().clone())
            return F.relu(x)
        x64 = self.inputs[self.name][call].reshape(-1)
        margin = KINK_MARGIN * float((x.detach().double().reshape(-1) - x64).abs().max())
        self.margins.setdefault(self.name, []).append(margin)
        at = torch.nonzero(x64.abs() < margin).reshape(-1)
        self.kinks.setdefault(self.name, []).extend((call, int(i), float(x64[i])) for i in at)
        positive = (x.detach() > 0).reshape(-1).clone()
        positive[at] = x64[at] > 0
        return torch.where(positive.reshape(x.shape), x, torch.zeros_like(x))

    def store(self, ref):
        for name, margins in self.margins.items():
            ref[f"kinks.{name}"] = np.array(self.kinks.get(name, []), dtype=np.float64).reshape(-1, 3)
            ref[f"kink_margins.{name}"] = np.array(margins)


def mix(z):
    """splitmix64's finaliser over uint64 arrays (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hashed(seed, count):
    """count float32 values in [-1, 1): 2 * (top 24 bits of mix(seed * 2^32 + i)) / 2^24 - 1, exact in float32."""
    z = mix(np.uint64(seed) * np.uint64(1 << 32) + np.arange(count, dtype=np.uint64))
    return ((z >> np.uint64(40)).astype(np.float64) / (1 << 23) - 1.0).astype(np.float32)


def sketch(seed, g):
    """SKETCH projections of g (flattened) on hashed ±1 vectors (sign = the top bit), each divided by sqrt(SKETCH)."""
    g = g.detach().double().reshape(-1).numpy()
    rows = [np.where(hashed(seed + j, g.size) >= 0, 1.0, -1.0) @ g for j in range(SKETCH)]
    return np.array(rows) / np.sqrt(SKETCH)


def f64(t):
    return t.detach().to(torch.float64).numpy().copy()


def initialise(model, ref):
    """Every state-dict tensor from the hash: offset + scale * u, stored as init.<name> = [seed, offset, scale]."""
    with torch.no_grad():
        for i, (name, t) in enumerate(model.state_dict().items()):
            if name.endswith("num_batches_tracked"):
                t.fill_(3)
                continue
            if name.endswith("running_var"):
                offset, scale = 1.25, 0.75
            elif name.endswith("running_mean"):
                offset, scale = 0.0, 0.25
            elif t.dim() == 1 and ".bn" in f".{name}" or "shortcut.1" in name:  # BatchNorm's γ and β
                offset, scale = (1.0, 0.5) if name.endswith("weight") else (0.0, 0.25)
            else:  # conv and linear weights, the head's bias: PyTorch's bound 1/sqrt(fan_in)
                fan_in = t[0].numel() if t.dim() > 1 else model.classifier.in_features
                offset, scale = 0.0, float(np.float32(1 / np.sqrt(fan_in)))
            seed = 1000 + i
            u = hashed(seed, t.numel())
            t.copy_(torch.from_numpy(np.float32(offset) + np.float32(scale) * u).reshape(t.shape))
            ref[f"init.{name}"] = np.array([seed, offset, scale])


def inputs(seed, n):
    return torch.from_numpy(hashed(seed, n * 3 * 32 * 32)).reshape(n, 3, 32, 32)


def labels(seed, n):
    z = mix(np.uint64(seed) * np.uint64(1 << 32) + np.arange(n, dtype=np.uint64))
    return torch.from_numpy(((z >> np.uint64(40)) % np.uint64(10)).astype(np.int64))


def main():
    model = ResNet18(nf=NF)
    ref = {}
    initialise(model, ref)
    params = [name for name, _ in model.named_parameters()]
    sketch_seed = {name: 5000 + 100 * i for i, name in enumerate(params)}
    ref["sketch_seeds"] = np.array([sketch_seed[n] for n in params], dtype=np.int64)

    relus = Relus()
    torch_references.relu = relus
    # one training-mode step: logits, loss, every gradient, the running statistics after it
    x, y = inputs(1, BATCH), labels(2, BATCH)
    relus.begin("train")
    logits, loss, grads, bufs = forward_backward(model, x, y, train=True)
    ref.update({"train.logits": f64(logits), "train.loss": f64(loss)})
    for name, g in grads.items():
        ref[f"train.grad.{name}"] = sketch(sketch_seed[name], g)
        ref[f"train.gradnorm.{name}"] = np.array([float(g.norm())])
    ref.update({f"train.{k}": f64(v) for k, v in bufs.items()})

    # STEPS steps of SGD with momentum, batch s from seeds 10 + 2s, 11 + 2s: losses, weight changes, statistics, in float64;
    # PyTorch's own float32 run gives each weight change's float32 error (the change of a weight near 1 by 1e-2 keeps
    # only 5 digits in float32), which bounds what a float32 engine can match
    runs = {}
    for dt in (torch.float64, torch.float32):
        m = ResNet18(nf=NF).to(dt)
        m.load_state_dict(model.state_dict())
        m.train()
        start = {k: p.detach().clone() for k, p in m.named_parameters()}
        opt = torch.optim.SGD(m.parameters(), lr=LR, momentum=MOMENTUM)
        losses = []
        for s in range(STEPS):
            opt.zero_grad()
            relus.begin(f"sgd{s}")
            step_loss = F.cross_entropy(m(inputs(10 + 2 * s, BATCH).to(dt)), labels(11 + 2 * s, BATCH))
            step_loss.backward()
            opt.step()
            losses.append(float(step_loss))
        runs[dt] = (m, losses, {k: (p - start[k]).detach().double() for k, p in m.named_parameters()})
    m, losses, delta = runs[torch.float64]
    delta32 = runs[torch.float32][2]
    ref["sgd.losses"] = np.array(losses)
    for name in delta:
        ref[f"sgd.delta.{name}"] = sketch(sketch_seed[name], delta[name])
        ref[f"sgd.deltanorm.{name}"] = np.array([float(delta[name].norm())])
        ref[f"sgd.torch32_error.{name}"] = np.array([float((delta32[name] - delta[name]).norm() / delta[name].norm())])
    ref.update({f"sgd.{k}": f64(b) for k, b in m.named_buffers() if not k.endswith("num_batches_tracked")})
    relus.store(ref)
    torch_references.relu = F.relu
    m.eval()
    ref["sgd.eval_logits"] = f64(m(x.double()))

    # eNTK in evaluation mode (running statistics): functorch's full and trace kernels
    full, trace, _ = kernels(model, inputs(3, PROBE))
    ref.update({"entk.full": f64(full), "entk.trace": f64(trace)})

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "resnet18_nf20.safetensors")
    st_io.save(ref, path)
    print(f"{len(ref)} entries, {os.path.getsize(path)} bytes in {path}")


main()
