"""Writes the reference fixtures in tests/NtkDynamics.Tests/Fixtures/ (see the README.md there).

Run from anywhere with Debian's Python (torch 1.13, numpy):
    /usr/bin/python3 tests/fixtures-src/make_fixtures.py [--bench DIR] [--out DIR]
DIR defaults: --bench <repo>/../shared/bench (cnn.py, entk.py, st_io.py), --out the Fixtures folder.
Every random draw is seeded, torch uses one thread: a rerun writes identical bytes.

Reference values (logits, losses, gradients, kernels, SGD weights) are computed in float64 from float32
weights and inputs (exactly representable), so they are the exact values a float32 engine approximates.
"""
import argparse
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ap = argparse.ArgumentParser()
ap.add_argument("--bench", default=os.path.join(REPO, "..", "shared", "bench"))
ap.add_argument("--out", default=os.path.join(REPO, "tests", "NtkDynamics.Tests", "Fixtures"))
args = ap.parse_args()
sys.path.insert(0, os.path.abspath(args.bench))

import entk  # noqa: E402
import st_io  # noqa: E402
from cnn import MLP, PaperCNN, pooled_size  # noqa: E402

torch.set_num_threads(1)
OUT = args.out
os.makedirs(OUT, exist_ok=True)


def out(name):
    return os.path.join(OUT, name)


def f64(t):
    return t.detach().to(torch.float64).numpy().copy()  # a copy: .numpy() of a float64 tensor shares its memory


# ----------------------------------------------------------------------------- formats: files numpy / st_io write

def format_fixtures():
    arrays = {
        "npy_f4_2x3.npy": (np.arange(6, dtype="<f4").reshape(2, 3) * np.float32(0.25) - np.float32(0.5)),
        "npy_f8_scalar.npy": np.array(1.0 / 3.0, dtype="<f8"),
        "npy_f8_1x2x3x4.npy": np.arange(24, dtype="<f8").reshape(1, 2, 3, 4) / 8.0,
        "npy_i8_5.npy": np.array([-2, -1, 0, 1, 2 ** 40], dtype="<i8"),
        "npy_u1_2x2x2.npy": (np.arange(8, dtype=np.uint8) * 30).reshape(2, 2, 2),
        "npy_i4_3.npy": np.array([-7, 0, 7], dtype="<i4"),
        "npy_b1_4.npy": np.array([True, False, False, True]),
        "npy_f4_0x3.npy": np.zeros((0, 3), dtype="<f4"),
    }
    for name, a in arrays.items():
        np.save(out(name), a)
    mixed = {
        "w": np.arange(6, dtype="<f4").reshape(2, 3) * np.float32(0.25) - np.float32(0.5),
        "k": np.array([[1.0, 1.0 / 3.0], [1.0 / 3.0, -2.5]], dtype="<f8"),
        "idx": np.array([-2, 0, 2 ** 40], dtype="<i8"),
        "img": np.array([[0, 127], [128, 255]], dtype=np.uint8),
        "s": np.array(3.5, dtype="<f4"),
        "e": np.zeros((0,), dtype="<f4"),
    }
    st_io.save(mixed, out("st_mixed.safetensors"), metadata={"arch": "test", "note": "caf\u00e9 \"q\""})
    st_io.save({"h": np.array([1.0, -2.0, 0.5], dtype=np.float16)}, out("st_f16.safetensors"))


# ----------------------------------------------------------------------------- (a)+(b) forward/backward

