#!/usr/bin/python3
"""lmlab's n-gram family against NLTK's nltk.lm: speed, memory, and the same perplexity.

    make bench                          (builds ./lmlab, then runs this)
    /usr/bin/python3 bench/bench_ngram.py [--reps 3] [--lmlab-repeat 3]

Run from the repository root with Debian's Python (NLTK 3.8 from python3-nltk). It

  1. makes its corpora under build/bench/ngram/ (deterministic; remade only when their inputs
     change): the tokens of the shipped files, a held-out file for `names`, and a
     10-million-token word corpus sampled (fixed seed) from a word bigram model of all the
     shipped English text, plus a 1-million-token held-out sample from the same generator;
  2. for each comparison row, alternating the tools, REPS times: `lmlab ngram train` (Laplace)
     and `lmlab ngram eval` under /usr/bin/time, then bench/nltk_worker.py (Laplace fit and
     a logscore loop over the same tokens) in a process of its own;
  3. trains lmlab at order 5 on the 10M-token corpus for the memory figures, and scores the
     held-out sample with it;
  4. writes its section of docs/benchmarks.md (between the markers below; the rest of the
     page is kept; the file is replaced atomically) and build/bench/ngram/results.json.

Progress goes to stderr. Speeds are medians over the runs; the machine's speed drifts.
"""

import argparse
import bisect
import datetime
import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT = os.path.join(REPO, "lmlab")
OUT = os.path.join(REPO, "build", "bench", "ngram")
# a copy of ./lmlab taken at the start, so that a rebuild during the run changes nothing
LMLAB = os.path.join(OUT, "lmlab")
DOC = os.path.join(REPO, "docs", "benchmarks.md")
WORKER = os.path.join(REPO, "bench", "nltk_worker.py")
PY = "/usr/bin/python3"
TIME = "/usr/bin/time"

BOS, EOS = "<s>", "</s>"
WORD_SEED = 20240607            # the bigram sampler's seed
WORD_TOKENS = 10_000_000        # predicted tokens (</s> included) of the big corpus
HELDOUT_TOKENS = 1_000_000      # of its held-out sample
MAX_SENT = 200                  # a sampled sentence ends after this many words at most
NLTK_WORD_TRAIN = 200_000       # the word row against NLTK: prefixes of both files
NLTK_WORD_EVAL = 50_000
GEN_VERSION = "1"               # bump when the generator changes: remakes the corpus
ENGLISH = ["timemachine/train.txt", "timemachine/valid.txt", "timemachine/test.txt",
           "tinyshakespeare/train.txt", "tinyshakespeare/valid.txt"]
WORD_OPTS = ["--tokenizer", "word", "--pattern", r"\S+"]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def rel(path):
    return os.path.relpath(path, REPO)


# --- running things --------------------------------------------------------------------------

def run(cmd, stdout=None, env=None):
    """Runs cmd under /usr/bin/time. Returns (stdout text or None, stderr, wall s, peak RSS KB).
    env: variables to set on top of ours."""
    full_env = dict(os.environ, **env) if env else None
    with tempfile.NamedTemporaryFile("r", dir=OUT, prefix="time.", delete=False) as tf:
        tpath = tf.name
    try:
        full = [TIME, "-f", "%M", "-o", tpath] + cmd
        t0 = time.perf_counter()
        if stdout is not None:
            with open(stdout, "w", encoding="utf-8") as f:
                p = subprocess.run(full, stdout=f, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                   env=full_env)
        else:
            p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=REPO, env=full_env)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"bench: failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
        with open(tpath, encoding="utf-8") as f:
            rss = int(f.read().strip().splitlines()[-1])
    finally:
        os.unlink(tpath)
    return p.stdout, p.stderr, wall, rss


def tokenize(src, dst, opts):
    """`lmlab tokenize` of src into dst (one escaped token a line, </s> at line ends)."""
    run([LMLAB, "tokenize", "--file", src] + opts, stdout=dst)


def read_tok_seqs(path):
    """Sequences of tokens (still escaped) from `lmlab tokenize` output."""
    seqs, cur = [], []
    with open(path, encoding="utf-8", newline="\n") as f:
        for line in f:
            tok = line[:-1]
            if tok == EOS:
                seqs.append(cur)
                cur = []
            else:
                cur.append(tok)
    return seqs


