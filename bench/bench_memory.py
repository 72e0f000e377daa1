#!/usr/bin/python3
"""`lmlab ngram train --memory SIZE` against counting in memory: time and peak memory.

    /usr/bin/python3 bench/bench_memory.py [--reps 3] [--limits 1M,16M] > memory.md

Run from the repository root after `make`. It prints a markdown table on stdout, progress on
stderr. Two texts, char 5-grams, modified Kneser-Ney, `--plot none --samples 0`:
  tangpoems    datasets/tangpoems/train.txt (848k characters)
  tangpoems10  build/bench/tangpoems_x10.txt: ten copies of it, copy i in the order of
               random.Random(i).shuffle (made here when missing, so the same on every machine)
Each run is a whole process under /usr/bin/time -v: wall seconds, user + system CPU seconds,
peak RSS. lmlab's own report gives the seconds of tokenizing and counting (one number with
--memory, where both are one pass) and, with --memory, the peak RSS of the process when
counting ends (what the limit bounds: the rest of the command, the trie of merged counts and
the model, is the same with and without). Every configuration runs REPS times, the
configurations alternating; the table gives medians, and checks that the train loss and the
n-grams are the same.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys

X10 = "build/bench/tangpoems_x10.txt"


def make_x10():
    if os.path.exists(X10):
        return
    os.makedirs(os.path.dirname(X10), exist_ok=True)
    with open("datasets/tangpoems/train.txt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    for i in range(10):
        copy = lines[:]
        random.Random(i).shuffle(copy)
        out += copy
    with open(X10 + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.replace(X10 + ".tmp", X10)


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
    a = ap.parse_args()
    make_x10()
    texts = [("tangpoems", "datasets/tangpoems/train.txt"), ("tangpoems10", X10)]
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
    load = os.getloadavg()
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
          f"the n-grams were the same in every run of a text.")


if __name__ == "__main__":
    main()
