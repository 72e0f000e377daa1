#!/usr/bin/python3
"""bench_train.py: whole training commands, lmlab against PyTorch, as a user waits for them.

    make bench                                  (or, after `make`:)
    /usr/bin/python3 bench/bench_train.py [--reps 3] [--only NAME,...] > section.md

bench_mlp.py and bench_rnn.py time one training step; this times the command around it: the process
started, the text read and tokenized, the vocabulary built, STEPS steps trained, the whole valid
split scored, the weights and the optimizer's state written: char RNN, char LSTM and word LSTM, the
MLP on names, and the GPT in nanoGPT's CPU configuration on the tinyshakespeare stream. lmlab runs
`lmlab mlp|rnn|gpt train ... --plot none --samples 0 --quiet` (no charts, no samples: the PyTorch
script draws neither); PyTorch runs bench/train_torch.py, the same work written as a PyTorch user
would (Python's start and `import torch` included: the user waits for them too). Each side on 2
threads at its best (bench_mlp.py's ENV_C and ENV_T), alternating, REPS times; the table gives the
median wall time (min-max), the median CPU time of all threads, the peak resident memory and the
valid loss each side reached (the same model and budget, so about the same loss: a check that both
did the same work).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_mlp import ENV_C, ENV_NOTE, ENV_T, machine, torch_version  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench", "train")
LMLAB = os.path.join(REPO, "lmlab")
PY = "/usr/bin/python3"

# name, lmlab family, dataset, tokenizer, unit, model options (lmlab spelling), steps
MODELS = [
    ("char RNN", "rnn", "tinyshakespeare", "char", "stream",
     {"cell": "rnn", "embed": 256, "hidden": 256, "layers": 1, "seq": 64, "batch": 32}, 300),
    ("char LSTM", "rnn", "tinyshakespeare", "char", "stream",
     {"cell": "lstm", "embed": 256, "hidden": 256, "layers": 1, "seq": 64, "batch": 32}, 300),
    ("word LSTM", "rnn", "timemachine", "word", "stream",
     {"cell": "lstm", "embed": 200, "hidden": 200, "layers": 2, "seq": 35, "batch": 20}, 300),
    ("MLP", "mlp", "names", "char", "line",
     {"context": 8, "embed": 64, "hidden": 512, "batch": 512}, 1000),
    # nanoGPT's CPU configuration (its README: shakespeare_char on a laptop)
    ("GPT", "gpt", "tinyshakespeare", "char", "stream",
     {"layers": 4, "heads": 4, "width": 128, "context": 64, "batch": 12, "dropout": 0,
      "lr": 1e-3, "min-lr": 1e-4, "warmup": 100, "beta2": 0.99, "weight-decay": 0.1}, 300),
]


def commands(name, family, dataset, tok, unit, opts, steps):
    slug = name.replace(" ", "-").lower()
    data = os.path.join(REPO, "datasets", dataset)
    c = [LMLAB, family, "train", "--dataset", dataset, "--tokenizer", tok, "--unit", unit,
         "--steps", str(steps), "--eval-every", str(steps), "--seed", "1", "--plot", "none",
         "--samples", "0", "--quiet", "--force", "--out", os.path.join(OUT, "lmlab-" + slug)]
    if family in ("rnn", "gpt"):
        c += ["--batching", "random"]
    for k, v in opts.items():
        c += ["--" + k, str(v)]
    model = opts.get("cell", family)
    t = [PY, os.path.join(REPO, "bench", "train_torch.py"), "--model", model,
         "--train", os.path.join(data, "train.txt"), "--valid", os.path.join(data, "valid.txt"),
         "--tokenizer", tok, "--unit", unit, "--steps", str(steps),
         "--out", os.path.join(OUT, "torch-" + slug)]
    for k, v in opts.items():
        if k != "cell":
            t += ["--" + k, str(v)]
    return c, t


def valid_loss(out):
    for line in out.splitlines():
        if line.startswith("valid_loss "):
            return float(line.split()[1])
        if '"valid_loss"' in line:  # lmlab --json
            return float(line.split('"valid_loss":')[1].split(",")[0].split("}")[0])
    return float("nan")


def run(cmd, env):
    """Runs cmd once; returns (wall s, CPU s, peak RSS MB, valid loss)."""
    # /usr/bin/time reports the command's own peak: the rusage of a child forked from this
    # process would count this process's pages (PyTorch imported) as the child's
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "@@ %U %S %M"] + cmd, env=env, cwd=REPO,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr))
    user, sys_, peak = p.stderr.strip().splitlines()[-1].split()[1:4]
    return wall, float(user) + float(sys_), int(peak) / 1024, valid_loss(p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", help="models by name, comma-separated, e.g. 'char LSTM,MLP'")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    print("## Neural training commands against PyTorch, end to end\n")
    print("Machine: %s. PyTorch %s. %s. Median of %d runs each, alternating.\n"
          % (machine(), torch_version(), ENV_NOTE, a.reps))
    print("| model | steps | lmlab s | PyTorch s | speed-up | CPU s, lmlab / PyTorch "
          "| peak MB, lmlab / PyTorch | valid loss, lmlab / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for m in MODELS:
        if a.only and m[0] not in a.only.split(","):
            continue
        c_cmd, t_cmd = commands(*m)
        c_cmd.append("--json")
        cs, ts = [], []
        for rep in range(a.reps):
            cs.append(run(c_cmd, ENV_C))
            ts.append(run(t_cmd, ENV_T))
            print("%s run %d: lmlab %.2f s, PyTorch %.2f s" % (m[0], rep + 1, cs[-1][0],
                                                               ts[-1][0]), file=sys.stderr)

        def med(runs, i):
            return statistics.median(r[i] for r in runs)

        def span(runs):
            w = [r[0] for r in runs]
            return "%.2f (%.2f-%.2f)" % (statistics.median(w), min(w), max(w))
        print("| %s | %d | %s | %s | **%.2fx** | %.1f / %.1f | %.0f / %.0f | %.4f / %.4f |" % (
            m[0], m[6], span(cs), span(ts), med(ts, 0) / med(cs, 0), med(cs, 1), med(ts, 1),
            med(cs, 2), med(ts, 2), med(cs, 3), med(ts, 3)))
        sys.stdout.flush()
    print("\nCommands: `lmlab <family> train --dataset D --tokenizer T --unit U --steps N "
          "--eval-every N --seed 1 --plot none --samples 0 --quiet --json` with the model's "
          "options (bench_train.py MODELS; recurrent models and the GPT `--batching random`), "
          "against "
          "`python3 bench/train_torch.py` with the same options.")


if __name__ == "__main__":
    main()
