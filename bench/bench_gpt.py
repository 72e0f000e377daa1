#!/usr/bin/python3
"""lmlab's GPT against nanoGPT's model in PyTorch: one training step.

    make bench-gpt                              (or, after `make`:)
    /usr/bin/python3 bench/bench_gpt.py [--reps 3] [--steps N] [--only small|shakespeare]

Run with Debian's Python and python3-torch. Two configurations of nanoGPT's README: its small
CPU model (L 4, NH 4, C 128, T 64, batch 12, V 65) and shakespeare_char (L 6, NH 6, C 384,
T 256, batch 64, V 65); dropout 0, biases, learned positions, exact GELU. The PyTorch model is
the one of tests/fixtures/torch/make_gpt.py (nanoGPT's model.py, attention written out as
nanoGPT does without flash attention), with torch.optim.AdamW on nanoGPT's two groups. A step
is forward, backward and one AdamW step on random ids. Both sides run on 2 threads
(torch.set_num_threads(2), OMP_NUM_THREADS=2) with OMP_WAIT_POLICY=PASSIVE, each REPS times in
processes of their own, alternating lmlab and PyTorch; a process times STEPS steps (10 for the
small model, 1 for shakespeare_char, whose step is a thousand times the work) after 2 warm-up
steps and reports their median; the table gives the median over the processes.
FLOPs per step follow nanoGPT's estimate_mfu: 6 N + 12 L C T per token, N the parameters
without wpe (the tied head counts once, as its matmul runs once more per token than its
lookup: PaLM's accounting), against the FMA peak of 2 threads measured by bench/fma_peak.c's
loop. The C side is bench/bench_gpt.c, compiled here against build/liblmlab.a.

Besides the wall clock, each side reports the CPU time of its process per step (every thread;
with OMP_WAIT_POLICY=PASSIVE a waiting thread sleeps, so this is the work done): on a machine
that other work shares, it moves far less than the wall clock, and the ratio of CPU times is
the steadier comparison. Last, lmlab's greedy generation of a whole context from one token, with
the KV cache and without it (a forward over the prefix per token, as nanoGPT's generate).
"""

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench")
BIN = os.path.join(OUT, "bench_gpt")
ENV = dict(os.environ, OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE")
# name: (L, NH, C, T, B, V)
CONFIGS = {"small": (4, 4, 128, 64, 12, 65), "shakespeare": (6, 6, 384, 256, 64, 65)}
# timed steps per process unless --steps says otherwise: a shakespeare_char step is ~1.2 TFLOP
STEPS = {"small": 10, "shakespeare": 1}


def torch_worker(name, steps):
    """Times `steps` AdamW steps of nanoGPT's model in PyTorch; prints the median in ms."""
    import time

    import torch

    sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "torch"))
    from make_gpt import GPT, GPTConfig

    torch.set_num_threads(2)
    torch.manual_seed(1)
    L, NH, C, T, B, V = CONFIGS[name]
    model = GPT(GPTConfig(block_size=T, vocab_size=V, n_layer=L, n_head=NH, n_embd=C))
    params = [p for p in model.parameters()]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.95))
    idx = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    times, cpu = [], []
    for s in range(2 + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        _, loss = model(idx, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if s >= 2:
            times.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    print("ms_per_step %.3f" % statistics.median(times))
    print("cpu_ms_per_step %.3f" % statistics.median(cpu))
    print("torch", torch.__version__)


def machine():
    """The CPU's name and vector extensions, its cores, the compiler and the date."""
    model, flags = "?", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key.strip() == "model name" and model == "?":
                model = val.strip()
            elif key.strip() == "flags":
                flags = set(val.split())
    vec = ", ".join(f for f in ("avx2", "fma", "avx512f") if f in flags) or "no avx2"
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout
    return "%s (%s), %d cores, %s, %s" % (model, vec, os.cpu_count(), cc.splitlines()[0],
                                          datetime.date.today().isoformat())


def build():
    lib = os.path.join(REPO, "build", "liblmlab.a")
    if not os.path.exists(lib):
        sys.exit("bench_gpt.py: build/liblmlab.a is missing: run make first")
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["cc", "-O2", "-march=native", "-fopenmp", "-std=c11", "-D_GNU_SOURCE",
                    "-I" + REPO, os.path.join(REPO, "bench", "bench_gpt.c"), lib, "-lpcre2-8",
                    "-lm", "-o", BIN], check=True)


def value(out, key):
    for line in out.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[1])
    raise RuntimeError("no %s in: %s" % (key, out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, help="timed steps per process (default: per model)")
    ap.add_argument("--only", choices=sorted(CONFIGS))
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_worker:
        torch_worker(a.torch_worker, a.steps or STEPS[a.torch_worker])
        return
    build()
    peak = value(subprocess.run([BIN, "peak"], env=ENV, check=True, capture_output=True,
                                text=True).stdout, "peak_gflops")
    print("## GPT: one training step\n")
    print("`make bench-gpt` (`bench/bench_gpt.py`). Machine: %s.\n" % machine())
    print("Forward, backward and one AdamW step of nanoGPT's model on random ids; 2 threads, "
          "`OMP_WAIT_POLICY=PASSIVE`; median of %d processes per side, alternating, each the "
          "median of its timed steps (%s) after 2 warm-up steps (`bench/bench_gpt.py`, %s). "
          "FLOPs per token 6 N + 12 L C T (nanoGPT's estimate_mfu); the FMA peak of 2 threads "
          "measured now: %.0f GFLOP/s. Load average (1 minute) at the start: %.1f.\n"
          % (a.reps, ", ".join("%s %d" % (k, a.steps or STEPS[k]) for k in CONFIGS),
             platform.machine(), peak, os.getloadavg()[0]))
    print("| model | side | ms per step | tokens/s | GFLOP/s | of peak | CPU ms per step |")
    print("|---|---|---:|---:|---:|---:|---:|")
    ratios, gen = [], []
    for name in [a.only] if a.only else list(CONFIGS):
        L, NH, C, T, B, V = CONFIGS[name]
        c_ms, t_ms, c_cpu, t_cpu, version, n = [], [], [], [], "?", 0
        steps = a.steps or STEPS[name]
        for rep in range(a.reps):
            out = subprocess.run([BIN, "step", str(L), str(NH), str(C), str(T), str(B), str(V),
                                  str(steps)], env=ENV, check=True, capture_output=True,
                                 text=True).stdout
            c_ms.append(value(out, "ms_per_step"))
            c_cpu.append(value(out, "cpu_ms_per_step"))
            n = value(out, "params") - T * C  # without wpe
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-worker",
                                  name, "--steps", str(steps)], env=ENV, check=True,
                                 capture_output=True, text=True).stdout
            t_ms.append(value(out, "ms_per_step"))
            t_cpu.append(value(out, "cpu_ms_per_step"))
            version = out.split()[-1]
            print("%s rep %d: lmlab %.1f ms, PyTorch %.1f ms" % (name, rep + 1, c_ms[-1],
                                                                 t_ms[-1]), file=sys.stderr)
        tokens = B * T
        flops = (6 * n + 12 * L * C * T) * tokens
        label = "%s (L %d, NH %d, C %d, T %d, B %d, %.2fM params)" % (name, L, NH, C, T, B,
                                                                      n / 1e6)
        for side, ms, cpu in (("lmlab", statistics.median(c_ms), statistics.median(c_cpu)),
                              ("PyTorch " + version, statistics.median(t_ms),
                               statistics.median(t_cpu))):
            g = flops / (ms / 1e3) / 1e9
            print("| %s | %s | %.1f | %.0f | %.1f | %.1f%% | %.1f |" % (
                label, side, ms, tokens / ms * 1e3, g, 100 * g / peak, cpu))
        ratios.append((name, statistics.median(t_ms) / statistics.median(c_ms),
                       statistics.median(t_cpu) / statistics.median(c_cpu)))
        out = subprocess.run([BIN, "generate", str(L), str(NH), str(C), str(T), str(V)],
                             env=ENV, check=True, capture_output=True, text=True).stdout
        gen.append((label, T, value(out, "cache_tokens_per_s"),
                    value(out, "nocache_tokens_per_s")))
    print("\nLoad average (1 minute) at the end: %.1f." % os.getloadavg()[0])
    print()
    for name, r, rc in ratios:
        print("%s: lmlab / PyTorch speed %.2fx by the wall clock, %.2fx by CPU time" % (name, r,
                                                                                     rc))
    print("\nGeneration (lmlab, greedy, T - 1 tokens from one, 2 threads, best of 3 runs):\n")
    print("| model | tokens | with the KV cache, tokens/s | without, tokens/s | speed-up |")
    print("|---|---:|---:|---:|---:|")
    for label, T, cache, nocache in gen:
        print("| %s | %d | %.0f | %.0f | %.1fx |" % (label, T - 1, cache, nocache,
                                                    cache / nocache))


if __name__ == "__main__":
    main()
