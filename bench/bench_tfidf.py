#!/usr/bin/python3
"""lmlab's TF-IDF against scikit-learn's TfidfVectorizer: speed, memory, and the same matrix.

    /usr/bin/python3 bench/bench_tfidf.py [--reps 3] [--only WORD] > tfidf-section.md

Run from the repository root, after `make` (it runs ./lmlab), with Debian's Python and
python3-sklearn (scikit-learn 1.2, scipy 1.10). It prints one markdown section on stdout, for
docs/benchmarks.md, and keeps every run in build/bench/tfidf/results.json. Progress goes to
stderr.

  1. The corpora, under build/bench/tfidf/ (deterministic, remade when their sources change,
     never committed): the lines of tangpoems/train.txt and of tinyshakespeare/train.txt,
     100,000 documents of 4 lines each and 1,000,000 documents of one line, drawn (seed
     20240611) from the non-blank lines of the English training texts (timemachine,
     tinyshakespeare). A document is a non-blank line, as `--unit line` reads it.
  2. For each corpus, REPS rounds, the tools alternating: `lmlab tfidf matrix` with one thread
     (OMP_NUM_THREADS=1), with every core, and this script in --worker mode, a process of its
     own that imports scikit-learn and scipy, reads the same documents, times
     TfidfVectorizer().fit_transform and then scipy.io.mmwrite of the matrix (the peer of
     lmlab's matrix.mtx). Each run is under /usr/bin/time for its peak RSS.
  3. Once per corpus, outside the timing, the worker compares lmlab's matrix.mtx (read with
     scipy.io.mmread) and vocab.txt with scikit-learn's matrix: the same terms in the same
     columns and the largest difference of a weight.

scikit-learn's defaults are TfidfVectorizer(lowercase=True, token_pattern=r"(?u)\\b\\w\\w+\\b",
norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False); lmlab gets the same with
--pattern '\\b\\w\\w+\\b' --lowercase (its defaults are tf raw, idf smooth, norm l2).
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LMLAB = os.path.join(REPO, "lmlab")
OUT = os.path.join(REPO, "build", "bench", "tfidf")
PY = "/usr/bin/python3"
TIME = "/usr/bin/time"
SEED = 20240611
# the drawn corpora: (documents, lines a document)
DRAWN = [(100_000, 4), (1_000_000, 1)]
GEN_VERSION = "1"
LMLAB_OPTS = ["--pattern", r"\b\w\w+\b", "--lowercase"]


def log(msg):
    print(f"bench_tfidf: {msg}", file=sys.stderr, flush=True)


def read_docs(path):
    """The documents of --unit line: non-blank lines, one trailing \\r dropped."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    docs = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip(" \t\r\f\v"):
            docs.append(line)
    return docs


# --- the scikit-learn side, in a process of its own ------------------------------------------

def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def worker(path, verify_dir, mtx_out):
    t0 = time.perf_counter()
    import scipy
    import scipy.io
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    t1 = time.perf_counter()
    docs = read_docs(path)
    t2 = time.perf_counter()
    v = TfidfVectorizer()
    X = v.fit_transform(docs)
    t3 = time.perf_counter()
    seconds_write = None
    if mtx_out:
        scipy.io.mmwrite(mtx_out, X)
        seconds_write = time.perf_counter() - t3
    res = {"seconds_import": t1 - t0, "seconds_read": t2 - t1, "seconds_fit": t3 - t2,
           "seconds_write": seconds_write,
           "documents": X.shape[0], "terms": X.shape[1], "nnz": int(X.nnz),
           "sklearn_version": sklearn.__version__, "scipy_version": scipy.__version__}
    if verify_dir:
        A = scipy.io.mmread(os.path.join(verify_dir, "matrix.mtx")).tocsr()
        with open(os.path.join(verify_dir, "vocab.txt"), encoding="utf-8", newline="\n") as f:
            vocab = [unescape(t) for t in f.read().split("\n")[:-1]]
        res["same_vocabulary"] = vocab == list(v.get_feature_names_out())
        res["same_shape"] = A.shape == X.shape
        res["max_abs_diff"] = float(abs(A - X).max()) if A.shape == X.shape else None
        res["lmlab_nnz"] = int(A.nnz)
    print(json.dumps(res))


