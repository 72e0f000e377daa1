#!/usr/bin/python3
"""bench_rnn.py: one training step of three recurrent language models, lmlab against PyTorch.

    make bench                     (or, after `make`:)
    /usr/bin/python3 bench/bench_rnn.py [--runs 5] [--steps 5] [--only NAME] [--matmul FILE]

The step is forward, backward and AdamW on a batch of random tokens with the state reset
(random sampling), for three models:
  char RNN    tanh RNN, batch 32, sequence 64, embedding and hidden 256, vocabulary 65
  char LSTM   the same shape with an LSTM
  word LSTM   2 layers of 200 (embedding 200), sequence 35, batch 20, the vocabulary of
              timemachine's default word tokenizer (counted by `lmlab tokenize`)
Both sides run on 2 threads (OMP_NUM_THREADS=2 and libgomp's default wait policy for lmlab;
torch.set_num_threads(2) and OMP_WAIT_POLICY=PASSIVE for PyTorch, Debian's python3-torch:
bench_mlp.py says why), each in a process of its own,
alternating, RUNS times; each run reports the median of STEPS timed steps after two untimed
ones and the CPU time of all its threads per step. The table gives the median (min-max) over
runs. --matmul FILE links another nn/matmul.c in place of the library's (to time a kernel
before it is merged). Prints markdown on stdout; progress on stderr.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_mlp import (ENV_NOTE, machine, run_pair, table_header, table_row,  # noqa: E402
                       torch_version)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench", "rnn")
PY = "/usr/bin/python3"

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
    if s == 2: cpu0 = time.process_time()
    t0 = time.perf_counter()
    loss = torch.nn.functional.cross_entropy(m(x).reshape(-1, V), y.reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step()
    if s >= 2: ms.append(1e3 * (time.perf_counter() - t0))
print("ms_per_step %.3f" % statistics.median(ms))
print("cpu_ms_per_step %.3f" % ((time.process_time() - cpu0) * 1e3 / steps))
"""


def word_vocab():
    """The size of timemachine's word vocabulary (reserved ids included), as lmlab builds it."""
    out = subprocess.run([os.path.join(REPO, "lmlab"), "tokenize", "--dataset", "timemachine",
                          "--tokenizer", "word", "--counts"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return len(out.splitlines())


def models():
    """(name, cell, B, T, E, H, V, L) of each benchmark model."""
    return [("char RNN", "rnn", 32, 64, 256, 256, 65, 1),
            ("char LSTM", "lstm", 32, 64, 256, 256, 65, 1),
            ("word LSTM", "lstm", 20, 35, 200, 200, word_vocab(), 2)]


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--only", help="one model by name (char RNN, char LSTM, word LSTM)")
    ap.add_argument("--matmul", help="an nn/matmul.c to link instead of the library's")
    a = ap.parse_args()
    exe = build(a.matmul)
    head = machine()
    rows = []
    for name, cell, B, T, E, H, V, L in models():
        if a.only and a.only != name:
            continue
        args = [cell] + [str(v) for v in (B, T, E, H, V, L, a.steps)]
        c, t = run_pair(name, [exe] + args, [PY, "-c", TORCH] + args, a.runs)
        rows.append(("%s (B %d, T %d, E %d, H %d, V %d, L %d)" % (name, B, T, E, H, V, L),
                     B * T, c, t))
    print("## Recurrent language models: one training step\n")
    print("Forward, backward and one AdamW step on random tokens, the state reset (random "
          "sampling). " + ENV_NOTE + "; %d processes per side, alternating, each the median of "
          "%d steps; the table gives the median (min-max) over the processes, tokens/s = B * T "
          "/ step, and the CPU time of all threads per step as a check on the wall time "
          "(`bench/bench_rnn.py`; PyTorch %s).\n" % (a.runs, a.steps, torch_version()))
    print("Machine: %s.\n" % head)
    table_header()
    for name, tokens, c, t in rows:
        table_row(name, tokens, c, t)
    print("\nLoad average at the end: %.1f %.1f %.1f." % os.getloadavg())


if __name__ == "__main__":
    main()
