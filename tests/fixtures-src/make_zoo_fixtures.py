"""Writes the layer-zoo fixtures in tests/NtkDynamics.Tests/Fixtures/zoo/ (see the README.md there).

Run from anywhere with Debian's Python (torch 1.13 with functorch, numpy):
    /usr/bin/python3 tests/fixtures-src/make_zoo_fixtures.py [--bench DIR] [--out DIR]
DIR defaults: --bench <repo>/../shared/bench (entk.py, st_io.py; torch_references.py here), --out the Fixtures/zoo folder.

- layers.safetensors: each elementwise activation, AvgPool2d, LayerNorm and GroupNorm configuration alone: outputs and
  the gradients of sum(r * y) with respect to the input and the parameters.
- every_layer_*.safetensors: ZooNet, the PyTorch twin of every_layer.yaml (a graph that uses every layer kind): logits,
  loss and gradients in evaluation and training mode, running statistics after the training batch, and functorch's eNTK
  (full, trace, logit 0) in evaluation mode.
Reference results are computed in float64 from float32 weights and inputs (exactly representable); every draw is seeded
and torch runs on one thread, so a rerun writes identical bytes.
"""
import argparse
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
ap.add_argument("--out", default=os.path.join(REPO, "tests", "NtkDynamics.Tests", "Fixtures", "zoo"))
args = ap.parse_args()
sys.path.insert(0, os.path.abspath(args.bench))

import st_io  # noqa: E402
from torch_references import forward_backward, kernels  # noqa: E402

torch.set_num_threads(1)
OUT = args.out
os.makedirs(OUT, exist_ok=True)


def f64(t):
    return t.detach().to(torch.float64).numpy().copy()


def f32(t):
    return t.detach().to(torch.float32).numpy().copy()


# ----------------------------------------------------------------------------- our generator, for Dropout's mask

M64 = (1 << 64) - 1


class Xoshiro:
    """NtkDynamics.Tensors.Rng: xoshiro256** seeded by splitmix64; next_double has 53 bits."""

    def __init__(self, seed):
        x, self.s = seed, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def _rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & M64

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (self._rotl((s1 * 5) & M64, 7) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def next_double(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))


def dropout_mask(seed, shape, p):
    """Our Dropout's mask for a generator seeded with `seed`: element e (C order) kept when the next double >= p."""
    rng = Xoshiro(seed)
    keep = [rng.next_double() >= p for _ in range(int(np.prod(shape)))]
    return torch.tensor(keep, dtype=torch.float64).reshape(shape)


# ----------------------------------------------------------------------------- layers alone

ACTIVATIONS = {
    "relu": nn.ReLU(), "leakyrelu": nn.LeakyReLU(), "leakyrelu_0.2": nn.LeakyReLU(0.2), "gelu": nn.GELU(),
    "tanh": nn.Tanh(), "erf": torch.erf, "sigmoid": nn.Sigmoid(), "softplus": nn.Softplus(),
    "softplus_2_3": nn.Softplus(beta=2, threshold=3), "silu": nn.SiLU(),
}

# (kernel, stride, padding, ceil_mode, count_include_pad), each an (h, w) pair
AVGPOOLS = [((2, 2), (2, 2), (0, 0), False, True), ((3, 3), (2, 2), (1, 1), False, True), ((3, 3), (2, 2), (1, 1), True, True),
            ((3, 3), (2, 2), (1, 1), True, False), ((2, 2), (2, 2), (0, 0), True, True), ((3, 2), (3, 1), (1, 1), True, False),
            ((3, 3), (1, 1), (1, 1), False, False)]

# name -> module over an input of [4, 6, 3, 2]
NORMS = {
    "layernorm_6x3x2": lambda: nn.LayerNorm([6, 3, 2]), "layernorm_3x2": lambda: nn.LayerNorm([3, 2]),
    "layernorm_2": lambda: nn.LayerNorm(2, eps=1e-3), "layernorm_plain": lambda: nn.LayerNorm([6, 3, 2], elementwise_affine=False),
    "groupnorm_1": lambda: nn.GroupNorm(1, 6), "groupnorm_2": lambda: nn.GroupNorm(2, 6), "groupnorm_3": lambda: nn.GroupNorm(3, 6, eps=1e-3),
    "groupnorm_6": lambda: nn.GroupNorm(6, 6), "groupnorm_plain": lambda: nn.GroupNorm(3, 6, affine=False),
}


def grads(f, x, params=()):
    """y = f(x) in float64, and d sum(r * y) / d x and / d params for a seeded r."""
    x = x.double().clone().requires_grad_(True)
    y = f(x)
    r = torch.randn(y.shape, dtype=torch.float32)
    (y * r.double()).sum().backward()
    return y, r, x.grad, [p.grad for p in params]


