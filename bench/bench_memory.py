#!/usr/bin/python3
"""`lmlab ngram train --memory SIZE` against counting in memory: time and peak memory.

    /usr/bin/python3 bench/bench_memory.py [--reps 3] [--limits 1M,16M] [--copies 10,30] \
        > memory.md

Run from the repository root after `make` (`make bench` runs it). It prints a markdown table
on stdout, progress on stderr; without /usr/bin/time (Debian package `time`) it says so on
stderr and prints nothing. Texts, char 5-grams, modified Kneser-Ney, `--plot none --samples 0`:
  tangpoems    datasets/tangpoems/train.txt (848k characters)
  tangpoemsC   build/bench/tangpoems_xC.txt for each C of --copies: C copies of it, copy i in
               the order of random.Random(i).shuffle (made here when missing, so the same on
               every machine); the same n-grams as tangpoems, C times the tokens
Each run is a whole process under /usr/bin/time -v: wall seconds, user + system CPU seconds,
peak RSS. lmlab's own report gives the seconds of tokenizing and counting (one number with
--memory, where both are one pass) and, with --memory, the peak RSS of the process when
counting ends (what the limit bounds: the rest of the command, the trie of merged counts and
the model, is the same with and without; the train split is scored from its ids on disk a
window at a time), and the bytes per stored n-gram of the counting trie and of the model
(--json). Every configuration runs REPS times, the
configurations alternating; the table gives medians, and checks that the train loss and the
n-grams are the same.
"""

import argparse
import datetime
import json
import os
import random
import re
import statistics
import subprocess
import sys

def make_copies(n):
    path = f"build/bench/tangpoems_x{n}.txt"
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open("datasets/tangpoems/train.txt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for i in range(n):
            copy = lines[:]
            random.Random(i).shuffle(copy)
            f.write("\n".join(copy) + "\n")
    os.replace(path + ".tmp", path)
    return path


def run(train, limit):
    cmd = ["/usr/bin/time", "-v", "./lmlab", "ngram", "train", "--train", train, "--order", "5",
           "--smoothing", "kn", "--plot", "none", "--samples", "0", "--json", "--force",
           "--out", "build/bench/memory-run"]
    if limit:
        cmd += ["--memory", limit]
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    d = json.loads(p.stdout)
    err = p.stderr

    def field(name):
        return re.search(re.escape(name) + r": ([0-9.:]+)", err).group(1)

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
    r = {
        "wall": sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall))),
        "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "rss": int(field("Maximum resident set size (kbytes)")) * 1024,
        "count": d["seconds_tokenize"] + d["seconds_count"],
        "loss": d["train_loss"],
        "ngrams": d["ngrams"],
        "tokens": d["tokens"],
        "count_bpn": d["count_bytes_per_ngram"],
        "model_bpn": d["model_bytes_per_ngram"],
        "peak": None,
    }
    m = re.search(r"([0-9.]+) MB resident at most while counting", err)
    if m:
        r["peak"] = float(m.group(1)) * 1e6
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--limits", default="1M,16M")
    ap.add_argument("--copies", default="10,30")
    a = ap.parse_args()
    if not os.access("/usr/bin/time", os.X_OK):
        print("bench_memory.py: skipped: it needs /usr/bin/time (Debian package time) for the "
              "peak RSS", file=sys.stderr)
        return
    texts = [("tangpoems", "datasets/tangpoems/train.txt")]
    texts += [(f"tangpoems{c}", make_copies(int(c))) for c in a.copies.split(",")]
    configs = [None] + a.limits.split(",")
    rows = []
    for name, path in texts:
        got = {c: [] for c in configs}
        for rep in range(a.reps):
            for c in configs:
                print(f"{name} {c or 'in memory'} round {rep + 1}", file=sys.stderr)
                got[c].append(run(path, c))
        base = got[None][0]
        for c in configs:
            rs = got[c]
            for r in rs:
                assert r["loss"] == base["loss"] and r["ngrams"] == base["ngrams"], (name, c)
            med = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss",
                                                                     "count")}
            peak = statistics.median(r["peak"] for r in rs) if c else None
            rows.append((name, base["tokens"], base["ngrams"], c, med, peak))
        bpn = (base["count_bpn"], base["model_bpn"])
    load = os.getloadavg()
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print("## N-gram counting in bounded memory (`--memory`)")
    print()
    print(f"Made by `bench/bench_memory.py` on {datetime.date.today()}, lmlab {commit}. Machine: "
          f"{cpu}, {os.cpu_count()} cores. Each row is the whole command `lmlab ngram train "
          f"--train T --order 5 --smoothing kn --plot none --samples 0 --json [--memory SIZE]` "
          f"under `/usr/bin/time -v`; `tangpoemsC` is C copies of the tangpoems training text, "
          f"each in its own seeded order (the same n-grams, C times the tokens). What the "
          f"numbers mean: [ngram.md](ngram.md#counting-in-bounded-memory---memory).")
    print()
    print("| text | tokens | n-grams | counting | read + count s | whole command: wall s | "
          "CPU s | peak RSS MB | RSS when counting ends MB |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for name, tokens, ngrams, c, med, peak in rows:
        print(f"| {name} | {tokens:,} | {ngrams:,} | {('--memory ' + c) if c else 'in memory'} "
              f"| {med['count']:.2f} | {med['wall']:.2f} | {med['cpu']:.2f} | "
              f"{med['rss'] / 1e6:.0f} | {'%.1f' % (peak / 1e6) if peak else '-'} |")
    print()
    print(f"Medians of {a.reps}, configurations alternating; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} when the runs ended; the train loss and "
          f"the n-grams were the same in every run of a text. Bytes per stored n-gram "
          f"(`--json`): {bpn[0]:.1f} in the counting trie, {bpn[1]:.1f} in the model.")


if __name__ == "__main__":
    main()