def unescape_word(tok):
    """A word token as text: the word tokenizer's tokens hold no whitespace, so only the
    backslash escape (and a reserved name's leading backslash) can occur."""
    if tok.startswith("\\<"):
        sys.exit(f"bench: the English text holds a reserved token {tok!r}")
    return tok.replace("\\\\", "\\")


def sha256_files(paths, extra=""):
    h = hashlib.sha256(extra.encode())
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def write_atomic(path, text):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=os.path.basename(path) + ".tmp.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- corpora ---------------------------------------------------------------------------------

def make_word_corpus(d):
    """The 10M-token word corpus and its held-out sample, sampled from a word bigram model
    of the shipped English text (lmlab's word tokenizer, lowercased)."""
    os.makedirs(d, exist_ok=True)
    t0 = time.perf_counter()
    # the source tokens as lmlab's word tokenizer gives them; the corpus is remade only when
    # they (or the generator's parameters) change
    toks = []
    for i, f in enumerate(ENGLISH):
        tpath = os.path.join(d, f"src{i}.tok")
        tokenize(os.path.join(REPO, "datasets", f), tpath, ["--tokenizer", "word", "--lowercase"])
        toks.append(tpath)
    key = sha256_files(toks, f"{GEN_VERSION} {WORD_SEED} {WORD_TOKENS} {HELDOUT_TOKENS} "
                       f"{MAX_SENT} {NLTK_WORD_TRAIN} {NLTK_WORD_EVAL}")
    stamp = os.path.join(d, "stamp")
    names = ["train.txt", "heldout.txt", "train_prefix.txt", "heldout_prefix.txt", "info.json"]
    if os.path.exists(stamp) and open(stamp).read().strip() == key and \
            all(os.path.exists(os.path.join(d, n)) for n in names):
        log(f"word corpus: {rel(d)}/ is up to date")
        with open(os.path.join(d, "info.json")) as f:
            return json.load(f)
    if os.path.exists(stamp):
        os.unlink(stamp)
    # the bigram counts over every sequence of every file: <s> w1 .. wn </s>
    succ = {}
    ntoks = 0
    for tpath in toks:
        for seq in read_tok_seqs(tpath):
            words = [unescape_word(t) for t in seq]
            prev = BOS
            for w in words + [EOS]:
                c = succ.setdefault(prev, {})
                c[w] = c.get(w, 0) + 1
                prev = w
            ntoks += len(words) + 1
    # per context: successors in sorted order, cumulative counts, for bisect
    table = {}
    for ctx, c in succ.items():
        ws = sorted(c)
        cum, s = [], 0
        for w in ws:
            s += c[w]
            cum.append(s)
        table[ctx] = (ws, cum, s)
    rng = random.Random(WORD_SEED)
    rnd = rng.random

    def sample(path, want):
        """Sentences, one a line, until `want` predicted tokens (words + </s>) are written."""
        got = nseq = 0
        lines = []
        while got < want:
            prev, words = BOS, []
            while len(words) < MAX_SENT:
                ws, cum, total = table[prev]
                w = ws[bisect.bisect_right(cum, rnd() * total)]
                if w == EOS:
                    break
                words.append(w)
                prev = w
            if not words:
                continue  # an empty line is no sequence for lmlab
            lines.append(" ".join(words))
            got += len(words) + 1
            nseq += 1
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines))
            f.write("\n")
        return lines, got, nseq

    train_lines, train_tokens, train_seqs = sample(os.path.join(d, "train.txt"), WORD_TOKENS)
    held_lines, held_tokens, held_seqs = sample(os.path.join(d, "heldout.txt"), HELDOUT_TOKENS)

    def prefix(lines, want, path):
        got = n = 0
        while got < want:
            got += len(lines[n].split()) + 1
            n += 1
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines[:n]) + "\n")
        return got

    info = {
        "source_tokens": ntoks,
        "source_types": len(succ) - 1,
        "bigram_types": sum(len(c) for c in succ.values()),
        "train_tokens": train_tokens, "train_sequences": train_seqs,
        "heldout_tokens": held_tokens, "heldout_sequences": held_seqs,
        "train_prefix_tokens": prefix(train_lines, NLTK_WORD_TRAIN,
                                      os.path.join(d, "train_prefix.txt")),
        "heldout_prefix_tokens": prefix(held_lines, NLTK_WORD_EVAL,
                                        os.path.join(d, "heldout_prefix.txt")),
        "seconds": time.perf_counter() - t0,
    }
    with open(os.path.join(d, "info.json"), "w") as f:
        json.dump(info, f, indent=1)
    with open(stamp, "w") as f:
        f.write(key + "\n")
    log(f"word corpus: {train_tokens} + {held_tokens} tokens sampled from a bigram model of "
        f"{ntoks} tokens in {info['seconds']:.1f}s")
    return info


