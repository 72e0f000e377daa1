#!/usr/bin/python3
"""lmlab's n-gram family against KenLM: estimate and write an ARPA file, load one and score.

    /usr/bin/python3 bench/bench_kenlm.py [--kenlm DIR] [--reps 3] > kenlm-section.md

Run from the repository root after `make` (it runs ./lmlab). DIR holds KenLM's lmplz and
query, built outside the repository (KenLM is not a Debian package; `make bench KENLM=DIR`
passes it); without it the KenLM rows say they were not run. Prints one markdown section for
docs/benchmarks.md on stdout, progress on stderr, and keeps the runs in
build/bench/kenlm/results.json.

The data: tangpoems, character tokens, a poem line a sentence, order 5, modified Kneser-Ney.
KenLM gets the same tokens as tests/kenlm_check.sh feeds it: `lmlab tokenize --unit line`,
the tokens of a line joined by spaces, </s> dropped (lmplz and query add <s> and </s>).
Rows, each REPS times alternating lmlab and KenLM, medians, under /usr/bin/time:
  1. estimate and write the ARPA file: `lmlab ngram train --dataset tangpoems --order 5
     --plot none` (which also scores train and valid and writes 20 samples, as a user runs it)
     against `lmplz -o 5 -S 100M --discount_fallback` on the tokenized train split;
  2. load the ARPA file and score the test split: `lmlab ngram eval --model RUN --split test`
     against `query -v summary` on the same model.arpa (lmlab's), with the tokenized test split.
The whole command as the user waits for it (wall seconds, peak RSS) and, where the tool
reports it, the inner loop (lmlab's --json timings).
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(REPO, "build", "bench", "kenlm")
LMLAB = os.path.join(REPO, "lmlab")
TIME = "/usr/bin/time"


def log(msg):
    print(f"bench_kenlm: {msg}", file=sys.stderr, flush=True)


def run(cmd, stdin=None):
    """Runs cmd under /usr/bin/time: (stdout, stderr, wall seconds, peak RSS in KB)."""
    with tempfile.NamedTemporaryFile("r", dir=OUT, prefix="time.", delete=False) as tf:
        tpath = tf.name
    try:
        fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%M", "-o", tpath] + cmd, stdin=fin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
        wall = time.perf_counter() - t0
        if stdin:
            fin.close()
        if p.returncode != 0:
            sys.exit(f"bench_kenlm: failed ({p.returncode}): {' '.join(cmd)}\n"
                     f"{p.stderr.decode(errors='replace')}")
        with open(tpath, encoding="utf-8") as f:
            rss = int(f.read().strip().splitlines()[-1])
    finally:
        os.unlink(tpath)
    return p.stdout, p.stderr, wall, rss


def sentences(split, path):
    """The tokens of each line of tangpoems/SPLIT joined by spaces, </s> dropped."""
    out = subprocess.run([LMLAB, "tokenize", "--dataset", "tangpoems", "--split", split,
                          "--unit", "line"], capture_output=True, cwd=REPO, check=True).stdout
    lines, cur = [], []
    for tok in out.decode("utf-8").split("\n"):
        if tok == "</s>":
            lines.append(" ".join(cur))
            cur = []
        elif tok != "":
            cur.append(tok)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def med(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kenlm", default=os.environ.get("KENLM", ""))
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    kenlm = args.kenlm
    if kenlm and not all(os.access(os.path.join(kenlm, t), os.X_OK) for t in ("lmplz", "query")):
        sys.exit(f"bench_kenlm: '{kenlm}' has no executable lmplz and query "
                 "(KENLM=DIR is the folder of KenLM's binaries)")
    train_txt, test_txt = os.path.join(OUT, "train.txt"), os.path.join(OUT, "test.txt")
    sentences("train", train_txt)
    sentences("test", test_txt)
    run_dir = os.path.join(OUT, "run")
    kenlm_arpa = os.path.join(OUT, "lmplz.arpa")
    load = [loadavg(), None]
    res = {"train": {"lmlab": [], "kenlm": [], "lmlab_inner": []},
           "eval": {"lmlab": [], "kenlm": [], "lmlab_inner": []}}
    ppl = {}
    for rep in range(args.reps):
        log(f"round {rep + 1} of {args.reps}")
        out, _, wall, rss = run([LMLAB, "ngram", "train", "--dataset", "tangpoems", "--order",
                                 "5", "--plot", "none", "--out", run_dir, "--force", "--json"])
        j = json.loads(out)
        res["train"]["lmlab"].append((wall, rss))
        res["train"]["lmlab_inner"].append(j["seconds_tokenize"] + j["seconds_count"] +
                                           j["seconds_smooth"])
        if kenlm:
            _, _, wall, rss = run([os.path.join(kenlm, "lmplz"), "-o", "5", "-S", "100M",
                                   "--discount_fallback", "-T", OUT, "--text", train_txt,
                                   "--arpa", kenlm_arpa])
            res["train"]["kenlm"].append((wall, rss))
        out, _, wall, rss = run([LMLAB, "ngram", "eval", "--model", run_dir, "--split", "test",
                                 "--json"])
        j = json.loads(out)
        ppl["lmlab"] = j["ppl"]
        res["eval"]["lmlab"].append((wall, rss))
        res["eval"]["lmlab_inner"].append(j["seconds"])
        if kenlm:
            out, _, wall, rss = run([os.path.join(kenlm, "query"), "-v", "summary",
                                     os.path.join(run_dir, "model.arpa")], stdin=test_txt)
            for line in out.decode().splitlines():
                if line.startswith("Perplexity including OOVs"):
                    ppl["kenlm"] = float(line.split(":")[1])
            res["eval"]["kenlm"].append((wall, rss))
    load[1] = loadavg()
    arpa_mb = os.path.getsize(os.path.join(run_dir, "model.arpa")) / 1e6
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"res": res, "ppl": ppl, "load": load, "arpa_mb": arpa_mb}, f, indent=1)

    def cell(pairs):
        if not pairs:
            return "not run (no KENLM=DIR)", "-", None
        w = med([p[0] for p in pairs])
        return f"{w:.2f} s", f"{med([p[1] for p in pairs]) / 1024:.0f} MB", w

    print("## n-grams against KenLM\n")
    print(f"`bench/bench_kenlm.py`, {datetime.date.today()}, {cpu()}, {os.cpu_count()} cores; "
          f"load average {load[0]} at the start, {load[1]} at the end (the machine was shared: "
          f"the ratios, measured side by side, say more than the seconds). tangpoems, "
          f"character tokens, order 5, modified Kneser-Ney; medians of {args.reps} runs, "
          f"lmlab and KenLM alternating; wall time and peak RSS of the whole command "
          f"(`/usr/bin/time`). model.arpa is {arpa_mb:.0f} MB.\n")
    print("| row | lmlab | KenLM | KenLM / lmlab | lmlab peak RSS | KenLM peak RSS |")
    print("|---|---|---|---|---|---|")
    rows = [("estimate and write the ARPA file (`ngram train --order 5 --plot none` / "
             "`lmplz -o 5 -S 100M`)", "train"),
            ("load the ARPA file and score test (`ngram eval --model` / `query` on the same "
             "model.arpa)", "eval")]
    for title, key in rows:
        lt, lr, lw = cell(res[key]["lmlab"])
        kt, kr, kw = cell(res[key]["kenlm"])
        ratio = f"{kw / lw:.2f}x" if kw and lw else "-"
        print(f"| {title} | {lt} | {kt} | {ratio} | {lr} | {kr} |")
    print()
    print(f"Inside lmlab (its --json timings): tokenize + count + smooth "
          f"{med(res['train']['lmlab_inner']):.2f} s of the train command; scoring the test "
          f"split {med(res['eval']['lmlab_inner']) * 1000:.0f} ms of the eval command (the rest "
          f"is reading model.arpa). Perplexity of the test split: lmlab {ppl.get('lmlab', 0):.4f}"
          + (f", query {ppl['kenlm']:.4f}" if "kenlm" in ppl else "") + ".")


if __name__ == "__main__":
    main()
