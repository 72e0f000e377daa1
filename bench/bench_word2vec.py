#!/usr/bin/python3
"""lmlab's word2vec against gensim's Word2Vec: training speed and the quality of neighbours.

    make bench                                   (or, after `make`:)
    /usr/bin/python3 bench/bench_word2vec.py [--reps 3] [--epochs 5] > section.md

Run from anywhere with Debian's Python and gensim (python3-gensim; gensim is faster on
OpenBLAS: libopenblas0-pthread). It

  1. joins all the shipped English text (timemachine train/valid/test, tinyshakespeare
     train/valid) into build/bench/word2vec/english.txt, and writes the same text as
     `lmlab tokenize --tokenizer word --lowercase` splits it, one sentence a line, for gensim;
  2. trains skip-gram and CBOW with the same settings (dim 100, window 5, 5 negatives, sample
     1e-3, min_count 5, 5 epochs, alpha 0.025 / 0.05 falling to alpha * 1e-4, 2 threads),
     REPS times each, alternating the tools: lmlab (deterministic, 2 threads), lmlab --hogwild,
     lmlab on 1 thread, gensim on a list of sentences and gensim with corpus_file, each in a
     process of its own;
  3. compares the neighbours: top-10 overlap between the tools, against the overlap between
     two seeds of the same tool (the noise floor), a few neighbour lists, and a small set of
     analogies made from the corpus's words (Debian's gensim ships no questions-words.txt or
     wordsim353.tsv: they are stripped from the package);
  4. prints a markdown section on stdout (for docs/benchmarks.md) and writes every run to
     build/bench/word2vec/results.json. Progress goes to stderr.

Words per second are training words per second for both tools: the words of the corpus that
are in the vocabulary (seen min_count times), counted before subsampling, times the epochs,
over the seconds of training alone (lmlab: its training loop, from `--json`; gensim: the call
to Word2Vec.train()). Tokenizing, the vocabulary and saving are left out of that number and
shown as the whole process's wall time instead.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LMLAB = os.path.join(REPO, "lmlab")
OUT = os.path.join(REPO, "build", "bench", "word2vec")
PY = "/usr/bin/python3"
ENGLISH = ["timemachine/train.txt", "timemachine/valid.txt", "timemachine/test.txt",
           "tinyshakespeare/train.txt", "tinyshakespeare/valid.txt"]
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "sample": 1e-3, "min_count": 5,
            "threads": 2}
ALPHA = {"skipgram": 0.025, "cbow": 0.05}
CLEAN = 0.10  # a timed run is clean when other programs used less than this share of the cores

# analogies "a b c d": a is to b as c is to d, from words the English text uses often
ANALOGIES = """
he his she her
he him she her
his him her her
he she his her
he she him her
i my we our
i me we us
my mine your yours
me my thee thy
you your thou thy
man woman king queen
man woman lord lady
man woman brother sister
man woman father mother
man woman son daughter
king queen prince princess
king queen duke duchess
lord lady king queen
father mother son daughter
father mother brother sister
brother sister son daughter
son daughter father mother
husband wife father mother
sir madam lord lady
boy girl brother sister
good better bad worse
one two three four
day night morning evening
""".strip().splitlines()


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def rel(path):
    return os.path.relpath(path, REPO)


# --- the gensim side, in a process of its own --------------------------------------------------

def gensim_worker(a):
    """Trains gensim's Word2Vec and prints one JSON object (timings, counts, BLAS)."""
    t_start = time.perf_counter()
    import gensim
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    from gensim.models import word2vec_inner
    blas = []
    try:
        import threadpoolctl
        blas = [{k: d.get(k) for k in ("internal_api", "version", "threading_layer",
                                        "num_threads", "filepath")}
                for d in threadpoolctl.threadpool_info() if d.get("user_api") == "blas"]
    except ImportError:
        pass
    kw = dict(vector_size=a.dim, window=a.window, negative=a.negative, sample=a.sample,
              min_count=a.min_count, epochs=a.epochs, sg=1 if a.model == "skipgram" else 0,
              workers=a.threads, alpha=a.alpha, min_alpha=a.alpha * 1e-4, hs=0, cbow_mean=1,
              seed=a.seed)
    m = Word2Vec(**kw)
    if a.corpus_file:
        m.build_vocab(corpus_file=a.sentences)
        t0 = time.perf_counter()
        m.train(corpus_file=a.sentences, total_words=m.corpus_total_words, epochs=a.epochs)
    else:
        sentences = list(LineSentence(a.sentences))
        m.build_vocab(sentences)
        t0 = time.perf_counter()
        m.train(sentences, total_examples=m.corpus_count, epochs=a.epochs)
    secs = time.perf_counter() - t0
    words = int(sum(m.wv.get_vecattr(w, "count") for w in m.wv.index_to_key))
    m.wv.save_word2vec_format(a.out, binary=False)
    print(json.dumps({
        "words": words, "vocab": len(m.wv), "raw_words": m.corpus_total_words,
        "seconds_train": secs, "words_per_s": words * a.epochs / secs,
        "seconds_total": time.perf_counter() - t_start, "gensim": gensim.__version__,
        "fast_version": word2vec_inner.FAST_VERSION, "blas": blas,
    }))