def forward_backward(model, x, labels):
    """float64 logits, mean cross-entropy, d loss / d params, d loss / d x; checked against float32."""
    res = {}
    for dt in (torch.float64, torch.float32):
        m = copy.deepcopy(model).to(dt)
        xi = x.to(dt).clone().requires_grad_(True)
        logits = m(xi)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        res[dt] = (logits.detach(), loss.detach(), {k: p.grad for k, p in m.named_parameters()}, xi.grad)
    (l64, s64, g64, x64), (l32, s32, g32, x32) = res[torch.float64], res[torch.float32]
    # float32 agrees with float64: no ReLU / max-pool near-tie that a float32 engine would resolve differently
    assert torch.allclose(l32.double(), l64, rtol=1e-5, atol=1e-6)
    for k in g64:
        assert torch.allclose(g32[k].double(), g64[k], rtol=1e-4, atol=1e-6 * float(g64[k].abs().max())), k
    return l64, s64, g64, x64


def model_fixtures(prefix, model, x, labels):
    st_io.save(model.state_dict(), out(f"{prefix}_weights.safetensors"))
    logits, loss, grads, xgrad = forward_backward(model, x, labels)
    st_io.save({"x": x, "labels": labels, "logits": f64(logits), "loss": f64(loss), "x_grad": f64(xgrad)},
               out(f"{prefix}_io.safetensors"))
    st_io.save({k: f64(g) for k, g in grads.items()}, out(f"{prefix}_grads.safetensors"))


# ----------------------------------------------------------------------------- (c) eNTK

