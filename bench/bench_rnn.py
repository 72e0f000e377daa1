#!/usr/bin/python3
"""bench_rnn.py: one training step of a recurrent language model, lmlab against PyTorch.

    make            (builds build/liblmlab.a), then
    /usr/bin/python3 bench/bench_rnn.py [--cell lstm] [--runs 5] [--steps 5] [--matmul FILE]

The step is forward, backward and AdamW on a batch of random tokens with the state reset
(random sampling), for the char-level benchmark shape: batch 32, sequence 64, embedding and
hidden 256, one layer, vocabulary 65. Both sides run on 2 threads (OMP_NUM_THREADS=2 for
lmlab; torch.set_num_threads(2) and OMP_WAIT_POLICY=PASSIVE for PyTorch, Debian's
python3-torch), each in a process of its own, alternating, RUNS times; each run reports the
median of STEPS timed steps after two untimed ones, and the table gives the median over runs.
--matmul FILE links another nn/matmul.c in place of the library's (to time a kernel before
it is merged). Prints markdown on stdout; progress on stderr.
"""
import argparse
import os
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench", "rnn")
PY = "/usr/bin/python3"
SHAPE = {"B": 32, "T": 64, "E": 256, "H": 256, "V": 65, "L": 1}

TORCH = r"""
import sys, time, statistics, torch
torch.set_num_threads(2)
cell, B, T, E, H, V, L, steps = sys.argv[1], *map(int, sys.argv[2:9])
torch.manual_seed(1)
class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(V, E)
        self.rnn = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](E, H, L)
        self.head = torch.nn.Linear(H, V)
    def forward(self, x):               # x (T, B), time-major as torch.nn.LSTM's default
        y, _ = self.rnn(self.embed(x))  # zero initial state
        return self.head(y)
m = LM()
opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
x = torch.randint(V, (T, B)); y = torch.randint(V, (T, B))
ms = []
for s in range(steps + 2):
    t0 = time.perf_counter()
    loss = torch.nn.functional.cross_entropy(m(x).reshape(-1, V), y.reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step()
    if s >= 2: ms.append(1e3 * (time.perf_counter() - t0))
print("ms_per_step %.3f" % statistics.median(ms))
"""


def build(matmul):
    os.makedirs(OUT, exist_ok=True)
    lib = os.path.join(REPO, "build", "liblmlab.a")
    if not os.path.exists(lib):
        sys.exit("bench_rnn: %s is missing; run make first" % lib)
    exe = os.path.join(OUT, "bench_rnn")
    srcs = [os.path.join(REPO, "bench", "bench_rnn.c")] + ([matmul] if matmul else [])
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-march=native", "-fopenmp",
                    "-I" + REPO, "-o", exe] + srcs + [lib, "-lpcre2-8", "-lm", "-fopenmp"],
                   check=True)
    return exe


def ms_of(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return float(out.split("ms_per_step")[1].split()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", default="lstm", choices=["rnn", "lstm", "gru"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--matmul", help="an nn/matmul.c to link instead of the library's")
    a = ap.parse_args()
    exe = build(a.matmul)
    args = [a.cell] + [str(SHAPE[k]) for k in "BTEHVL"] + [str(a.steps)]
    env = dict(os.environ, OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE")
    c_ms, t_ms = [], []
    for r in range(a.runs):
        c_ms.append(ms_of([exe] + args, env))
        t_ms.append(ms_of([PY, "-c", TORCH] + args, env))
        print("run %d: lmlab %.1f ms, PyTorch %.1f ms" % (r + 1, c_ms[-1], t_ms[-1]),
              file=sys.stderr)
    import torch  # only for its version in the table
    tokens = SHAPE["B"] * SHAPE["T"]
    print("| %s step (B %d, T %d, E %d, H %d, V %d, L %d), 2 threads | ms/step | tokens/s |"
          % ((a.cell,) + tuple(SHAPE[k] for k in "BTEHVL")))
    print("|---|---|---|")
    for name, ms in (("lmlab", c_ms), ("PyTorch " + torch.__version__, t_ms)):
        med = statistics.median(ms)
        print("| %s | %.1f | %.0f |" % (name, med, tokens / med * 1e3))


if __name__ == "__main__":
    main()
