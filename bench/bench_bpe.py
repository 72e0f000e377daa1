#!/usr/bin/python3
"""lmlab's byte-level BPE against SentencePiece's BPE: training and encoding speed.

    /usr/bin/python3 bench/bench_bpe.py [--reps 3] > bpe-section.md

Run from the repository root, after `make` (it runs ./lmlab), with Debian's `sentencepiece`
package (spm_train, spm_encode; `make bench` installs it). It prints one markdown section on
stdout, for docs/benchmarks.md (bench/section.py puts it there). Progress goes to stderr.

The same file, datasets/tinyshakespeare/train.txt, for both tools, REPS rounds, the tools
alternating; the tables give medians:
  train   a 4,096-token vocabulary: `lmlab tokenize --tokenizer bpe --train-vocab 4096` (which
          also encodes the text once, to report the compression) against
          `spm_train --model_type=bpe --vocab_size=4096 --num_threads=1`
  encode  the same file with the trained model: `lmlab tokenize --tokenizer bpe --encode`
          against `spm_encode --output_format=id`, output to a file
Each run is a whole process under /usr/bin/time (wall seconds, user + system CPU, peak RSS).
lmlab's own timings of training and encoding (its report, without reading the file) are
given too.

What differs, so that the comparison is of two BPE trainers, not of one algorithm:
SentencePiece reads the text as sentences (lines), replaces spaces by U+2581 and merges over
Unicode characters (no byte fallback by default; characters outside --character_coverage
read as <unk>); lmlab merges bytes within GPT-2's pre-tokenizer chunks, so any byte string
encodes and decodes exactly. Both vocabularies hold 4,096 tokens (SentencePiece's <unk>,
<s>, </s>; lmlab's 256 bytes and <|endoftext|>).
"""

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LMLAB = os.path.join(REPO, "lmlab")
OUT = os.path.join(REPO, "build", "bench", "bpe")
TIME = "/usr/bin/time"
TEXT = os.path.join(REPO, "datasets", "tinyshakespeare", "train.txt")
VOCAB = 4096


def log(msg):
    print(f"bench_bpe: {msg}", file=sys.stderr, flush=True)