def kernels(model, probe):
    m = copy.deepcopy(model).double()
    X = probe.double()
    full = entk.entk_jac(m, X, "full")
    trace = entk.entk_jac(m, X, "trace")
    assert torch.allclose(full, entk.entk_naive(m, X), rtol=1e-12, atol=1e-12)
    assert torch.allclose(trace, entk.full_to_trace(full, full.shape[0] // X.shape[0]), rtol=1e-12, atol=1e-12)
    n = X.shape[0]
    k = full.shape[0] // n
    return full, trace, full.reshape(n, k, n, k)[:, 0, :, 0]


def entk_fixtures(prefix, model, probe):
    full, trace, logit0 = kernels(model, probe)
    st_io.save({"probe": probe, "full": f64(full), "trace": f64(trace), "logit0": f64(logit0)},
               out(f"{prefix}_entk.safetensors"))
    return full, trace


# ----------------------------------------------------------------------------- (d) kernel metrics

def center(K):
    n = K.shape[0]
    H = np.eye(n) - np.ones((n, n)) / n
    return H @ K @ H


def hsic_unbiased(K, L):
    """Song et al. 2012, eq. (5): U-statistic with zeroed diagonals (n >= 4)."""
    n = K.shape[0]
    Kt, Lt = K - np.diag(np.diag(K)), L - np.diag(np.diag(L))
    one = np.ones(n)
    return float((np.trace(Kt @ Lt) + (one @ Kt @ one) * (one @ Lt @ one) / ((n - 1) * (n - 2))
                  - 2.0 / (n - 2) * (one @ Kt @ Lt @ one)) / (n * (n - 3)))


def one_kernel(K, labels, k):
    Kn = f64(entk._as64(K))
    lam = np.linalg.eigvalsh(Kn)
    pos = np.clip(lam, 0, None)
    p = pos[pos > 0] / pos.sum()
    return {
        "max_eig": entk.max_eig(K),
        "min_eig": float(lam[0]),
        "trace": float(np.trace(Kn)),
        "eigenvalues_descending": lam[::-1].tolist(),
        "effective_rank": float(np.exp(-(p * np.log(p)).sum())),
        "participation_ratio": float(pos.sum() ** 2 / (pos ** 2).sum()),
        "condition_number": float(lam[-1] / lam[0]) if lam[0] > 0 else "inf",  # JSON has no infinity
        "label_alignment_uncentered": entk.label_alignment(K, labels, k, centered=False),
        "label_alignment_centered": entk.label_alignment(K, labels, k, centered=True),
    }


def pair(K1, K2, dt):
    A, B = f64(entk._as64(K1)), f64(entk._as64(K2))
    hu = hsic_unbiased(A, B)
    return {
        "cka": entk.cka(K1, K2),
        "kernel_distance": entk.kernel_distance(K1, K2),
        "velocity": entk.kernel_velocity(K1, K2, dt),
        "velocity_dt": dt,
        "hsic_biased": entk.hsic(K1, K2),
        "hsic_unbiased": hu,
        "cka_unbiased": hu / math.sqrt(hsic_unbiased(A, A) * hsic_unbiased(B, B)),
        "uncentered_distance": float(1 - (A * B).sum() / (np.linalg.norm(A) * np.linalg.norm(B))),
    }


def metrics_fixtures(model, probe, probe_labels, x, labels, steps=5, lr=0.1):
    k = model.num_classes
    full1, trace1 = kernels(model, probe)[:2]
    trained = copy.deepcopy(model).double()
    opt = torch.optim.SGD(trained.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(trained(x.double()), labels).backward()
        opt.step()
    full2, trace2 = kernels(trained, probe)[:2]
    st_io.save({"trace1": f64(trace1), "trace2": f64(trace2), "full1": f64(full1), "full2": f64(full2),
                "labels": probe_labels}, out("metrics_kernels.safetensors"))
    res = {"num_classes": k, "labels": probe_labels.tolist()}
    for kind, K1, K2 in (("trace", trace1, trace2), ("full", full1, full2)):
        res[kind] = {"K1": one_kernel(K1, probe_labels, k), "K2": one_kernel(K2, probe_labels, k),
                     "pair": pair(K1, K2, float(steps))}
    with open(out("metrics.json"), "w") as fh:
        json.dump(res, fh, indent=1, allow_nan=False)
        fh.write("\n")


# ----------------------------------------------------------------------------- (e) MSE + SGD momentum, weight decay

def sgd_fixtures(model, x, labels, steps=3):
    m = copy.deepcopy(model).double()
    target = F.one_hot(labels, m.num_classes).double()
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    res, losses = {"target": target.numpy()}, []
    for t in range(1, steps + 1):
        opt.zero_grad()
        loss = F.mse_loss(m(x.double()), target)
        losses.append(float(loss))
        loss.backward()
        if t == 1:
            res.update({f"grad0.{n}": f64(p.grad) for n, p in m.named_parameters()})
        opt.step()
        res.update({f"step{t}.{n}": f64(p) for n, p in m.named_parameters()})
    res["mse_loss"] = np.array(losses)
    st_io.save(res, out("mlp_sgd.safetensors"))


def main():
    format_fixtures()

    assert pooled_size(7) == (0, 0)  # 7 -> 3 -> 1 -> 0: no features left, so the odd size is 11 -> 5 -> 2 -> 1
    cnns = {}
    for seed, size in ((1, 8), (2, 11)):
        torch.manual_seed(seed)
        model = PaperCNN(width=4, in_channels=3, image_size=size, num_classes=10)
        x = torch.randn(5, 3, size, size)
        labels = torch.randint(0, 10, (5,))
        model_fixtures(f"cnn_w4_s{size}", model, x, labels)
        cnns[size] = (model, x, labels)

    torch.manual_seed(3)
    mlp = MLP(12, [16, 8], 5)
    mlp_x = torch.randn(5, 12)
    mlp_labels = torch.randint(0, 5, (5,))
    model_fixtures("mlp", mlp, mlp_x, mlp_labels)

    torch.manual_seed(4)
    cnn_probe = torch.randn(6, 3, 8, 8)
    mlp_probe = torch.randn(6, 12)
    entk_fixtures("cnn_w4_s8", cnns[8][0], cnn_probe)
    entk_fixtures("mlp", mlp, mlp_probe)

    probe_labels = torch.tensor([3, 1, 3, 7, 1, 0])
    metrics_fixtures(cnns[8][0], cnn_probe, probe_labels, cnns[8][1], cnns[8][2])
    sgd_fixtures(mlp, mlp_x, mlp_labels)
    total = sum(os.path.getsize(out(f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}")


main()
