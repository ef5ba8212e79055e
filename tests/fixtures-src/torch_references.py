"""PyTorch's numbers for a model, shared by the fixture scripts (import it after ../shared/bench is on sys.path).

Reference results are computed in float64 from float32 weights and inputs; PyTorch's own float32 run must agree with
them to the tests' criterion (logits elementwise, each gradient to 1e-5 in Frobenius norm), so that a float32 engine can.
"""
import copy

import torch
import torch.nn.functional as F
from functorch import jacrev, make_functional_with_buffers, vmap

import entk


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
