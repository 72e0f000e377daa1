#!/usr/bin/python3
"""lmlab's MLP language model against the same model in PyTorch: one training step.

    make bench                                  (or, after `make`:)
    /usr/bin/python3 bench/bench_mlp.py [--reps 5] [--steps 10] > section.md

Run from anywhere with Debian's Python and python3-torch. The model is the benchmark MLP
(context 8, embedding 64, hidden 512, vocabulary 28, batch 512): embedding, concatenation,
linear + tanh, linear, softmax cross-entropy, backward, one Adam step. Both sides run on 2
threads (OMP_NUM_THREADS=2 and libgomp's default wait policy for lmlab,
torch.set_num_threads(2) and OMP_WAIT_POLICY=PASSIVE for PyTorch: ENV_C, ENV_T), each REPS times in processes of their own, alternating lmlab and
PyTorch; a process times STEPS steps after 3 warm-up steps and reports their median, and the
CPU time of all its threads per step (a check on the wall time when other processes share the
machine). The section prints the median, minimum and maximum over the processes of each side.
The C side is bench/bench_mlp.c, compiled here against build/liblmlab.a. The helpers below
(machine, run_pair, table_row, ENV_NOTE) serve bench/bench_rnn.py too.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench")
BIN = os.path.join(OUT, "bench_mlp")
N_CTX, E, H, V, B = 8, 64, 512, 28, 512
# Each side at its best on 2 threads: lmlab with libgomp's default wait policy (a thread spins
# a while before it sleeps: a recurrent step opens a parallel region per time step, and waking
# a sleeping thread each time cost a third of the LSTM's step), PyTorch with
# OMP_WAIT_POLICY=PASSIVE (without it, its OpenMP and OpenBLAS threads spin against each other
# and its LSTM step takes three times as long).
ENV_C = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
ENV_C["OMP_NUM_THREADS"] = "2"
ENV_T = dict(os.environ, OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE")
ENV_NOTE = ("2 threads each: lmlab with `OMP_NUM_THREADS=2` and libgomp's default wait policy, "
            "PyTorch with `torch.set_num_threads(2)` and `OMP_WAIT_POLICY=PASSIVE` (each "
            "side's faster setting here)")


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
        if s == 3:
            cpu0 = time.process_time()
        t0 = time.perf_counter()
        loss = model(ctx, targets)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        if s >= 3:
            times.append((time.perf_counter() - t0) * 1e3)
    print("ms_per_step %.3f" % statistics.median(times))
    print("cpu_ms_per_step %.3f" % ((time.process_time() - cpu0) * 1e3 / steps))


# --- shared with bench_rnn.py -------------------------------------------------------------


def machine():
    """One line naming the CPU, its vector extensions, the date and the load average."""
    model, flags = "?", set()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "Model name":
                model = val.strip()
            elif key.strip() == "Flags":
                flags = set(val.split())
    except OSError:
        pass
    vec = ", ".join(f for f in ("avx2", "fma", "avx512f") if f in flags) or "no avx2"
    load = "%.1f %.1f %.1f" % os.getloadavg()
    return "%s (%s), %d cores; %s; load average %s at the start" % (
        model, vec, os.cpu_count(), datetime.date.today().isoformat(), load)


def numbers(out):
    """ms_per_step and cpu_ms_per_step from a worker's output."""
    vals = {}
    for line in out.splitlines():
        key, _, val = line.partition(" ")
        if key in ("ms_per_step", "cpu_ms_per_step"):
            vals[key] = float(val)
    if "ms_per_step" not in vals:
        raise RuntimeError("no timing in: " + out)
    return vals["ms_per_step"], vals.get("cpu_ms_per_step", float("nan"))


def run_pair(name, c_cmd, t_cmd, reps):
    """Runs lmlab and PyTorch alternately reps times; returns ([(ms, cpu)], [(ms, cpu)])."""
    c, t = [], []
    for rep in range(reps):
        c.append(numbers(subprocess.run(c_cmd, env=ENV_C, check=True, capture_output=True,
                                        text=True).stdout))
        t.append(numbers(subprocess.run(t_cmd, env=ENV_T, check=True, capture_output=True,
                                        text=True).stdout))
        print("%s run %d: lmlab %.1f ms, PyTorch %.1f ms" % (name, rep + 1, c[-1][0], t[-1][0]),
              file=sys.stderr)
    return c, t


def table_header():
    print("| model | lmlab ms/step | PyTorch ms/step | lmlab tokens/s | PyTorch tokens/s "
          "| speed-up | CPU ms/step, lmlab / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|")


def table_row(name, tokens, c, t):
    """One row: medians (min-max) of wall ms, tokens/s at the medians, their ratio."""
    def span(runs):
        ms = [r[0] for r in runs]
        return "%.1f (%.1f-%.1f)" % (statistics.median(ms), min(ms), max(ms))
    cm = statistics.median(r[0] for r in c)
    tm = statistics.median(r[0] for r in t)
    ccpu = statistics.median(r[1] for r in c)
    tcpu = statistics.median(r[1] for r in t)
    print("| %s | %s | %s | %.0f | %.0f | **%.2fx** | %.0f / %.0f |" % (
        name, span(c), span(t), tokens / cm * 1e3, tokens / tm * 1e3, tm / cm, ccpu, tcpu))


def torch_version():
    import torch
    return torch.__version__


# --- the MLP --------------------------------------------------------------------------------


def build():
    lib = os.path.join(REPO, "build", "liblmlab.a")
    if not os.path.exists(lib):
        sys.exit("bench_mlp.py: build/liblmlab.a is missing: run make first")
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["cc", "-O2", "-march=native", "-fopenmp", "-std=c11", "-D_GNU_SOURCE",
                    "-I" + REPO, os.path.join(REPO, "bench", "bench_mlp.c"), lib, "-lpcre2-8",
                    "-lm", "-o", BIN], check=True)


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
    head = machine()
    c, t = run_pair("mlp", [BIN, "step", str(N_CTX), str(E), str(H), str(V), str(B),
                            str(a.steps)],
                    [sys.executable, os.path.abspath(__file__), "--torch-worker", "--steps",
                     str(a.steps)], a.reps)
    print("## MLP language model: one training step\n")
    print(("Context %d, embedding %d, hidden %d, vocabulary %d, batch %d (a token per example); "
           "forward, backward and one Adam step. " + ENV_NOTE + "; %d processes per side, "
           "alternating, each the median of %d steps; the table gives the median (min-max) over "
           "the processes, and the CPU time of all threads per step as a check on the wall time "
           "(`bench/bench_mlp.py`; PyTorch %s).\n") % (N_CTX, E, H, V, B, a.reps, a.steps,
                                                      torch_version()))
    print("Machine: %s.\n" % head)
    table_header()
    table_row("MLP (n %d, E %d, H %d, V %d, B %d)" % (N_CTX, E, H, V, B), B, c, t)
    print("\nLoad average at the end: %.1f %.1f %.1f." % os.getloadavg())


if __name__ == "__main__":
    main()
