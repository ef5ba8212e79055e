"""PyTorch's numbers for a model, shared by the fixture scripts (import it after ../shared/bench is on sys.path).

Reference results are computed in float64 from float32 weights and inputs; PyTorch's own float32 run must agree with
them to the tests' criterion (logits elementwise, each gradient to 1e-5 in Frobenius norm), so that a float32 engine can.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from functorch import jacrev, make_functional_with_buffers, vmap

import entk

# Every ReLU of BasicBlock and ResNet18 goes through this name, so that make_resnet_fixtures.py can record and pin the
# branches each call takes (Relus there); F.relu otherwise.
relu = F.relu


def forward_backward(model, x, labels, train):
    """float64 logits, mean cross-entropy, parameter gradients and the running statistics after the batch (training)."""
    res = {}
    for dt in (torch.float64, torch.float32):
        m = copy.deepcopy(model).to(dt).train(train)
        logits = m(x.to(dt))
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        res[dt] = (logits.detach(), loss.detach(), {k: p.grad for k, p in m.named_parameters()},
                   {k: b for k, b in m.named_buffers() if not k.endswith("num_batches_tracked")})
    (l64, s64, g64, b64), (l32, _, g32, _) = res[torch.float64], res[torch.float32]
    assert torch.allclose(l32.double(), l64, rtol=1e-5, atol=1e-6)  # no ReLU / max-pool near-tie
    for k in g64:
        assert float((g32[k].double() - g64[k]).norm()) <= 1e-5 * float(g64[k].norm()), k
    return l64, s64, g64, b64


def kernels(model, probe):
    """The eNTK in evaluation mode: entk.entk_jac's jacobian contraction (vmap of jacrev over the samples, then J J^T)
    with the buffers held as constants (make_functional_with_buffers), checked against entk.entk_naive's backward calls.
    Returns the full (nk x nk, sample-major), trace (n x n) and logit-0 (n x n) kernels."""
    m = copy.deepcopy(model).double().eval()
    X = probe.double()
    fnet, params, buffers = make_functional_with_buffers(m)
    params = tuple(p.detach() for p in params)

    def f(p, x):
        return fnet(p, buffers, x.unsqueeze(0)).squeeze(0)

    jac = vmap(jacrev(f), (None, 0))(params, X)
    J = torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in jac], 2)
    n, k = J.shape[:2]
    full = J.reshape(n * k, -1) @ J.reshape(n * k, -1).T
    assert torch.allclose(full, entk.entk_naive(m, X), rtol=1e-12, atol=1e-12 * float(full.abs().max()))
    trace = entk.full_to_trace(full, k)
    return full, trace, full.reshape(n, k, n, k)[:, 0, :, 0]


class BasicBlock(nn.Module):
    """The CIFAR ResNet basic block (GEM / Mammoth names): conv1-bn1-relu-conv2-bn2, plus the shortcut, then relu."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    """CIFAR ResNet-18: 3x3 stem without pooling, stages [2, 2, 2, 2] of widths nf*[1, 2, 4, 8], global average
    pooling, a linear head (GEM's and Mammoth's reduced ResNet-18 at nf = 20)."""

    def __init__(self, nf=20, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, nf, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(nf)
        planes, widths = nf, [nf, 2 * nf, 4 * nf, 8 * nf]
        for i, (w, s) in enumerate(zip(widths, [1, 2, 2, 2])):
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(planes, w, s), BasicBlock(w, w, 1)))
            planes = w
        self.classifier = nn.Linear(8 * nf, num_classes)

    def forward(self, x):
        out = relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, 1)
        return self.classifier(out.view(out.size(0), -1))  # Shape/Gather/Unsqueeze/Concat/Reshape in the export