def make_names_heldout(path, copies=20):
    """names valid + test, repeated: one held-out text long enough to time (~280K tokens)."""
    text = ""
    for split in ("valid", "test"):
        with open(os.path.join(REPO, "datasets", "names", split + ".txt"), encoding="utf-8") as f:
            text += f.read()
    write_atomic(path, text * copies)


# --- the measurements ------------------------------------------------------------------------

EVAL_RE = re.compile(r"scored (\d+) tokens in ([0-9.]+)s \(([0-9.eE+-]+)M tokens/s\)")


def lmlab_train(row, run_dir):
    cmd = [LMLAB, "ngram", "train", "--train", row["train"], "--order", str(row["order"]),
           "--smoothing", "laplace", "--pad", "nltk", "--json", "--plot", "none",
           "--samples", "0", "--out", run_dir] + row["opts"]
    out, _, wall, rss = run(cmd)
    j = json.loads(out)
    j["wall"] = wall
    j["rss_kb"] = rss
    return j


def lmlab_eval(run_dir, data, threads=None):
    """One eval run; threads: OMP_NUM_THREADS (None: OpenMP's default, every core)."""
    cmd = [LMLAB, "ngram", "eval", "--model", run_dir, "--data", data]
    out, err, wall, rss = run(cmd, env={"OMP_NUM_THREADS": str(threads)} if threads else None)
    m = EVAL_RE.search(err)
    if not m:
        sys.exit(f"bench: no timing line in the stderr of {' '.join(cmd)}:\n{err}")
    tokens, secs = int(m.group(1)), float(m.group(2))
    ppl = re.search(r"^ppl\s+(\S+)", out, re.M)
    return {"tokens": tokens, "seconds": secs, "printed_mtok_s": float(m.group(3)),
            "tokens_per_s": float(m.group(3)) * 1e6, "wall": wall, "rss_kb": rss,
            "ppl": float(ppl.group(1)) if ppl else None}


def lmlab_eval_json(run_dir, data):
    out, _, _, _ = run([LMLAB, "ngram", "eval", "--model", run_dir, "--data", data, "--json"])
    return json.loads(out)


def nltk_run(train_tok, eval_tok, order):
    out, _, wall, rss = run([PY, WORKER, "--train", train_tok, "--eval", eval_tok,
                             "--order", str(order)])
    j = json.loads(out)
    j["wall"] = wall
    j["rss_kb"] = rss
    return j


def med(runs, key):
    return statistics.median(r[key] for r in runs)


# --- the report ------------------------------------------------------------------------------

def human(x, unit=""):
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= div:
            v = x / div
            return f"{v:.3g}{suf}{unit}" if v < 100 else f"{v:.0f}{suf}{unit}"
    return f"{x:.3g}{unit}"


