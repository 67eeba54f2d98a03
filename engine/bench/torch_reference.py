#!/usr/bin/env python3
"""PyTorch twin of `a2q bench`, for speed comparisons run side by side.

Times exactly what the engine's bench times: one fixed batch, a training step of forward,
softmax cross-entropy, backward and a plain SGD update, and an inference forward pass; the
median and 90th percentile of many steps after a warm-up. Prints one JSON line.

With --serve it warms up, prints one JSON line with its version, then times blocks of steps on
request, one command per line on stdin ("train N", "infer N", "quit"), answering each with a JSON
line of the N step times in ms. `a2q bench --compare-torch` uses this to alternate blocks of its
own steps with PyTorch's, so that both see the same machine state.

Thread settings are PyTorch's best on small machines: OpenBLAS pinned to one thread (its
spinning pool otherwise fights the OpenMP pool), an active OpenMP wait policy, and each OpenMP
thread bound to its own core.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE")
# With several threads, one core per OpenMP thread: with spinning waits, two threads the scheduler
# put on one core ran a training step 3-6x slower after the twin was continued between blocks. A
# single thread stays free to move (bound, it measured 5.1-7.0 ms against 4.2-4.5).
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=os.cpu_count())
if _pre.parse_known_args()[0].threads > 1:
    os.environ.setdefault("OMP_PROC_BIND", "true")
    os.environ.setdefault("OMP_PLACES", "cores")

import time  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


def resnet():
    return nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def summarize(ms, batch):
    s = sorted(ms)
    median = s[len(s) // 2]
    p90 = s[min(len(s) - 1, int(0.9 * len(s)))]
    return {"median_ms": median, "p90_ms": p90, "images_per_second": batch / (median / 1000)}


def train_steps(model, opt, x, y, n):
    model.train()
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def infer_steps(model, x, n):
    model.eval()
    ms = []
    with torch.no_grad():
        for _ in range(n):
            t0 = time.perf_counter()
            model(x)[0, 0].item()
            ms.append((time.perf_counter() - t0) * 1000)
    return ms


def serve(model, opt, x, y):
    """Answers "train N" / "infer N" with the N step times until "quit" or end of input."""
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        n = int(parts[1])
        ms = train_steps(model, opt, x, y, n) if parts[0] == "train" else infer_steps(model, x, n)
        print(json.dumps({"ms": ms}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="lenet", choices=["lenet", "mlp", "resnet"])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--serve", action="store_true", help="warm up, then time blocks of steps on request")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = {"lenet": lenet, "mlp": mlp, "resnet": resnet}[a.model]()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))
    train_steps(model, opt, x, y, a.warmup)
    infer_steps(model, x, a.warmup)
    if a.serve:
        print(json.dumps({"torch": torch.__version__, "threads": a.threads, "model": a.model, "batch": a.batch}),
              flush=True)
        serve(model, opt, x, y)
        return 0
    train_ms = train_steps(model, opt, x, y, a.steps)
    infer_ms = infer_steps(model, x, a.steps)
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "model": a.model, "batch": a.batch,
                      "train": summarize(train_ms, a.batch), "inference": summarize(infer_ms, a.batch)}))


if __name__ == "__main__":
    sys.exit(main())
