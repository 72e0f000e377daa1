#!/usr/bin/python3
"""lmlab's n-gram family against KenLM: estimate and write an ARPA file, load one and score.

    /usr/bin/python3 bench/bench_kenlm.py [--kenlm DIR] [--reps 3] > kenlm-section.md

Run from the repository root after `make` (it runs ./lmlab and builds build/bench/bench_arpa).
DIR holds KenLM's lmplz and query, built outside the repository (KenLM is not a Debian
package; `make bench KENLM=DIR` passes it); without it the KenLM rows say they were not run.
Prints one markdown section for docs/benchmarks.md on stdout, progress on stderr, and keeps
the runs in build/bench/kenlm/results.json.

Two models, order 5, modified Kneser-Ney, a line a sentence:
  - tangpoems, character tokens (the shipped dataset's train and test splits);
  - words of tinyshakespeare's train split and timemachine's (the word tokenizer), scored on
    timemachine's test split and tinyshakespeare's valid split.
KenLM gets the same tokens as tests/kenlm_check.sh feeds it: `lmlab tokenize --unit line`,
the tokens of a line joined by spaces, </s> dropped (lmplz and query add <s> and </s>).
Rows, each REPS times alternating lmlab and KenLM, medians, under /usr/bin/time:
  1. estimate and write the ARPA file: `lmlab ngram train --order 5 --plot none` (which also
     scores train and valid and writes 20 samples, as a user runs it) against
     `lmplz -o 5 -S 100M --discount_fallback` on the tokenized training text;
  2. load the ARPA file and score the test text: `lmlab ngram eval --arpa model.arpa --data
     TEST` against `query -v summary` on the same model.arpa (lmlab's);
  3. lmlab's ARPA reader and writer alone on that file (bench/bench_arpa.c), in MB/s.
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
BENCH_ARPA = os.path.join(REPO, "build", "bench", "bench_arpa")
TIME = "/usr/bin/time"


def log(msg):
    print(f"bench_kenlm: {msg}", file=sys.stderr, flush=True)


def run(cmd, stdin=None, env=None):
    """Runs cmd under /usr/bin/time: (stdout, stderr, wall seconds, (peak RSS in KB, CPU
    seconds: user + system))."""
    with tempfile.NamedTemporaryFile("r", dir=OUT, prefix="time.", delete=False) as tf:
        tpath = tf.name
    try:
        fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%M %U %S", "-o", tpath] + cmd, stdin=fin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env)
        wall = time.perf_counter() - t0
        if stdin:
            fin.close()
        if p.returncode != 0:
            sys.exit(f"bench_kenlm: failed ({p.returncode}): {' '.join(cmd)}\n"
                     f"{p.stderr.decode(errors='replace')}")
        with open(tpath, encoding="utf-8") as f:
            m, u, sy = f.read().strip().splitlines()[-1].split()
            rss = (int(m), float(u) + float(sy))
    finally:
        os.unlink(tpath)
    return p.stdout, p.stderr, wall, rss


def sentences(src, tokenizer, path):
    """The tokens of each line of src (a text file) joined by spaces, </s> dropped."""
    out = subprocess.run([LMLAB, "tokenize", "--file", src, "--tokenizer", tokenizer,
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


def concat(paths, out):
    with open(out, "wb") as f:
        for p in paths:
            with open(os.path.join(REPO, p), "rb") as g:
                f.write(g.read())
    return out


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


def bench_model(name, tokenizer, train_src, test_src, kenlm, reps, res):
    """Rows 1-3 for one model into res[name]; returns its perplexities and ARPA size. A
    shipped dataset is trained as a user names it (--dataset, which also scores its valid
    split), other text with --train."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    train_txt, test_txt = os.path.join(d, "train.tok"), os.path.join(d, "test.tok")
    sentences(train_src, tokenizer, train_txt)
    sentences(test_src, tokenizer, test_txt)
    run_dir = os.path.join(d, "run")
    arpa = os.path.join(run_dir, "model.arpa")
    kenlm_arpa = os.path.join(d, "lmplz.arpa")
    r = res[name] = {"train": {"lmlab": [], "kenlm": [], "lmlab_inner": []},
                     "eval": {"lmlab": [], "kenlm": [], "lmlab_inner": []}, "arpa": []}
    ppl = {}
    for rep in range(reps):
        log(f"{name}: round {rep + 1} of {reps}")
        source = (["--dataset", name] if os.path.isdir(os.path.join(REPO, "datasets", name))
                  else ["--train", train_src])
        out, _, wall, rss = run([LMLAB, "ngram", "train"] + source + ["--tokenizer", tokenizer,
                                 "--order", "5", "--plot", "none", "--out", run_dir, "--force",
                                 "--json"])
        j = json.loads(out)
        r["train"]["lmlab"].append((wall, rss))
        r["train"]["lmlab_inner"].append(j["seconds_tokenize"] + j["seconds_count"] +
                                         j["seconds_smooth"])
        if kenlm:
            _, _, wall, rss = run([os.path.join(kenlm, "lmplz"), "-o", "5", "-S", "100M",
                                   "--discount_fallback", "-T", d, "--text", train_txt,
                                   "--arpa", kenlm_arpa])
            r["train"]["kenlm"].append((wall, rss))
        out, _, wall, rss = run([LMLAB, "ngram", "eval", "--arpa", arpa, "--tokenizer",
                                 tokenizer, "--data", test_src, "--json"])
        j = json.loads(out)
        ppl["lmlab"] = j["ppl"]
        r["eval"]["lmlab"].append((wall, rss))
        r["eval"]["lmlab_inner"].append(j["seconds"])
        if kenlm:
            out, _, wall, rss = run([os.path.join(kenlm, "query"), "-v", "summary", arpa],
                                    stdin=test_txt)
            for line in out.decode().splitlines():
                if line.startswith("Perplexity including OOVs"):
                    ppl["kenlm"] = float(line.split(":")[1])
            r["eval"]["kenlm"].append((wall, rss))
    # the reader and writer alone (idle threads sleep, as lmlab has them do on a busy machine)
    out, _, _, _ = run([BENCH_ARPA, arpa, os.path.join(d, "rewritten.arpa"), str(reps)],
                       env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
    r["arpa"] = json.loads(out)
    os.unlink(os.path.join(d, "rewritten.arpa"))
    return ppl, os.path.getsize(arpa) / 1e6


MODELS = [
    ("tangpoems", "character tokens", "char", ["datasets/tangpoems/train.txt"],
     ["datasets/tangpoems/test.txt"]),
    ("words", "word tokens of tinyshakespeare + timemachine", "word",
     ["datasets/tinyshakespeare/train.txt", "datasets/timemachine/train.txt"],
     ["datasets/timemachine/test.txt", "datasets/tinyshakespeare/valid.txt"]),
]


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
    subprocess.run(["make", "-s", "build/bench/bench_arpa"], cwd=REPO, check=True)
    load = [loadavg(), None]
    res, ppl, arpa_mb = {}, {}, {}
    for name, _, tok, train, test in MODELS:
        tr = concat(train, os.path.join(OUT, f"{name}.train.txt"))
        te = concat(test, os.path.join(OUT, f"{name}.test.txt"))
        ppl[name], arpa_mb[name] = bench_model(name, tok, tr, te, kenlm, args.reps, res)
    load[1] = loadavg()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"res": res, "ppl": ppl, "load": load, "arpa_mb": arpa_mb}, f, indent=1)

    def cell(pairs):
        """(wall text, RSS text, wall, CPU text, CPU) of a tool's runs: medians."""
        if not pairs:
            return "not run (no KENLM=DIR)", "-", None, "-", None
        w = med([p[0] for p in pairs])
        c = med([p[1][1] for p in pairs])
        return (f"{w:.2f} s", f"{med([p[1][0] for p in pairs]) / 1024:.0f} MB", w,
                f"{c:.2f} s", c)

    print("## n-grams against KenLM\n")
    print(f"`bench/bench_kenlm.py`, {datetime.date.today()}, {cpu()}, {os.cpu_count()} cores; "
          f"load average {load[0]} at the start, {load[1]} at the end (the machine was shared: "
          f"the ratios, measured side by side, say more than the seconds; on a loaded machine "
          f"the CPU time, user + system, waits less for its turn than the wall time). Order 5, "
          f"modified Kneser-Ney, a line a sentence; medians of {args.reps} runs, lmlab and "
          f"KenLM alternating; wall time, CPU time and peak RSS of the whole command "
          f"(`/usr/bin/time`). A ratio above 1 means lmlab is faster. Models: "
          + "; ".join(f"{n} ({what}, model.arpa {arpa_mb[n]:.0f} MB)"
                      for n, what, _, _, _ in MODELS) + ".\n")
    print("| model | row | lmlab | KenLM | KenLM / lmlab | lmlab CPU | KenLM CPU | "
          "KenLM / lmlab (CPU) | lmlab peak RSS | KenLM peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = [("estimate and write the ARPA file (`ngram train --order 5 --plot none` / "
             "`lmplz -o 5 -S 100M`)", "train"),
            ("load the ARPA file and score the test text (`ngram eval --arpa` / `query` on "
             "the same model.arpa)", "eval")]
    for name, _, _, _, _ in MODELS:
        for title, key in rows:
            lt, lr, lw, lct, lc = cell(res[name][key]["lmlab"])
            kt, kr, kw, kct, kc = cell(res[name][key]["kenlm"])
            ratio = f"{kw / lw:.2f}x" if kw and lw else "-"
            cratio = f"{kc / lc:.2f}x" if kc and lc else "-"
            print(f"| {name} | {title} | {lt} | {kt} | {ratio} | {lct} | {kct} | {cratio} | "
                  f"{lr} | {kr} |")
    print()
    print("The ARPA reader and writer alone (`build/bench/bench_arpa`: ngram_arpa_read, then "
          "ngram_arpa_write of the model read, which gives the same bytes back), medians, MB of "
          "the file per second of wall time and of CPU time (all threads):\n")
    print("| model | file | read | write | read (CPU) | write (CPU) | same bytes |")
    print("|---|---|---|---|---|---|---|")
    for name, _, _, _, _ in MODELS:
        a = res[name]["arpa"]
        mb = a["bytes"] / 1e6
        print(f"| {name} | {mb:.0f} MB | {a['read_mbs']:.0f} MB/s | {a['write_mbs']:.0f} MB/s | "
              f"{mb / a['read_cpu_s']:.0f} MB/s | {mb / a['write_cpu_s']:.0f} MB/s | "
              f"{'yes' if a['same'] else 'no'} |")
    print()
    print("Every number in lmlab's model.arpa reads back into the model's double exactly (17 to "
          "19 digits where the shortest decimal does not), so the files are larger than "
          "lmplz's and KenLM's query reads the same large file. Beyond tokenize + count + "
          "smooth, `ngram train` writes model.arpa (the writer above), then model.bin, the "
          "losses on the train and valid text and 20 samples side by side (each drawn token a "
          "pass over the vocabulary: docs/ngram.md, where the time goes).\n")
    for name, _, _, _, _ in MODELS:
        r, p = res[name], ppl[name]
        print(f"{name}: inside lmlab (its --json timings), tokenize + count + smooth "
              f"{med(r['train']['lmlab_inner']):.2f} s of the train command; scoring "
              f"{med(r['eval']['lmlab_inner']) * 1000:.0f} ms of the eval command (the rest is "
              f"reading model.arpa). Perplexity of the test text: lmlab {p.get('lmlab', 0):.4f}"
              + (f", query {p['kenlm']:.4f}" if "kenlm" in p else "") + ".\n")


if __name__ == "__main__":
    main()