def mb(kb):
    return f"{kb / 1024:.0f} MB" if kb >= 10240 else f"{kb / 1024:.1f} MB"


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=REPO).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, cwd=REPO).stdout.strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_kb": mem_kb,
        "gcc": gcc.splitlines()[0] if gcc else "unknown",
        "python": platform.python_version(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def spread(row, key):
    v = [x[key] for x in row["rounds"]]
    return f"({min(v):.0f}-{max(v):.0f})" if len(v) > 1 else ""


def write_doc(res):
    m = res["machine"]
    T = m["threads"]
    L = []
    L.append("## N-grams against NLTK")
    L.append("")
    L.append(f"Made by `make bench` (`bench/bench_ngram.py`) on {res['date']}, lmlab "
             f"{m['commit']}. Machine: {m['cpu']}, {m['cores']} cores, "
             f"{m['ram_kb'] / 1024 ** 2:.0f} GiB RAM, {m['gcc']}, Python {m['python']}, "
             f"NLTK {res['nltk_version']}. Speeds are medians of {res['reps']} NLTK runs and "
             f"{res['reps'] * res['lmlab_repeat']} lmlab runs, the tools alternating; this "
             f"machine's speed drifts by tens of percent, so read the ratios to that precision "
             f"(1-minute load average {res['load_start']:.1f} before the run, "
             f"{res['load_end']:.1f} after it, on {m['cores']} cores).")
    L.append("")
    L.append("### Speed")
    L.append("")
    L.append("Both tools get the same tokens (NLTK reads `lmlab tokenize` output), the same "
             "n-grams (orders 1..N ending at each predicted token, N-1 `<s>` on the left: "
             "`--pad nltk`, `</s>` at each line end) and add-one smoothing (`--smoothing laplace`; "
             "`nltk.lm.Laplace` with V = types + `</s>` + `<unk>`). Tokens are predicted "
             "tokens, `</s>` included.")
    L.append("")
    L.append("- count: lmlab's `seconds_count` (single-threaded) against NLTK's `fit()` "
             "alone, its vocabulary built and the n-grams listed beforehand.")
    L.append(f"- eval: lmlab's scoring loop (the `scored N tokens in Xs` line of `ngram eval`) "
             f"with 1 thread (`OMP_NUM_THREADS=1`) / with its default {T} threads, against a "
             f"`logscore(word, context)` loop over the same tokens (1 thread).")
    L.append("- peak RSS: lmlab's train command / eval command; NLTK's one process (fit, then "
             "scoring).")
    L.append("- lmlab / NLTK: the ratio of the medians; in parentheses the lowest and highest "
             "ratio of one round (lmlab's median in that round against that round's NLTK run).")
    L.append("")
    L.append(f"| corpus | order | train / eval tokens | tool | count tokens/s | "
             f"eval tokens/s (1 / {T} threads) | peak RSS | perplexity |")
    L.append("|---|---|---|---|---|---|---|---|")
    for r in res["rows"]:
        lm, nl = r["lmlab"], r["nltk"]
        toks = f"{lm['train_tokens']:,} / {lm['eval_tokens']:,}"
        L.append(f"| {r['label']} | {r['order']} | {toks} | lmlab | "
                 f"{human(lm['count_tps'])} | {human(lm['eval_tps_1t'])} / "
                 f"{human(lm['eval_tps'])} | "
                 f"{mb(lm['train_rss_kb'])} / {mb(lm['eval_rss_kb'])} | {lm['ppl']:.9g} |")
        L.append(f"| | | | NLTK | {human(nl['fit_tps'])} | {human(nl['eval_tps'])} | "
                 f"{mb(nl['rss_kb'])} | {nl['ppl']:.9g} |")
        L.append(f"| | | | **lmlab / NLTK** | **{r['count_ratio']:.0f}x** {spread(r, 'count')} | "
                 f"**{r['eval_ratio_1t']:.0f}x / {r['eval_ratio']:.0f}x** | "
                 f"{r['rss_ratio']:.2f} | rel. diff {r['ppl_rel_diff']:.0e} |")
    L.append("")
    for r in res["rows"]:
        if r.get("note"):
            L.append(f"- {r['label']}: {r['note']}.")
    nl0 = res["rows"][0]["nltk"]
    L.append(f"- NLTK's peak RSS includes Python with NLTK imported (about "
             f"{mb(nl0['rss_import_kb'])}) and the token and n-gram lists handed to `fit()`; "
             f"lmlab's includes the text, its token ids and the tables.")
    L.append("- The perplexities are printed to 9 digits; the relative difference is of the "
             "full values (lmlab's `eval --json`, NLTK's 2 ** -mean logscore).")
    L.append("")
    L.append("What a user waits for, lmlab only (medians, seconds): the phases that "
             "`ngram train --json` reports, the whole train command (also writes the ARPA "
             "file and run directory and scores the training text), the scoring loop of "
             f"`ngram eval` ({T} threads) and the whole eval command (also reads the ARPA "
             "file and the text).")
    L.append("")
    L.append("| corpus | order | tokenize | count | smooth | train command | eval: scoring | "
             "eval command |")
    L.append("|---|---|---|---|---|---|---|---|")
    for r in res["rows"] + [res["big"]["row"]]:
        lm = r["lmlab"]
        L.append(f"| {r['label']} | {r['order']} | {lm['seconds_tokenize']:.3f} | "
                 f"{lm['seconds_count']:.3f} | {lm['seconds_smooth']:.3f} | "
                 f"{lm['train_wall']:.2f} | {lm['eval_seconds']:.3f} | {lm['eval_wall']:.2f} |")
    L.append("")
    b = res["big"]
    bl = b["row"]["lmlab"]
    info = b["corpus"]
    L.append("### Memory: 10 million word tokens at order 5")
    L.append("")
    L.append(f"`build/bench/ngram/word10m/train.txt`: {info['train_tokens']:,} tokens in "
             f"{info['train_sequences']:,} lines, sampled (seed {WORD_SEED}) from a word bigram "
             f"model of all the shipped English text ({info['source_tokens']:,} tokens of "
             f"`datasets/timemachine/*` and `datasets/tinyshakespeare/*`, lmlab's word "
             f"tokenizer, lowercased), one sentence a line. Trained with `lmlab ngram train "
             f"--train build/bench/ngram/word10m/train.txt --tokenizer word --pattern '\\S+' "
             f"--order 5 --smoothing laplace`; evaluated on a held-out sample of "
             f"{info['heldout_tokens']:,} tokens from the same generator.")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append(f"| vocabulary (V) | {b['vocab']:,} |")
    L.append("| stored n-grams, orders 1..5 | " +
             " / ".join(f"{n:,}" for n in b["ngrams_per_order"]) +
             f" (total {b['ngrams']:,}) |")
    L.append(f"| counting tables, bytes per stored n-gram | {b['count_bytes_per_ngram']:.1f} |")
    L.append(f"| model tables, bytes per stored n-gram | {b['model_bytes_per_ngram']:.1f} |")
    L.append(f"| peak RSS of the train command | {mb(b['rss_kb'])}, "
             f"{b['rss_kb'] * 1024 / b['ngrams']:.0f} bytes per stored n-gram, "
             f"{100 * b['rss_kb'] / m['ram_kb']:.1f}% of RAM |")
    L.append(f"| counting | {bl['seconds_count']:.2f} s, {human(bl['count_tps'])} tokens/s |")
    L.append(f"| train command, end to end | {bl['train_wall']:.1f} s "
             f"(ARPA file {b['arpa_bytes'] / 1e6:.0f} MB) |")
    L.append(f"| eval on the held-out sample | scoring {human(bl['eval_tps_1t'])} tokens/s with "
             f"1 thread (one run), {human(bl['eval_tps'])} with {T}; command {bl['eval_wall']:.1f} s, "
             f"peak RSS {mb(bl['eval_rss_kb'])}; perplexity {bl['ppl']:.6g} |")
    L.append("")
    L.append("Bytes per n-gram are the bytes of each table's slots (keys and per-slot "
             "values, as `ngram train --json` counts them; tables are kept at most 3/4 full) "
             "over the stored n-grams of orders 1..5.")
    L.append("")
    g = res["goals"]
    L.append("### The goals")
    L.append("")
    close = (" (narrowly: single rounds fall on both sides of 100x)" if g["count_close"]
             else "")
    L.append(f"- Counting at least 100x NLTK's `fit()`: **{'met' if g['count_met'] else 'not met'}"
             f"**{close}; the lowest ratio is {g['count_min']:.0f}x ({g['count_min_row']}).")
    L.append(f"- Evaluation at tens of millions of tokens per second (taken as at least 10M, the "
             f"better of 1 thread and the default {T}): "
             f"**{'met' if g['eval_met'] else 'not met'}**. Per model, 1 / {T} threads: " +
             "; ".join(f"{lab} {human(v1)} / {human(v)} ({'yes' if max(v, v1) >= 10e6 else 'no'})"
                       for lab, v, v1 in g["eval_list"]) + ".")
    L.append(f"- 10M tokens at order 5 fit comfortably in memory (taken as a peak RSS under a "
             f"quarter of RAM): **{'met' if g['mem_met'] else 'not met'}**, "
             f"{mb(b['rss_kb'])} of {m['ram_kb'] / 1024 ** 2:.0f} GiB.")
    L.append("")
    L.append("Every run's numbers: `build/bench/ngram/results.json` after `make bench`.")
    section = "\n".join(L)
    update_doc(section)
    return section


BEGIN = "<!-- bench/bench_ngram.py: begin (regenerated by make bench; edits here are lost) -->"
END = "<!-- bench/bench_ngram.py: end -->"
PAGE_HEAD = """# Benchmarks

Speed and memory of lmlab against reference implementations, measured by the scripts in
`bench/`. Each section says how it was made; `make bench` regenerates the n-gram one.
"""


def update_doc(section):
    """Puts section between the markers of docs/benchmarks.md, keeping the rest of the page;
    a page without the markers gets the section at its end."""
    block = f"{BEGIN}\n{section}\n{END}\n"
    try:
        with open(DOC, encoding="utf-8") as f:
            page = f.read()
    except FileNotFoundError:
        page = None
    if page is None:
        page = PAGE_HEAD + "\n" + block
    elif BEGIN in page and END in page:
        a = page.index(BEGIN)
        b = page.index(END) + len(END)
        if page[b:b + 1] == "\n":
            b += 1
        page = page[:a] + block + page[b:]
    else:
        page = page.rstrip("\n") + "\n\n" + block
    write_atomic(DOC, page)


# --- main ------------------------------------------------------------------------------------

def summarize_lmlab(trains, evals, evals1, ej):
    """Medians of the runs of one model: trains, evals (every core), evals1 (one thread)."""
    return {
        "train_tokens": trains[0]["tokens"],
        "eval_tokens": evals[0]["tokens"],
        "count_tps": med(trains, "count_tokens_per_s"),
        "seconds_tokenize": med(trains, "seconds_tokenize"),
        "seconds_count": med(trains, "seconds_count"),
        "seconds_smooth": med(trains, "seconds_smooth"),
        "train_wall": med(trains, "wall"),
        "train_rss_kb": max(r["rss_kb"] for r in trains),
        "eval_tps": med(evals, "tokens_per_s"),
        "eval_seconds": med(evals, "seconds"),
        "eval_wall": med(evals, "wall"),
        "eval_rss_kb": max(r["rss_kb"] for r in evals),
        "eval_tps_1t": med(evals1, "tokens_per_s"),
        "eval_seconds_1t": med(evals1, "seconds"),
        "ppl": ej["ppl"], "loss": ej["loss"],
    }


def snapshot_lmlab():
    """Copies ./lmlab to build/bench/ngram/lmlab; returns its sha256."""
    if not os.access(BUILT, os.X_OK):
        sys.exit("bench: no ./lmlab: run 'make' first (or 'make bench')")
    tmp = LMLAB + ".tmp"
    with open(BUILT, "rb") as f:
        data = f.read()
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, LMLAB)
    return hashlib.sha256(data).hexdigest()