def layer_fixtures():
    torch.manual_seed(10)
    res = {}
    # the activations: a grid over [-30, 30] (softplus's threshold, erf's and tanh's saturation), small values, N(0, 9)
    x = torch.cat([torch.linspace(-30, 30, 121), torch.tensor([1e-4, -1e-4, 1.5, -1.5, 1e-6]), 3 * torch.randn(64)])
    res["act.x"] = f32(x)
    for name, f in ACTIVATIONS.items():
        y, r, dx, _ = grads(f, x)
        res.update({f"{name}.r": f32(r), f"{name}.y": f64(y), f"{name}.dx": f64(dx)})
    xp = torch.randn(2, 3, 7, 6)
    res["avgpool.x"] = f32(xp)
    for i, (k, s, p, ceil, cip) in enumerate(AVGPOOLS):
        y, r, dx, _ = grads(lambda t: F.avg_pool2d(t, k, s, p, ceil_mode=ceil, count_include_pad=cip), xp)
        res.update({f"avgpool{i}.config": np.array([*k, *s, *p, int(ceil), int(cip)], dtype=np.int64),
                    f"avgpool{i}.r": f32(r), f"avgpool{i}.y": f64(y), f"avgpool{i}.dx": f64(dx)})
    xn = torch.randn(4, 6, 3, 2) * 2 + 0.5
    res["norm.x"] = f32(xn)
    for name, make in NORMS.items():
        m = make().double()
        params = list(m.parameters())
        with torch.no_grad():
            for q in params:
                q.copy_(torch.randn(q.shape).double())  # float32 values: the C# side holds them exactly
        y, r, dx, dp = grads(m, xn, params)
        res.update({f"{name}.r": f32(r), f"{name}.y": f64(y), f"{name}.dx": f64(dx)})
        for (pname, q), g in zip(m.named_parameters(), dp):
            res.update({f"{name}.{pname}": f32(q), f"{name}.d{pname}": f64(g)})
    st_io.save(res, os.path.join(OUT, "layers.safetensors"))


# ----------------------------------------------------------------------------- the graph of every layer kind

class ZooNet(nn.Module):
    """every_layer.yaml: module names are its node names, so the state dicts' names are the same."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 6, (3, 1), padding=(1, 0))
        self.gn = nn.GroupNorm(3, 6)
        self.avgpool = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
        self.conv3 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.ln1 = nn.LayerNorm([8, 3, 3])
        self.maxpool = nn.MaxPool2d(2, 1)
        self.leaky = nn.LeakyReLU(0.2)
        self.fc1 = nn.Linear(32, 12, bias=False)
        self.bn2 = nn.BatchNorm1d(12)
        self.fc2 = nn.Linear(8, 12, bias=False)
        self.ln2 = nn.LayerNorm(12)
        self.drop = nn.Dropout(0.25)
        self.softplus = nn.Softplus(beta=2, threshold=2)
        self.id = nn.Identity()
        self.head = nn.Linear(12, 5)
        self.mask = None  # training mode: Dropout's mask as our generator draws it (else nn.Dropout's own)

    def forward(self, x):
        relu1 = F.relu(self.bn1(self.conv1(x)))
        res1 = F.gelu(self.gn(self.conv2(relu1))) + relu1
        leaky = self.leaky(self.maxpool(torch.tanh(self.ln1(self.conv3(self.avgpool(res1))))))
        erf = torch.erf(self.bn2(self.fc1(torch.flatten(leaky, 1))))
        silu = F.silu(self.ln2(self.fc2(leaky.mean((2, 3)))))
        drop = silu * self.mask.to(silu.dtype) / (1 - self.drop.p) if self.training and self.mask is not None else self.drop(silu)
        return self.head(torch.sigmoid(self.id(self.softplus(erf + drop))))


DROPOUT_SEED = 2025  # the C# test sets Dropout's generator to new Rng(2025)


def graph_fixtures():
    torch.manual_seed(20)
    model = ZooNet()
    with torch.no_grad():  # affine parameters and running statistics away from PyTorch's ones and zeros
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.LayerNorm, nn.GroupNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.3)
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                m.running_mean.normal_(0.0, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(3)
    model.eval()
    st_io.save({k: v.numpy() for k, v in model.state_dict().items()}, os.path.join(OUT, "every_layer_weights.safetensors"))
    x = torch.randn(6, 3, 8, 8)
    labels = torch.randint(0, 5, (6,))
    probe = torch.randn(4, 3, 8, 8)
    ref = {"x": f32(x), "labels": labels.numpy(), "probe": f32(probe)}
    logits, loss, g, _ = forward_backward(model, x, labels, train=False)
    ref.update({"eval.logits": f64(logits), "eval.loss": f64(loss), **{f"eval.grad.{k}": f64(v) for k, v in g.items()}})
    model.mask = dropout_mask(DROPOUT_SEED, (6, 12), model.drop.p)
    logits, loss, g, bufs = forward_backward(model, x, labels, train=True)
    ref.update({"train.logits": f64(logits), "train.loss": f64(loss), "train.mask": f32(model.mask),
                **{f"train.grad.{k}": f64(v) for k, v in g.items()}, **{f"train.{k}": f64(v) for k, v in bufs.items()}})
    full, trace, logit0 = kernels(model, probe)
    ref.update({"entk.full": f64(full), "entk.trace": f64(trace), "entk.logit0": f64(logit0)})
    st_io.save(ref, os.path.join(OUT, "every_layer_ref.safetensors"))


def main():
    layer_fixtures()
    graph_fixtures()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(os.listdir(OUT))} files, {total} bytes in {OUT}")


main()