# --- running things ----------------------------------------------------------------------------

CLK = os.sysconf("SC_CLK_TCK")


def busy_seconds():
    """CPU seconds all cores have spent busy since boot (from /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / CLK  # all but idle and iowait


def wait_quiet(limit=0.10, patience=30):
    """Waits (up to `patience` seconds) until other programs use less than `limit` of the
    cores over half a second."""
    t0 = time.time()
    while time.time() - t0 < patience:
        b0 = busy_seconds()
        time.sleep(0.5)
        if (busy_seconds() - b0) / (0.5 * os.cpu_count()) < limit:
            return


def run(cmd, timed=True):
    """Runs cmd in REPO, after waiting for a quiet machine when timed. Returns its stdout, its
    wall time and `others`: the share of the cores that other programs used meanwhile (all
    the machine's busy time less this process's children's CPU time)."""
    if timed:
        wait_quiet()
    b0, r0 = busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    b1, r1 = busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"bench: failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    ours = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    others = max(0.0, (b1 - b0) - ours) / (wall * os.cpu_count())
    return p.stdout, wall, others


def lmlab_run(corpus, model, out, epochs, seed=1, threads=2, hogwild=False):
    cmd = [LMLAB, "word2vec", "train", "--train", corpus, "--model", model,
           "--dim", str(SETTINGS["dim"]), "--window", str(SETTINGS["window"]),
           "--negative", str(SETTINGS["negative"]), "--sample", str(SETTINGS["sample"]),
           "--min-count", str(SETTINGS["min_count"]), "--epochs", str(epochs),
           "--alpha", str(ALPHA[model]), "--threads", str(threads), "--seed", str(seed),
           "--out", out, "--plot", "none", "--json"] + (["--hogwild"] if hogwild else [])
    text, wall, others = run(cmd)
    j = json.loads(text)
    j.update(wall=wall, others=others, vectors=os.path.join(out, "vectors.txt"))
    return j


def gensim_run(sentences, model, out, epochs, seed=1, corpus_file=False):
    cmd = [PY, os.path.abspath(__file__), "--gensim-worker", "--sentences", sentences,
           "--model", model, "--out", out, "--epochs", str(epochs), "--seed", str(seed),
           "--alpha", str(ALPHA[model])] + (["--corpus-file"] if corpus_file else [])
    text, wall, others = run(cmd)
    j = json.loads(text)
    j.update(wall=wall, others=others, vectors=out)
    return j


# --- corpora -----------------------------------------------------------------------------------

def make_corpus():
    os.makedirs(OUT, exist_ok=True)
    raw = os.path.join(OUT, "english.txt")
    with open(raw, "w", encoding="utf-8", newline="\n") as f:
        for name in ENGLISH:
            with open(os.path.join(REPO, "datasets", name), encoding="utf-8") as g:
                text = g.read()
            f.write(text if text.endswith("\n") else text + "\n")
    toks, _, _ = run([LMLAB, "tokenize", "--file", raw, "--tokenizer", "word", "--lowercase"],
                     timed=False)
    sents, cur, ntok = [], [], 0
    for tok in toks.split("\n")[:-1]:
        if tok == "</s>":
            sents.append(" ".join(cur))
            cur = []
        else:
            if tok.startswith("\\<"):
                sys.exit(f"bench: the English text holds a reserved token {tok!r}")
            cur.append(tok.replace("\\\\", "\\"))  # word tokens hold no whitespace
            ntok += 1
    tok_path = os.path.join(OUT, "english.tok")
    with open(tok_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(sents) + "\n")
    return raw, tok_path, ntok, len(sents)


# --- quality -----------------------------------------------------------------------------------

def load_vectors(path):
    import numpy as np
    with open(path, encoding="utf-8") as f:
        V, D = map(int, f.readline().split())
        words, rows = [], np.zeros((V, D), dtype=np.float64)
        for i, line in enumerate(f):
            t = line.split()
            words.append(t[0])
            rows[i] = [float(x) for x in t[1:]]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    rows /= np.where(norms > 0, norms, 1)
    return {"words": words, "index": {w: i for i, w in enumerate(words)}, "m": rows}


def neighbours(vec, word, k=10):
    import numpy as np
    i = vec["index"][word]
    s = vec["m"] @ vec["m"][i]
    s[i] = -np.inf
    return [vec["words"][j] for j in np.argsort(-s, kind="stable")[:k]]


def probe_words(a, b, n=500):
    """The n most frequent words made of letters that both files hold (lmlab's order)."""
    return [w for w in a["words"] if w.isalpha() and w in b["index"]][:n]


def overlap(a, b, words, k=10):
    return statistics.mean(len(set(neighbours(a, w, k)) & set(neighbours(b, w, k)))
                           for w in words)


def analogies(vec):
    """(top-1 right, top-5 right, asked) over the analogies whose four words are known."""
    import numpy as np
    m, idx = vec["m"], vec["index"]
    top1 = top5 = asked = 0
    for line in ANALOGIES:
        a, b, c, d = line.split()
        if not all(w in idx for w in (a, b, c, d)):
            continue
        q = m[idx[b]] - m[idx[a]] + m[idx[c]]
        q /= np.linalg.norm(q)
        s = m @ q
        for w in (a, b, c):
            s[idx[w]] = -np.inf
        best = [vec["words"][j] for j in np.argsort(-s, kind="stable")[:5]]
        asked += 1
        top1 += best[0] == d
        top5 += d in best
    return top1, top5, asked


# --- the report --------------------------------------------------------------------------------

def human(x):
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suf}"
    return f"{x:.3g}"


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="timed runs of each configuration")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--tries", type=int, default=4,
                    help="attempts at a timed run while other programs load the machine")
    # the gensim worker's arguments
    ap.add_argument("--gensim-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--sentences", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--alpha", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--corpus-file", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.gensim_worker:
        for k, v in SETTINGS.items():
            setattr(a, k, v)
        return gensim_worker(a)

    if not os.access(LMLAB, os.X_OK):
        sys.exit(f"bench: no {rel(LMLAB)}: run `make` first")
    try:
        subprocess.run([PY, "-c", "import gensim"], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        sys.exit("bench: gensim is missing: apt-get install python3-gensim libopenblas0-pthread")
    raw, tok, ntok, nsent = make_corpus()
    log(f"corpus: {ntok} tokens in {nsent} sentences ({rel(raw)}, {rel(tok)})")

    configs = [
        ("lmlab", "lmlab, 2 threads (deterministic)", {}),
        ("gensim", "gensim, 2 workers, list of sentences", {}),
        ("lmlab-hogwild", "lmlab --hogwild, 2 threads", {"hogwild": True}),
        ("gensim-file", "gensim, 2 workers, corpus_file", {"corpus_file": True}),
        ("lmlab-1", "lmlab, 1 thread", {"threads": 1}),
    ]
    runs = {}
    for model in ("skipgram", "cbow"):
        for rep in range(a.reps):
            order = configs if rep % 2 == 0 else configs[::-1]
            for key, label, opts in order:
                d = os.path.join(OUT, f"{model}-{key}")
                os.makedirs(d, exist_ok=True)
                best = None
                for attempt in range(a.tries):
                    if key.startswith("lmlab"):
                        r = lmlab_run(raw, model, d, a.epochs, **opts)
                    else:
                        r = gensim_run(tok, model, os.path.join(d, "vectors.txt"), a.epochs,
                                       **opts)
                    log(f"{model} {label} #{rep + 1}: {human(r['words_per_s'])} words/s, "
                        f"{r['seconds_train']:.2f}s training, {r['wall']:.2f}s wall, other "
                        f"programs used {100 * r['others']:.0f}% of the cores")
                    if best is None or r["others"] < best["others"]:
                        best = r
                    if r["others"] < CLEAN:
                        break
                runs.setdefault((model, key), []).append(best)
        # the quality runs: every timed run used seed 1; seed 2 gives the noise floor
        for key, fn in (("lmlab-seed2", lambda d: lmlab_run(raw, model, d, a.epochs, seed=2)),
                        ("gensim-seed2", lambda d: gensim_run(tok, model,
                                                              os.path.join(d, "vectors.txt"),
                                                              a.epochs, seed=2))):
            d = os.path.join(OUT, f"{model}-{key}")
            os.makedirs(d, exist_ok=True)
            runs[(model, key)] = [fn(d)]
        # repeatability: seed 1 once more, byte for byte
        d = os.path.join(OUT, f"{model}-lmlab-again")
        runs[(model, "lmlab-again")] = [lmlab_run(raw, model, d, a.epochs)]

    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({f"{m} {k}": v for (m, k), v in runs.items()}, f, indent=1)

    # --- the section ---
    g0 = runs[("skipgram", "gensim")][0]
    l0 = runs[("skipgram", "lmlab")][0]
    if g0["words"] != l0["words"] or g0["vocab"] != l0["vocab"]:
        log(f"warning: the tools see different corpora: lmlab {l0['words']} words, "
            f"{l0['vocab']} types; gensim {g0['words']} words, {g0['vocab']} types")
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['threading_layer']}, "
                     f"{b['num_threads']} threads)" for b in g0["blas"]) or "unknown"
    p = print
    p("## word2vec: lmlab against gensim\n")
    p(f"Machine: {machine()}. gensim {g0['gensim']} (Debian `python3-gensim`, "
      f"FAST_VERSION {g0['fast_version']}), its BLAS as threadpoolctl reports it: {blas}. "
      f"Made by `bench/bench_word2vec.py` on {time.strftime('%Y-%m-%d')}.\n")
    p(f"Corpus: all the shipped English text ({', '.join('datasets/' + e for e in ENGLISH)}), "
      f"{ntok:,} tokens in {nsent:,} lines, split by `lmlab tokenize --tokenizer word "
      f"--lowercase` (gensim reads that split, one sentence a line). Words seen at least "
      f"{SETTINGS['min_count']} times: {l0['vocab']:,} types, {l0['words']:,} training words "
      f"a pass (both tools count the same: lmlab {l0['words']:,}, gensim {g0['words']:,}).\n")
    p(f"Settings, the same for both: dim {SETTINGS['dim']}, window {SETTINGS['window']}, "
      f"{SETTINGS['negative']} negatives, sample {SETTINGS['sample']:g}, min_count "
      f"{SETTINGS['min_count']}, {a.epochs} epochs, alpha 0.025 (skip-gram) or 0.05 (CBOW) "
      f"falling linearly to alpha * 1e-4, 2 threads.\n")
    p("Words/s: training words (in the vocabulary, counted before subsampling) times epochs, "
      "over the seconds of training alone (lmlab's training loop; gensim's `train()`). Median "
      f"of {a.reps} runs, the tools alternating, each in a process of its own; the range "
      "follows in brackets. Wall: the whole process (tokenizing, vocabulary, training, "
      "saving; for gensim also starting Python and importing it).\n")
    allruns = [r for (m, k), rs in runs.items() for r in rs if "others" in r]
    p(f"The machine is shared: before each timed run the script waits (up to 30 s) for other "
      f"programs to leave it, measures how much of the cores they used during the run, and "
      f"runs again (up to {a.tries} times) when that was {100 * CLEAN:.0f}% or more, keeping "
      f"the cleanest run. Other programs used "
      f"{100 * statistics.median(r['others'] for r in allruns):.0f}% of the cores during the "
      f"kept runs (median; at most {100 * max(r['others'] for r in allruns):.0f}%: the "
      f"\"others\" column).\n")
    p("| model | run | words/s | vs gensim | wall s | others |")
    p("|---|---|---:|---:|---:|---:|")
    for model in ("skipgram", "cbow"):
        gbest = max(statistics.median(r["words_per_s"] for r in runs[(model, k)])
                    for k in ("gensim", "gensim-file"))
        for key, label, _ in [configs[0], configs[2], configs[4], configs[1], configs[3]]:
            rs = runs[(model, key)]
            wps = [r["words_per_s"] for r in rs]
            med = statistics.median(wps)
            oth = statistics.median(r["others"] for r in rs)
            p(f"| {model} | {label} | {human(med)} [{human(min(wps))}-{human(max(wps))}] | "
              f"{med / gbest:.2f} | {statistics.median(r['wall'] for r in rs):.2f} | "
              f"{100 * oth:.0f}% |")
    p("\n\"vs gensim\" divides by the faster of gensim's two ways of reading the corpus.\n")

    p("Quality. Mean overlap of the top-10 neighbours (cosine) of the 500 most frequent "
      "words made of letters, between two sets of vectors; two seeds of one tool show how "
      "much of the difference is the randomness of training itself:\n")
    p("| pair | skip-gram | CBOW |")
    p("|---|---:|---:|")
    vecs = {}

    def V(model, key):
        if (model, key) not in vecs:
            vecs[(model, key)] = load_vectors(runs[(model, key)][0]["vectors"])
        return vecs[(model, key)]

    pairs = [("lmlab vs gensim (seed 1 each)", "lmlab", "gensim"),
             ("gensim seed 1 vs gensim seed 2", "gensim", "gensim-seed2"),
             ("lmlab seed 1 vs lmlab seed 2", "lmlab", "lmlab-seed2"),
             ("lmlab 2 threads vs lmlab 1 thread", "lmlab", "lmlab-1"),
             ("lmlab --hogwild vs gensim", "lmlab-hogwild", "gensim")]
    for label, x, y in pairs:
        cells = []
        for model in ("skipgram", "cbow"):
            A, B = V(model, x), V(model, y)
            cells.append(f"{overlap(A, B, probe_words(A, B)):.2f}")
        p(f"| {label} | {cells[0]} | {cells[1]} |")

    p("\nAnalogies from the corpus's own words (a : b = c : ?, by b - a + c over unit "
      "vectors, a, b, c excluded), right at top-1 / top-5, of those whose words both "
      "vocabularies hold:\n")
    p("| vectors | skip-gram | CBOW |")
    p("|---|---:|---:|")
    for label, key in (("lmlab", "lmlab"), ("lmlab seed 2", "lmlab-seed2"),
                       ("gensim", "gensim"), ("gensim seed 2", "gensim-seed2")):
        cells = []
        for model in ("skipgram", "cbow"):
            t1, t5, n = analogies(V(model, key))
            cells.append(f"{t1} / {t5} of {n}")
        p(f"| {label} | {cells[0]} | {cells[1]} |")

    p("\nSome neighbours (skip-gram, top 6):\n")
    p("| word | lmlab | gensim |")
    p("|---|---|---|")
    A, B = V("skipgram", "lmlab"), V("skipgram", "gensim")
    for w in ("king", "love", "father", "night", "time", "sweet", "gold", "three"):
        if w in A["index"] and w in B["index"]:
            p(f"| {w} | {' '.join(neighbours(A, w, 6))} | {' '.join(neighbours(B, w, 6))} |")

    same = []
    for model in ("skipgram", "cbow"):
        with open(runs[(model, "lmlab")][0]["vectors"], "rb") as f1, \
                open(runs[(model, "lmlab-again")][0]["vectors"], "rb") as f2:
            same.append(f1.read() == f2.read())
    p(f"\nRepeatability: lmlab trained twice with seed 1 and 2 threads wrote "
      f"{'byte-identical' if all(same) else 'DIFFERENT'} vectors.txt (skip-gram and CBOW); "
      "--hogwild and gensim with 2 workers do not promise that.")


if __name__ == "__main__":
    main()