# --- running things --------------------------------------------------------------------------

def run(cmd, env=None):
    """Runs cmd under /usr/bin/time: (stdout, wall seconds, peak RSS in KB, CPU seconds)."""
    with tempfile.NamedTemporaryFile("r", dir=OUT, prefix="time.", delete=False) as tf:
        tpath = tf.name
    try:
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%M %U %S", "-o", tpath] + cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"bench_tfidf: failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
        with open(tpath, encoding="utf-8") as f:
            rss, user, sys_ = f.read().strip().splitlines()[-1].split()
    finally:
        os.unlink(tpath)
    return p.stdout, wall, int(rss), float(user) + float(sys_)


def lmlab_run(path, out_dir, threads):
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    else:
        env.pop("OMP_NUM_THREADS", None)
    cmd = [LMLAB, "tfidf", "matrix", "--docs", path, "--out", out_dir, "--plot", "none",
           "--heatmap", "0", "--json", "--quiet"] + LMLAB_OPTS
    out, wall, rss, cpu = run(cmd, env)
    j = json.loads(out)
    j["wall"] = wall
    j["rss_kb"] = rss
    j["cpu"] = cpu
    return j


def sklearn_run(path, verify_dir=None, mtx_out=None):
    cmd = [PY, os.path.abspath(__file__), "--worker", path]
    if verify_dir:
        cmd += ["--verify", verify_dir]
    if mtx_out:
        cmd += ["--mmwrite", mtx_out]
    out, wall, rss, cpu = run(cmd)
    j = json.loads(out)
    j["wall"] = wall
    j["rss_kb"] = rss
    j["cpu"] = cpu
    return j


# --- corpora ---------------------------------------------------------------------------------

def sha256_files(paths, extra):
    h = hashlib.sha256(extra.encode())
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def make_drawn(path, ndocs, lines_per_doc):
    """ndocs documents of lines_per_doc lines drawn with SEED, joined by a space."""
    srcs = [os.path.join(REPO, "datasets", f) for f in
            ("timemachine/train.txt", "tinyshakespeare/train.txt")]
    key = sha256_files(srcs, f"{GEN_VERSION} {SEED} {ndocs} {lines_per_doc}")
    stamp = path + ".stamp"
    if os.path.exists(path) and os.path.exists(stamp) and open(stamp).read().strip() == key:
        return
    lines = []
    for s in srcs:
        lines += read_docs(s)
    rng = random.Random(SEED)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for _ in range(ndocs):
            f.write(" ".join(rng.choice(lines) for _ in range(lines_per_doc)) + "\n")
    with open(stamp, "w") as f:
        f.write(key + "\n")
    log(f"made {os.path.relpath(path, REPO)}")


# --- the report ------------------------------------------------------------------------------

def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=REPO).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, cwd=REPO).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "gcc": gcc.splitlines()[0] if gcc else "?",
            "python": platform.python_version(),
            "commit": commit + (" (with uncommitted changes)" if dirty else "")}


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def mb(kb):
    return f"{kb / 1024:.0f} MB" if kb >= 10240 else f"{kb / 1024:.1f} MB"


def drawn_label(ndocs, lines_per_doc):
    n = f"{ndocs // 1_000_000}M" if ndocs % 1_000_000 == 0 else f"{ndocs // 1000}k"
    return (f"{n} documents of {lines_per_doc} English lines" if lines_per_doc > 1
            else f"{n} documents of one English line")