def run(cmd, stdout=subprocess.DEVNULL):
    """Runs cmd under /usr/bin/time: (wall s, cpu s, peak RSS kB, stdout text or None)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        import time

        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%M %U %S", "-o", t.name] + cmd, stdout=stdout,
                           stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"bench_bpe: {' '.join(cmd)} failed:\n{p.stderr}")
        rss, user, sys_ = t.read().split()[-3:]
        return wall, float(user) + float(sys_), int(rss), p.stdout


def lmlab_train(out):
    w, c, r, so = run([LMLAB, "tokenize", "--tokenizer", "bpe", "--train-vocab", str(VOCAB),
                       "--train", TEXT, "--out", out], stdout=subprocess.PIPE)
    own = float(re.search(r"bytes in ([0-9.]+) s", so).group(1))
    enc = float(re.search(r"encoded the same text in ([0-9.]+) s", so).group(1))
    return {"wall": w, "cpu": c, "rss": r, "own": own, "own_encode": enc, "report": so}


def spm_train(prefix):
    w, c, r, _ = run(["spm_train", f"--input={TEXT}", f"--model_prefix={prefix}",
                      "--model_type=bpe", f"--vocab_size={VOCAB}", "--num_threads=1",
                      "--minloglevel=2"])
    return {"wall": w, "cpu": c, "rss": r}


def lmlab_encode(model, out):
    with open(out, "w") as f:
        w, c, r, _ = run([LMLAB, "tokenize", "--tokenizer", "bpe", "--vocab", model,
                          "--encode", TEXT], stdout=f)
    with open(out) as f:
        n = len(f.read().split())
    return {"wall": w, "cpu": c, "rss": r, "tokens": n}


def spm_encode(model, out):
    with open(out, "w") as f, open(TEXT) as inp:
        import time

        t0 = time.perf_counter()
        with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
            p = subprocess.run([TIME, "-f", "%M %U %S", "-o", t.name, "spm_encode",
                                f"--model={model}", "--output_format=id"], stdin=inp, stdout=f,
                               stderr=subprocess.PIPE, text=True)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                sys.exit(f"bench_bpe: spm_encode failed:\n{p.stderr}")
            rss, user, sys_ = t.read().split()[-3:]
    with open(out) as f:
        n = len(f.read().split())
    return {"wall": wall, "cpu": float(user) + float(sys_), "rss": int(rss), "tokens": n}


def version(cmd):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", cmd], capture_output=True,
                             text=True).stdout
        return out or "?"
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    nbytes = os.path.getsize(TEXT)
    load0 = os.getloadavg()[0]
    res = {"lt": [], "st": [], "le": [], "se": []}
    for rep in range(a.reps):
        log(f"round {rep + 1}/{a.reps}")
        res["lt"].append(lmlab_train(os.path.join(OUT, "lmlab")))
        res["st"].append(spm_train(os.path.join(OUT, "spm")))
        res["le"].append(lmlab_encode(os.path.join(OUT, "lmlab"), os.path.join(OUT, "l.ids")))
        res["se"].append(spm_encode(os.path.join(OUT, "spm.model"), os.path.join(OUT, "s.ids")))
    load1 = os.getloadavg()[0]

    def med(k, f):
        return statistics.median(r[f] for r in res[k])

    rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    ltok, stok = res["le"][0]["tokens"], res["se"][0]["tokens"]
    print("## Byte-level BPE against SentencePiece")
    print()
    print(f"Made by `bench/bench_bpe.py` on {datetime.date.today().isoformat()}, lmlab {rev}. "
          f"Machine: {platform.machine()}, {os.cpu_count()} cores, {cc}, SentencePiece "
          f"{version('sentencepiece')} (Debian). Times are medians of {a.reps} rounds, the "
          f"tools alternating, each run a whole process. The load average (other work on the "
          f"machine) was {load0:.2f} at the start and {load1:.2f} at the end.")
    print()
    print(f"Text: `datasets/tinyshakespeare/train.txt`, {nbytes:,} bytes. Both tools train a "
          f"{VOCAB:,}-token BPE vocabulary on it with one thread, then encode the same file "
          f"with it. SentencePiece merges Unicode characters within whitespace-separated "
          f"pieces of each line (spaces read as U+2581, no byte fallback); lmlab merges bytes "
          f"within GPT-2's pre-tokenizer chunks and decodes every byte string exactly. So the "
          f"two vocabularies differ, and so do their token counts.")
    print()
    print("CPU is user + system seconds of the process, which other work on the machine "
          "disturbs less than wall time.")
    print()
    print("| step | SentencePiece wall s | lmlab wall s | speed-up, wall | SentencePiece CPU s | "
          "lmlab CPU s | speed-up, CPU | peak RSS SentencePiece / lmlab |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, s, l in ((f"train {VOCAB:,}", "st", "lt"), ("encode", "se", "le")):
        sw, lw, sc, lc = med(s, "wall"), med(l, "wall"), med(s, "cpu"), med(l, "cpu")
        print(f"| {name} | {sw:.2f} | {lw:.2f} | **{sw / lw:.1f}x** | {sc:.2f} | {lc:.2f} | "
              f"**{sc / max(lc, 0.01):.1f}x** | {med(s, 'rss') / 1024:.0f} MB / "
              f"{med(l, 'rss') / 1024:.0f} MB |")
    print()
    print(f"lmlab's train process also encodes the text once (to report its compression); "
          f"its own clock gives {med('lt', 'own'):.3f} s for training alone (the chunks "
          f"counted, {VOCAB - 257:,} merges) and {med('lt', 'own_encode'):.3f} s for "
          f"encoding, neither counting the file's reading. Tokens of the encoded file: "
          f"SentencePiece {stok:,} ({nbytes / stok:.2f} bytes/token), lmlab {ltok:,} "
          f"({nbytes / ltok:.2f} bytes/token).")


if __name__ == "__main__":
    main()
