#!/usr/bin/python3
"""lmlab's MLP language model against the same model in PyTorch: one training step.

    make bench                                  (or, after `make`:)
    /usr/bin/python3 bench/bench_mlp.py [--reps 5] [--steps 10] > section.md

Run from anywhere with Debian's Python and python3-torch. The model is the benchmark MLP
(context 8, embedding 64, hidden 512, vocabulary 28, batch 512): embedding, concatenation,
linear + tanh, linear, softmax cross-entropy, backward, one Adam step. Both sides run on 2
threads with OMP_WAIT_POLICY=PASSIVE, each REPS times in processes of their own, alternating
lmlab and PyTorch; a process times STEPS steps after 3 warm-up steps and reports their median.
The section prints the median over the processes of each side. The C side is
bench/bench_mlp.c, compiled here against build/liblmlab.a.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench")
BIN = os.path.join(OUT, "bench_mlp")
N_CTX, E, H, V, B = 8, 64, 512, 28, 512
ENV = dict(os.environ, OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE")


def torch_worker(steps):
    """Times `steps` Adam steps of the model in PyTorch; prints the median in ms."""
    import time

    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(2)
    torch.manual_seed(1)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(V, E)
            self.fc1 = nn.Linear(N_CTX * E, H)
            self.head = nn.Linear(H, V)

        def forward(self, ctx, targets):
            x = self.wte(ctx).view(ctx.shape[0], -1)
            return F.cross_entropy(self.head(torch.tanh(self.fc1(x))), targets)

    model = MLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    ctx = torch.randint(0, V, (B, N_CTX))
    targets = torch.randint(0, V, (B,))
    times = []
    for s in range(3 + steps):
        t0 = time.perf_counter()
        loss = model(ctx, targets)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        if s >= 3:
            times.append((time.perf_counter() - t0) * 1e3)
    print("ms_per_step %.3f" % statistics.median(times))
    print("torch", torch.__version__)


def build():
    lib = os.path.join(REPO, "build", "liblmlab.a")
    if not os.path.exists(lib):
        sys.exit("bench_mlp.py: build/liblmlab.a is missing: run make first")
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["cc", "-O2", "-march=native", "-fopenmp", "-std=c11", "-D_GNU_SOURCE",
                    "-I" + REPO, os.path.join(REPO, "bench", "bench_mlp.c"), lib, "-lpcre2-8",
                    "-lm", "-o", BIN], check=True)


def ms_of(out):
    for line in out.splitlines():
        if line.startswith("ms_per_step "):
            return float(line.split()[1])
    raise RuntimeError("no timing in: " + out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_worker:
        torch_worker(a.steps)
        return
    build()
    c_ms, t_ms, version = [], [], "?"
    for rep in range(a.reps):
        out = subprocess.run([BIN, "step", str(N_CTX), str(E), str(H), str(V), str(B),
                              str(a.steps)], env=ENV, check=True, capture_output=True,
                             text=True).stdout
        c_ms.append(ms_of(out))
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-worker",
                              "--steps", str(a.steps)], env=ENV, check=True,
                             capture_output=True, text=True).stdout
        t_ms.append(ms_of(out))
        version = out.split()[-1]
        print("rep %d: lmlab %.1f ms, PyTorch %.1f ms" % (rep + 1, c_ms[-1], t_ms[-1]),
              file=sys.stderr)
    c, t = statistics.median(c_ms), statistics.median(t_ms)
    tok = B  # one predicted token per example
    print("## MLP language model: one training step\n")
    print("Context %d, embedding %d, hidden %d, vocabulary %d, batch %d; forward, backward and "
          "one Adam step; 2 threads, `OMP_WAIT_POLICY=PASSIVE`; median of %d processes per "
          "side, alternating, each the median of %d steps (`bench/bench_mlp.py`, %s).\n"
          % (N_CTX, E, H, V, B, a.reps, a.steps, platform.processor() or platform.machine()))
    print("| | ms per step | tokens/s |")
    print("|---|---:|---:|")
    print("| lmlab | %.1f | %.0f |" % (c, tok / c * 1e3))
    print("| PyTorch %s | %.1f | %.0f |" % (version, t, tok / t * 1e3))
    print("\nlmlab / PyTorch speed: %.2fx" % (t / c))


if __name__ == "__main__":
    main()