def main():
    ap = argparse.ArgumentParser(description="lmlab n-grams against NLTK")
    ap.add_argument("--reps", type=int, default=3, help="runs of each measurement (default 3)")
    ap.add_argument("--lmlab-repeat", type=int, default=3,
                    help="lmlab runs per NLTK run on the small rows (default 3)")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    t_start = time.perf_counter()
    load_start = loadavg()
    lmlab_sha = snapshot_lmlab()
    threads = os.cpu_count()

    # corpora
    tokd = os.path.join(OUT, "tok")
    datad = os.path.join(OUT, "data")
    runsd = os.path.join(OUT, "runs")
    for d in (tokd, datad, runsd):
        os.makedirs(d, exist_ok=True)
    names_held = os.path.join(datad, "names_heldout.txt")
    make_names_heldout(names_held)
    wdir = os.path.join(OUT, "word10m")
    winfo = make_word_corpus(wdir)
    ts = os.path.join(REPO, "datasets", "tinyshakespeare")
    rows = [
        {"name": "names4", "label": "names, char", "order": 4,
         "train": os.path.join(REPO, "datasets", "names", "train.txt"), "eval": names_held,
         "opts": [], "note": "the eval text is names valid + test repeated 20 times "
                             "(one copy scores in about a millisecond)"},
        {"name": "ts3", "label": "tinyshakespeare, char", "order": 3,
         "train": os.path.join(ts, "train.txt"), "eval": os.path.join(ts, "valid.txt"),
         "opts": []},
        {"name": "ts5", "label": "tinyshakespeare, char", "order": 5,
         "train": os.path.join(ts, "train.txt"), "eval": os.path.join(ts, "valid.txt"),
         "opts": []},
        {"name": "word5", "label": "word sample, prefix", "order": 5,
         "train": os.path.join(wdir, "train_prefix.txt"),
         "eval": os.path.join(wdir, "heldout_prefix.txt"), "opts": WORD_OPTS,
         "note": f"the first {winfo['train_prefix_tokens']:,} tokens of the 10M-token word "
                 f"corpus and the first {winfo['heldout_prefix_tokens']:,} of its held-out "
                 f"sample, for both tools (NLTK on all of it would need many GB)"},
    ]
    for r in rows:
        r["train_tok"] = os.path.join(tokd, r["name"] + ".train.tok")
        r["eval_tok"] = os.path.join(tokd, r["name"] + ".eval.tok")
        tokenize(r["train"], r["train_tok"], r["opts"])
        tokenize(r["eval"], r["eval_tok"], r["opts"])
        r["run_dir"] = os.path.join(runsd, r["name"])
        r["raw"] = {"lmlab_train": [], "lmlab_eval": [], "lmlab_eval_1t": [], "nltk": []}
    log(f"corpora ready ({time.perf_counter() - t_start:.0f}s)")

    # the comparison rows, tools alternating
    for rep in range(args.reps):
        for r in rows:
            for _ in range(args.lmlab_repeat):
                r["raw"]["lmlab_train"].append(lmlab_train(r, r["run_dir"]))
                r["raw"]["lmlab_eval"].append(lmlab_eval(r["run_dir"], r["eval"]))
                r["raw"]["lmlab_eval_1t"].append(lmlab_eval(r["run_dir"], r["eval"], 1))
            lt, le, l1 = (r["raw"][k][-1] for k in ("lmlab_train", "lmlab_eval", "lmlab_eval_1t"))
            log(f"run {rep + 1}/{args.reps} {r['name']}: lmlab count "
                f"{human(lt['count_tokens_per_s'])} tok/s, eval {human(l1['tokens_per_s'])} "
                f"tok/s (1 thread), {human(le['tokens_per_s'])} ({threads}) ...")
            n = nltk_run(r["train_tok"], r["eval_tok"], r["order"])
            r["raw"]["nltk"].append(n)
            log(f"run {rep + 1}/{args.reps} {r['name']}: NLTK fit {human(n['fit_tokens_per_s'])} "
                f"tok/s, logscore {human(n['eval_tokens_per_s'])} tok/s, peak RSS "
                f"{mb(n['rss_kb'])} ({time.perf_counter() - t_start:.0f}s)")

    out_rows = []
    for r in rows:
        ej = lmlab_eval_json(r["run_dir"], r["eval"])
        lm = summarize_lmlab(r["raw"]["lmlab_train"], r["raw"]["lmlab_eval"],
                             r["raw"]["lmlab_eval_1t"], ej)
        ns = r["raw"]["nltk"]
        nl = {
            "train_tokens": ns[0]["train_tokens"], "eval_tokens": ns[0]["eval_tokens"],
            "fit_tps": med(ns, "fit_tokens_per_s"), "eval_tps": med(ns, "eval_tokens_per_s"),
            "seconds_fit": med(ns, "seconds_fit"), "seconds_eval": med(ns, "seconds_eval"),
            "rss_kb": max(n["rss_kb"] for n in ns),
            "rss_import_kb": ns[0]["rss_after_import_kb"],
            "rss_before_fit_kb": ns[0]["rss_before_fit_kb"],
            "ppl": ns[0]["ppl"], "nats": ns[0]["nats"],
        }
        if lm["train_tokens"] != nl["train_tokens"] or lm["eval_tokens"] != nl["eval_tokens"]:
            sys.exit(f"bench: {r['name']}: the tools saw different token counts: lmlab "
                     f"{lm['train_tokens']}/{lm['eval_tokens']}, NLTK "
                     f"{nl['train_tokens']}/{nl['eval_tokens']}")
        rel_diff = abs(lm["ppl"] - nl["ppl"]) / nl["ppl"]
        log(f"{r['name']}: perplexity lmlab {lm['ppl']:.12g}  NLTK {nl['ppl']:.12g}  "
            f"(relative difference {rel_diff:.1e})")
        if rel_diff > 1e-9:
            log(f"WARNING: {r['name']}: the perplexities differ by more than 1e-9")
        # the ratio of each round: lmlab's median in that round against that NLTK run
        L_ = args.lmlab_repeat
        rounds = []
        for i, n in enumerate(ns):
            lt = r["raw"]["lmlab_train"][i * L_:(i + 1) * L_]
            le = r["raw"]["lmlab_eval"][i * L_:(i + 1) * L_]
            l1 = r["raw"]["lmlab_eval_1t"][i * L_:(i + 1) * L_]
            rounds.append({"count": med(lt, "count_tokens_per_s") / n["fit_tokens_per_s"],
                           "eval": med(le, "tokens_per_s") / n["eval_tokens_per_s"],
                           "eval_1t": med(l1, "tokens_per_s") / n["eval_tokens_per_s"]})
        out_rows.append({
            "name": r["name"], "label": r["label"], "order": r["order"], "note": r.get("note"),
            "rounds": rounds,
            "lmlab": lm, "nltk": nl,
            "count_ratio": lm["count_tps"] / nl["fit_tps"],
            "eval_ratio": lm["eval_tps"] / nl["eval_tps"],
            "eval_ratio_1t": lm["eval_tps_1t"] / nl["eval_tps"],
            "rss_ratio": max(lm["train_rss_kb"], lm["eval_rss_kb"]) / nl["rss_kb"],
            "ppl_rel_diff": rel_diff,
            "raw": r["raw"],
        })

    # memory: 10M tokens at order 5
    big = {"name": "word10m5", "label": "10M word sample", "order": 5,
           "train": os.path.join(wdir, "train.txt"), "opts": WORD_OPTS}
    bdir = os.path.join(runsd, "word10m5")
    held = os.path.join(wdir, "heldout.txt")
    # every eval command reads the large ARPA file again (tens of seconds): the default
    # threads REPS times, one thread once
    btr, bev, bev1 = [], [], []
    for rep in range(args.reps):
        btr.append(lmlab_train(big, bdir))
        bev.append(lmlab_eval(bdir, held))
        if rep == 0:
            bev1.append(lmlab_eval(bdir, held, 1))
        log(f"run {rep + 1}/{args.reps} word10m order 5: count "
            f"{human(btr[-1]['count_tokens_per_s'])} tok/s, train command {btr[-1]['wall']:.1f}s, "
            f"peak RSS {mb(btr[-1]['rss_kb'])}; eval {human(bev[-1]['tokens_per_s'])} tok/s "
            f"({threads} threads), eval command {bev[-1]['wall']:.1f}s "
            f"({time.perf_counter() - t_start:.0f}s)")
    bl = summarize_lmlab(btr, bev, bev1, {"ppl": bev[0]["ppl"], "loss": None})
    j0 = btr[0]
    per_order = [j0[f"ngrams_{k}"] for k in range(1, 6)]
    big_res = {
        "corpus": winfo, "vocab": j0["vocab"], "ngrams_per_order": per_order,
        "ngrams": j0["ngrams"], "count_bytes_per_ngram": j0["count_bytes_per_ngram"],
        "model_bytes_per_ngram": j0["model_bytes_per_ngram"],
        "rss_kb": max(r["rss_kb"] for r in btr),
        "arpa_bytes": os.path.getsize(os.path.join(bdir, "model.arpa")),
        "row": {"label": big["label"], "order": 5, "lmlab": bl},
        "raw": {"lmlab_train": btr, "lmlab_eval": bev, "lmlab_eval_1t": bev1},
    }

    import nltk  # only for its version
    mach = machine()
    mach["threads"] = threads
    mach["lmlab_sha256"] = lmlab_sha
    count_min = min(out_rows, key=lambda r: r["count_ratio"])
    eval_list = [(f"{r['label']} order {r['order']}", r["lmlab"]["eval_tps"],
                  r["lmlab"]["eval_tps_1t"]) for r in out_rows]
    eval_list.append(("10M word model order 5", bl["eval_tps"], bl["eval_tps_1t"]))
    goals = {
        "count_min": count_min["count_ratio"],
        "count_min_row": f"{count_min['label']}, order {count_min['order']}",
        "count_met": count_min["count_ratio"] >= 100,
        "count_close": min(x["count"] for x in count_min["rounds"]) < 100 <=
                       max(x["count"] for x in count_min["rounds"]),
        "eval_list": eval_list,
        "eval_met": all(max(v, v1) >= 10e6 for _, v, v1 in eval_list),
        "mem_met": big_res["rss_kb"] < mach["ram_kb"] / 4,
    }
    res = {
        "date": datetime.date.today().isoformat(), "machine": mach,
        "nltk_version": nltk.__version__, "reps": args.reps,
        "lmlab_repeat": args.lmlab_repeat,
        "load_start": load_start, "load_end": loadavg(),
        "rows": out_rows, "big": big_res, "goals": goals,
        "seconds_total": time.perf_counter() - t_start,
    }
    write_atomic(os.path.join(OUT, "results.json"), json.dumps(res, indent=1))
    section = write_doc(res)
    log(f"wrote {rel(DOC)} and {rel(OUT)}/results.json in {res['seconds_total']:.0f}s")
    print(section)


if __name__ == "__main__":
    main()