def report(res):
    m = res["machine"]
    rows = res["rows"]
    L = ["## TF-IDF against scikit-learn", ""]
    L.append(f"Made by `bench/bench_tfidf.py` on {res['date']}, lmlab {m['commit']}. Machine: "
             f"{m['cpu']}, {m['cores']} cores, {m['gcc']}, Python {m['python']}, scikit-learn "
             f"{res['sklearn_version']}, scipy {res['scipy_version']}. Times are medians of "
             f"{res['reps']} rounds, the tools alternating. The load average (other work on the "
             f"machine) was {res['load'][0]} at the start and {res['load'][1]} at the end: with "
             f"{m['cores']} cores, a load near {m['cores']} slows every time here, and the "
             f"threaded runs most.")
    L.append("")
    L.append("Both tools fit TF-IDF weights on the same documents (the non-blank lines of the "
             "file) with scikit-learn's defaults: `TfidfVectorizer()` against `lmlab tfidf "
             "matrix --pattern '\\b\\w\\w+\\b' --lowercase` (tf raw, idf smooth, norm l2). "
             "*fit* is `fit_transform` on the list of documents for scikit-learn, and "
             "tokenizing, counting, pruning and weighing (`seconds_fit` of `--json`) for lmlab: "
             "neither includes reading the file. The matrices were checked equal outside the "
             "timing: same vocabulary in the same column order, largest difference of a weight "
             "in the last column.")
    L.append("")
    L.append("| corpus | documents x terms, stored | scikit-learn fit | lmlab fit, 1 thread | "
             f"lmlab fit, {m['cores']} threads | speed-up 1 / {m['cores']} threads | "
             "max abs diff |")
    L.append("|---|---|---|---|---|---|---|")
    for r in rows:
        L.append(f"| {r['label']} | {r['documents']:,} x {r['terms']:,}, {r['nnz']:,} | "
                 f"{r['sk_fit']:.3f} s | {r['lm1_fit']:.3f} s | {r['lmn_fit']:.3f} s | "
                 f"**{r['sk_fit'] / r['lm1_fit']:.1f}x** / **{r['sk_fit'] / r['lmn_fit']:.1f}x** | "
                 f"{r['max_abs_diff']:.1e} |")
    L.append("")
    L.append("### The command as a user runs it")
    L.append("")
    L.append("lmlab: `lmlab tfidf matrix --docs FILE --pattern '\\b\\w\\w+\\b' --lowercase "
             "--plot none --heatmap 0 --out DIR`, which reads the file, fits, and writes "
             "`matrix.mtx` (every weight as the shortest decimal that reads back as the same "
             "double), `vocab.txt`, `terms.tsv`, `docs.tsv` and `config`. scikit-learn: a Python "
             "process that imports scikit-learn and scipy, reads the file into a list of "
             "documents, runs `TfidfVectorizer().fit_transform` and writes the matrix with "
             "`scipy.io.mmwrite` (Matrix Market, as matrix.mtx). *inner* is the work without "
             "starting the program: fit + write for lmlab (`seconds_fit + seconds_write`), "
             "`fit_transform` + `mmwrite` for scikit-learn. *process* is the wall time of the "
             "whole process under `/usr/bin/time` (for scikit-learn: starting Python and the "
             "imports included). Seconds, medians; lmlab with every core.")
    L.append("")
    L.append("| corpus | lmlab: read | fit | write | inner | process | peak RSS | "
             "scikit-learn: import | fit_transform | mmwrite | inner | process | peak RSS |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        L.append(f"| {r['label']} | {r['lmn_read']:.3f} | {r['lmn_fit']:.3f} | "
                 f"{r['lmn_write']:.3f} | {r['lmn_inner']:.3f} | {r['lmn_wall']:.2f} | "
                 f"{mb(r['lmn_rss'])} | {r['sk_import']:.2f} | {r['sk_fit']:.3f} | "
                 f"{r['sk_write']:.3f} | {r['sk_inner']:.3f} | {r['sk_wall']:.2f} | "
                 f"{mb(r['sk_rss'])} |")
    L.append("")
    L.append("How many times faster lmlab is (scikit-learn's seconds over lmlab's), with every "
             "core and with one thread (`OMP_NUM_THREADS=1`); CPU is user + system seconds of "
             "the whole process, which other work on the machine disturbs less than wall time.")
    L.append("")
    L.append(f"| corpus | inner, {m['cores']} threads | process, {m['cores']} threads | "
             "inner, 1 thread | process, 1 thread | CPU: lmlab 1 thread | scikit-learn |")
    L.append("|---|---|---|---|---|---|---|")
    for r in rows:
        L.append(f"| {r['label']} | **{r['sk_inner'] / r['lmn_inner']:.1f}x** | "
                 f"**{r['sk_wall'] / r['lmn_wall']:.1f}x** | "
                 f"{r['sk_inner'] / r['lm1_inner']:.1f}x | {r['sk_wall'] / r['lm1_wall']:.1f}x | "
                 f"{r['lm1_cpu']:.2f} | {r['sk_cpu']:.2f} |")
    L.append("")
    worst_inner = min(r["sk_inner"] / r["lmn_inner"] for r in rows)
    worst_wall = min(r["sk_wall"] / r["lmn_wall"] for r in rows)
    worst_fit = min(r["sk_fit"] / r["lmn_fit"] for r in rows)
    million = [r for r in rows if r["documents"] >= 1_000_000]
    goal3 = "met" if min(worst_inner, worst_wall) >= 3 else "not met"
    L.append(f"The goal, the whole command at least 3x scikit-learn's fit_transform + mmwrite, "
             f"is {goal3} on this machine: the smallest ratio is {worst_inner:.1f}x for the "
             f"inner work and {worst_wall:.1f}x for the whole process (the fit alone: "
             f"{worst_fit:.1f}x).")
    for r in million:
        verdict = "under" if r["lmn_wall"] < 1 else "not under"
        L.append(f"{r['label']}: the whole lmlab command took {r['lmn_wall']:.2f} s with "
                 f"{m['cores']} threads ({r['lmn_cpu']:.2f} CPU seconds; {r['lm1_wall']:.2f} s "
                 f"and {r['lm1_cpu']:.2f} CPU seconds with one), {verdict} the second of the "
                 f"goal on this machine at this load.")
    if max(float(x) for x in res["load"]) > m["cores"]:
        L.append(f"The machine was busy (a load average above its {m['cores']} cores): each "
                 f"wall time here is that of a share of it, and the CPU seconds say more about "
                 f"lmlab's own cost.")
    L.append("")
    L.append("The two files differ in what they promise: lmlab writes every weight as the "
             "shortest decimal that reads back as the same double (tests check it with "
             "`strtod` and with `scipy.io.mmread`), scipy's `mmwrite` writes `%.15e`, 16 "
             "significant digits, which does not always read back exactly.")
    L.append("")
    L.append("Where lmlab's time goes: the fit is the shared word tokenizer "
             "(`datasets/tokenizer.c`: on pure-ASCII text `\\b\\w\\w+\\b` and lmlab's "
             "default patterns are matched by a hand-written scanner that yields exactly "
             "PCRE2's tokens, after lowercasing eight bytes at a time; other patterns and "
             "other text go to PCRE2 with JIT), the term table behind a memo of short terms, and "
             "a sparse pass each for counting, pruning and weighing. The files are made by hand "
             "into large buffers (no printf): integers two digits at a time, weights as the "
             "shortest decimal that reads back as the same double, found exactly with 128-bit "
             "integers (`tfidf_format_weight`, the same bytes as `lab_format_double`); "
             "matrix.mtx by blocks of 32,768 entries on every thread, each block written in "
             "order as soon as it is ready, while one thread writes the other files. The rest "
             "of the process is the kernel's: reading the file, faulting in memory, copying "
             "250 MB of output into the page cache. Its peak RSS holds the text, the term "
             "tables and the CSR matrix (a column index, a count and a weight per stored "
             "entry: 16 bytes).")
    L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", metavar="WORD",
                    help="only the corpora whose label holds WORD (e.g. 1M), for a quick look; "
                         "docs/benchmarks.md takes a full run")
    ap.add_argument("--worker", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--verify", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--mmwrite", metavar="FILE", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.verify, a.mmwrite)
        return
    if not os.access(LMLAB, os.X_OK):
        sys.exit("bench_tfidf: ./lmlab is missing: run make first")
    os.makedirs(OUT, exist_ok=True)
    corpora = [
        ("tangpoems train (lines)", os.path.join(REPO, "datasets", "tangpoems", "train.txt")),
        ("tinyshakespeare train (lines)",
         os.path.join(REPO, "datasets", "tinyshakespeare", "train.txt")),
    ]
    for ndocs, lines_per_doc in DRAWN:
        path = os.path.join(OUT, f"drawn-{ndocs}x{lines_per_doc}.txt")
        make_drawn(path, ndocs, lines_per_doc)
        corpora.append((drawn_label(ndocs, lines_per_doc), path))
    if a.only:
        corpora = [c for c in corpora if a.only in c[0]]
        if not corpora:
            sys.exit(f"bench_tfidf: no corpus label holds '{a.only}'")
    sk_mtx = os.path.join(OUT, "sklearn.mtx")
    res = {"date": datetime.date.today().isoformat(), "reps": a.reps, "machine": machine(),
           "rows": [], "runs": [], "load": [loadavg(), None]}
    for k, (label, path) in enumerate(corpora):
        out_dir = os.path.join(OUT, f"run{k + 1}")  # a run directory keeps one configuration
        log(f"{label}: checking that both tools make the same matrix")
        lmlab_run(path, out_dir, 0)
        check = sklearn_run(path, out_dir)
        if not (check["same_vocabulary"] and check["same_shape"]) or \
                not check["max_abs_diff"] <= 1e-9:
            sys.exit(f"bench_tfidf: {label}: the matrices differ: {check}")
        res["sklearn_version"] = check["sklearn_version"]
        res["scipy_version"] = check["scipy_version"]
        lm1, lmn, sk = [], [], []
        for rep in range(a.reps):
            log(f"{label}: round {rep + 1} of {a.reps}")
            lm1.append(lmlab_run(path, out_dir, 1))
            sk.append(sklearn_run(path, mtx_out=sk_mtx))
            lmn.append(lmlab_run(path, out_dir, 0))
        res["runs"].append({"label": label, "lmlab_1": lm1, "lmlab_n": lmn, "sklearn": sk,
                            "check": check})
        for j in lm1 + lmn:
            j["inner"] = j["seconds_fit"] + j["seconds_write"]
        for j in sk:
            j["inner"] = j["seconds_fit"] + j["seconds_write"]

        def med(runs, key):
            return statistics.median(r[key] for r in runs)

        row = {"label": label, "documents": check["documents"], "terms": check["terms"],
               "nnz": check["nnz"], "max_abs_diff": check["max_abs_diff"],
               "sk_fit": med(sk, "seconds_fit"), "sk_write": med(sk, "seconds_write"),
               "sk_inner": med(sk, "inner"), "sk_import": med(sk, "seconds_import"),
               "sk_wall": med(sk, "wall"), "sk_rss": med(sk, "rss_kb"),
               "lm1_fit": med(lm1, "seconds_fit"), "lmn_fit": med(lmn, "seconds_fit"),
               "lm1_inner": med(lm1, "inner"), "lmn_inner": med(lmn, "inner"),
               "lmn_read": med(lmn, "seconds_read"), "lmn_write": med(lmn, "seconds_write"),
               "lmn_wall": med(lmn, "wall"), "lm1_wall": med(lm1, "wall"),
               "lmn_rss": med(lmn, "rss_kb"), "lm1_cpu": med(lm1, "cpu"),
               "lmn_cpu": med(lmn, "cpu"),
               "sk_cpu": med(sk, "cpu")}
        res["rows"].append(row)
        log(f"{label}: inner: scikit-learn {row['sk_inner']:.3f}s, lmlab {row['lmn_inner']:.3f}s;"
            f" process: scikit-learn {row['sk_wall']:.2f}s, lmlab {row['lmn_wall']:.2f}s")
    if os.path.exists(sk_mtx):
        os.unlink(sk_mtx)
    res["load"][1] = loadavg()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(report(res))


if __name__ == "__main__":
    main()
