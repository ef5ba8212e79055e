#!/usr/bin/python3
"""PyTorch 1.13 (CPU, 2 threads) reference for the CIFAR ResNet-18 benchmarks, the protocol of ../shared/bench/bench_torch.py.

  /usr/bin/python3 bench/torch/bench_resnet.py [--only SUBSTR] [--skip SUBSTR] [--out FILE.json] [--bench DIR]

(--only: the cases whose names contain SUBSTR; --skip: not those, e.g. --skip ntkvp: NTK-vector products took 476 s for
the nf 20 kernel on 2026-12-04, against 16-21 s of the jacobian contraction.)

The model is ResNet18 of tests/fixtures-src/torch_references.py (our built-in resnet18's twin); every measurement runs in
its own subprocess (a clean peak RSS: VmHWM reset once model and probe exist).
  train  : ResNet-18 nf w on random 3x32x32, 10 classes, SGD lr 0.01, cross-entropy, batch 128, BatchNorm in training
           mode; an epoch is `epoch_images` images; 1 warm-up epoch, the median of 3 timed epochs -> images/s.
  entk   : probe n = 32, k = 10 in evaluation mode (model.eval()), entk.entk_jac (jac-full, jac-trace) or entk.entk_ntkvp
           (ntkvp-full) with the BatchNorm buffers held as constants (make_functional_with_buffers; entk's own
           make_functional refuses models with buffers); a warm-up call, then the median of 3 (1 if the first took > 8 s;
           the first alone if > 60 s).
Output: the JSON of bench_torch.py ({"env", "results": [{"config", "name", "result"}]}), names "train resnet18 w20",
"entk resnet18 w20 jac-trace", ...
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
THREADS = 2


def configs():
    cs = [{"task": "train", "model": "resnet18", "width": 20, "epoch_images": 512},
          {"task": "train", "model": "resnet18", "width": 64, "epoch_images": 256}]
    cs += [{"task": "entk", "model": "resnet18", "width": 20, "method": m} for m in ("jac-trace", "jac-full", "ntkvp-full")]
    cs += [{"task": "entk", "model": "resnet18", "width": 64, "method": "jac-trace"}]
    return cs


def cfg_name(c):
    return f"train resnet18 w{c['width']}" if c["task"] == "train" else f"entk resnet18 w{c['width']} {c['method']}"


def worker(cfg, bench):
    sys.path[:0] = [bench, os.path.join(REPO, "tests", "fixtures-src")]
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    from bench_torch import _reset_peak, _status
    from cnn import num_params
    from torch_references import ResNet18

    m = ResNet18(nf=cfg["width"])
    if cfg["task"] == "train":
        opt = torch.optim.SGD(m.parameters(), lr=0.01)
        N, B = cfg["epoch_images"], 128
        data, labels = torch.randn(N, 3, 32, 32), torch.randint(0, 10, (N,))
        m.train()
        reset_ok, base = _reset_peak(), _status("VmRSS")

        def epoch():
            t = time.perf_counter()
            for s in range(0, N, B):
                opt.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(m(data[s:s + B]), labels[s:s + B]).backward()
                opt.step()
            return time.perf_counter() - t

        epoch()
        times = [epoch() for _ in range(3)]
        med = statistics.median(times)
        return {"params": num_params(m), "images_per_s": N / med, "epoch_s": times, "step_ms": 1000 * med / (N // B),
                "base_rss_mb": base, "peak_rss_mb": _status("VmHWM"), "peak_reset": reset_ok}

    import entk
    from entk import entk_jac, entk_ntkvp
    from functorch import make_functional_with_buffers

    def functional_with_buffers(model):
        """entk.functional for a model with buffers (BatchNorm's running statistics): make_functional refuses those, so
        the buffers are held as constants, as torch_references.kernels does; evaluation mode reads them, never writes."""
        fnet, params, buffers = make_functional_with_buffers(model)
        return (lambda p, x: fnet(p, buffers, x)), tuple(p.detach() for p in params)

    entk.functional = functional_with_buffers
    m.eval()
    X = torch.randn(32, 3, 32, 32)
    meth = cfg["method"]

    def run():
        return entk_ntkvp(m, X, "full") if meth == "ntkvp-full" else entk_jac(m, X, meth.split("-")[1])

    reset_ok, base = _reset_peak(), _status("VmRSS")
    t = time.perf_counter()
    K = run()
    t0 = time.perf_counter() - t
    reps = 0 if t0 > 60 else 1 if t0 > 8 else 3
    times = [t0] if reps == 0 else []
    for _ in range(reps):
        t = time.perf_counter()
        K = run()
        times.append(time.perf_counter() - t)
    return {"params": num_params(m), "time_s": statistics.median(times), "first_call_s": t0, "reps": reps, "times_s": times,
            "base_rss_mb": base, "peak_rss_mb": _status("VmHWM"), "peak_reset": reset_ok,
            "kernel_shape": list(K.shape), "kernel_trace": float(K.double().trace())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--only", default="")
    ap.add_argument("--skip")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--out", default="torch_resnet.json")
    ap.add_argument("--bench", default=os.path.join(REPO, "..", "shared", "bench"))
    ap.add_argument("--quick", action="store_true")  # accepted for the C# driver; the cases are few already
    a = ap.parse_args()
    bench = os.path.abspath(a.bench)
    if a.worker:
        print("RESULT " + json.dumps(worker(json.loads(a.worker), bench)), flush=True)
        return 0
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS))
    results = []
    for c in configs():
        if a.only not in cfg_name(c) or (a.skip and a.skip in cfg_name(c)):
            continue
        try:
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(c), "--bench", bench],
                               capture_output=True, text=True, timeout=a.timeout, env=env)
            line = next((ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")), None)
            r = json.loads(line[7:]) if line else {"error": f"rc={p.returncode}: {(p.stderr or p.stdout)[-300:]}"}
        except subprocess.TimeoutExpired:
            r = {"error": f"timeout after {a.timeout}s"}
        results.append({"config": c, "name": cfg_name(c), "result": r})
        shown = r.get("error") or (f"{r['images_per_s']:.1f} img/s" if c["task"] == "train" else f"{r['time_s']:.3f} s")
        print(f"{cfg_name(c):32s} {shown}  peakRSS {r.get('peak_rss_mb', float('nan')):.0f} MB", flush=True)
    with open(a.out, "w") as fh:
        json.dump({"env": {"threads": THREADS}, "results": results}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
