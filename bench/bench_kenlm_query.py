#!/usr/bin/python3
"""lmlab's binary n-gram models (model.bin) against KenLM's probing binary: open, memory, query.

    make bench KENLM=/path/to/kenlm/build/bin     (or without KENLM: the KenLM rows say so)
    /usr/bin/python3 bench/bench_kenlm_query.py [--kenlm DIR] [--reps 3] > section.md

Run from the repository root with Debian's Python. It

  1. makes the 10M-token word corpus of bench_ngram.py (a word bigram model of the shipped
     English text sampled with a fixed seed: a Zipf vocabulary, and a held-out sample of a
     million tokens with n-grams the training text never had) under build/bench/ngram/word/;
  2. trains lmlab's word 5-gram (modified Kneser-Ney) on it, and a char 5-gram on tangpoems,
     and converts each model.arpa with KenLM's `build_binary probing` (its default 1.5 slots
     per entry);
  3. alternating lmlab and KenLM, REPS times each: the whole command on one sentence (opening
     the model), and on the held-out text (scoring), under /usr/bin/time; lmlab with one thread,
     as KenLM's query has;
  4. prints its section of docs/benchmarks.md on stdout (make bench puts it in place).

Query speed with the model loaded is tokens / (whole command on the text - whole command on one
sentence), for both tools alike: it counts reading the text, as KenLM's query does it. lmlab's
own scoring loop (eval's "seconds") is shown beside it. Progress goes to stderr.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ngram as bn  # noqa: E402  (the word corpus and the machine's description)

REPO = bn.REPO
OUT = os.path.join(REPO, "build", "bench", "kenlm")
LMLAB = os.path.join(OUT, "lmlab")
TIME = "/usr/bin/time"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run(cmd, stdin=None, env=None, cpu=None):
    """Runs cmd under /usr/bin/time. Returns (stdout, stderr, wall s, peak RSS KB); the wall
    time from a monotonic clock (time's own has 10 ms steps). cpu: a dict that gets "cpu",
    the user + system seconds."""
    full_env = dict(os.environ, **env) if env else None
    with tempfile.NamedTemporaryFile("r", dir=OUT, prefix="time.", delete=False) as tf:
        tpath = tf.name
    try:
        fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%U %S %M", "-o", tpath] + cmd, stdin=fin,
                           capture_output=True, env=full_env)
        wall = time.perf_counter() - t0
        if stdin:
            fin.close()
        if p.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n"
                     f"{p.stderr.decode(errors='replace')[-2000:]}")
        user, system, rss = open(tpath).read().split()[-3:]
        if cpu is not None:
            cpu["cpu"] = float(user) + float(system)
        return (p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"),
                wall, int(rss))
    finally:
        os.unlink(tpath)


def arpa_counts(path):
    counts = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"ngram (\d+)=(\d+)", line)
            if m:
                counts.append(int(m.group(2)))
            elif line.startswith("\\1-grams:"):
                break
    return counts


def sentences(src, dst, opts):
    """The tokens of src as KenLM reads them: escaped tokens separated by spaces, a line each."""
    out, _, _, _ = run([LMLAB, "tokenize", "--file", src, "--unit", "line"] + opts)
    lines, cur = [], []
    for tok in out.split("\n"):
        if tok == "</s>":
            lines.append(" ".join(cur))
            cur = []
        elif tok:
            cur.append(tok)
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def lmlab_eval(model, data, arpa_opts=None):
    """eval of data; model a run dir, or (arpa_opts given) a model file with its text options."""
    src = ["--arpa", model] + arpa_opts if arpa_opts is not None else ["--model", model]
    c = {}
    out, _, wall, rss = run([LMLAB, "ngram", "eval"] + src + ["--data", data, "--json"],
                            env={"OMP_NUM_THREADS": "1"}, cpu=c)
    j = json.loads(out)
    return {"wall": wall, "cpu": c["cpu"], "rss_kb": rss, "ppl": j["ppl"],
            "tokens": j["tokens"], "inner": j["seconds"]}


def kenlm_query(kenlm, model, sents):
    c = {}
    out, _, wall, rss = run([os.path.join(kenlm, "query"), "-v", "summary", model], stdin=sents,
                            cpu=c)
    ppl = re.search(r"Perplexity including OOVs:\s*(\S+)", out)
    toks = re.search(r"Tokens:\s*(\d+)", out)
    return {"wall": wall, "cpu": c["cpu"], "rss_kb": rss, "ppl": float(ppl.group(1)),
            "tokens": int(toks.group(1))}


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def prepare(name, train_cmd, run_dir, kenlm):
    """Trains lmlab's model into run_dir, then KenLM's probing binary of its model.arpa."""
    info = {"name": name}
    log(f"{name}: lmlab ngram train")
    _, _, info["train_wall"], info["train_rss_kb"] = run(train_cmd + ["--out", run_dir])
    arpa = os.path.join(run_dir, "model.arpa")
    info["counts"] = arpa_counts(arpa)
    info["ngrams"] = sum(info["counts"])
    info["arpa_bytes"] = os.path.getsize(arpa)
    info["bin_bytes"] = os.path.getsize(os.path.join(run_dir, "model.bin"))
    if kenlm:
        probing = os.path.join(OUT, f"{name}.probing")
        log(f"{name}: KenLM build_binary probing")
        _, _, info["kenlm_build_wall"], _ = run([os.path.join(kenlm, "build_binary"), "probing",
                                                 arpa, probing])
        info["probing"] = probing
        info["probing_bytes"] = os.path.getsize(probing)
    return info


def measure(info, run_dir, data, sents, one_data, one_sents, text_opts, kenlm, reps):
    """The open and query rows of one model, alternating the tools."""
    arpa = os.path.join(run_dir, "model.arpa")
    r = {k: [] for k in ["bin_one", "bin_all", "arpa_one", "arpa_all", "kl_one", "kl_all",
                         "kla_one"]}
    for i in range(reps):
        log(f"{info['name']}: round {i + 1}/{reps}")
        r["bin_one"].append(lmlab_eval(run_dir, one_data))
        if kenlm:
            r["kl_one"].append(kenlm_query(kenlm, info["probing"], one_sents))
        r["bin_all"].append(lmlab_eval(run_dir, data))
        if kenlm:
            r["kl_all"].append(kenlm_query(kenlm, info["probing"], sents))
        if i == 0:  # the ARPA path, for reference: parsing dominates, once is enough
            r["arpa_one"].append(lmlab_eval(arpa, one_data, text_opts))
            if kenlm:
                r["kla_one"].append(kenlm_query(kenlm, arpa, one_sents))
            r["arpa_all"].append(lmlab_eval(arpa, data, text_opts))
    return r


def fmt_rate(x):
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.0f}k"


def describe():
    m = bn.machine()
    return f"{m['cpu']}, {m['cores']} cores, {m['gcc']}, lmlab at {m['commit']}"


def section(args, infos, results, load, made):
    kl = bool(args.kenlm)
    nr = "not run (give KENLM=DIR)"
    lines = []
    w = lines.append
    w("## N-gram models: binary format, memory and queries against KenLM")
    w("")
    w(f"Made by `bench/bench_kenlm_query.py` on {made}; "
      f"load average before the run {load[0]}, after {load[1]} (a shared machine: the ratios "
      f"hold better than the absolute times). Medians of {args.reps} runs, lmlab and KenLM "
      "alternating. lmlab: `lmlab ngram eval --model RUN --data FILE --json` with "
      "OMP_NUM_THREADS=1 (KenLM's query is one thread), which reads `model.bin`, and "
      "`--arpa RUN/model.arpa` for the ARPA path; KenLM: `query -v summary MODEL < FILE` on "
      "`build_binary probing` of lmlab's own model.arpa (1.5 slots per entry, its default). "
      "Whole commands timed from the benchmark (wall) and by `/usr/bin/time` (CPU: user + "
      "system; RSS: its peak). Query speed with the model loaded is tokens / (whole command "
      "on the text - whole command on one sentence), for both tools; on a loaded machine the "
      "CPU-time rows wait less for their turn than the wall-clock ones. How the scoring loop "
      "works and where its time went: `docs/ngram.md`, the binary model.")
    w("")
    for info in infos:
        r = results[info["name"]]
        n = info["ngrams"]
        b_one, b_all, k_one, k_all = r["bin_one"], r["bin_all"], r["kl_one"], r["kl_all"]
        tok = med(b_all, "tokens")
        b_q = tok / max(med(b_all, "wall") - med(b_one, "wall"), 1e-9)
        b_c = tok / max(med(b_all, "cpu") - med(b_one, "cpu"), 1e-9)
        b = {"open": med(b_one, "wall"), "all": med(b_all, "wall"), "q": b_q, "qc": b_c,
             "allc": med(b_all, "cpu"),
             "file": info["bin_bytes"] / n, "rss": med(b_all, "rss_kb") * 1024 / n,
             "ppl": med(b_all, "ppl")}
        if kl:
            k_q = med(k_all, "tokens") / max(med(k_all, "wall") - med(k_one, "wall"), 1e-9)
            k_c = med(k_all, "tokens") / max(med(k_all, "cpu") - med(k_one, "cpu"), 1e-9)
            k = {"open": med(k_one, "wall"), "all": med(k_all, "wall"), "q": k_q, "qc": k_c,
                 "allc": med(k_all, "cpu"),
                 "file": info["probing_bytes"] / n, "rss": med(k_all, "rss_kb") * 1024 / n,
                 "ppl": med(k_all, "ppl")}
        counts = " ".join(f"{j + 1}={c:,}" for j, c in enumerate(info["counts"]))
        w(f"### {info['title']}")
        w("")
        w(f"{n:,} n-grams ({counts}); scored: {info['scored']}. Trained by "
          f"`{info['train_shown']}` in {info['train_wall']:.1f} s.")
        w("")
        w("| | lmlab model.bin | KenLM probing | lmlab ahead (above 1) or behind (below 1) |")
        w("|---|---:|---:|---:|")

        def row(label, key, show, lower_wins):
            if not kl:
                w(f"| {label} | {show(b[key])} | {nr} | |")
                return
            ratio = k[key] / b[key] if lower_wins else b[key] / k[key]
            w(f"| {label} | {show(b[key])} | {show(k[key])} | {ratio:.2f}x |")

        row("open the model, score one sentence (whole command)", "open",
            lambda x: f"{x:.3f} s", True)
        row("query, model loaded (tokens/s)", "q", fmt_rate, False)
        row("the same in CPU time (user + system)", "qc", fmt_rate, False)
        row("whole command on the text", "all", lambda x: f"{x:.3f} s", True)
        row("the same in CPU time (user + system)", "allc", lambda x: f"{x:.3f} s", True)
        row("file bytes per n-gram", "file", lambda x: f"{x:.1f}", True)
        row("peak RSS of that command, bytes per n-gram", "rss", lambda x: f"{x:.1f}", True)
        row("perplexity", "ppl", lambda x: f"{x:.6f}", True)
        w("")
        a_one, a_all = r["arpa_one"], r["arpa_all"]
        text = (f"lmlab's scoring loop alone (eval's own clock) runs at "
                f"{fmt_rate(tok / med(b_all, 'inner'))} tokens/s on model.bin and "
                f"{fmt_rate(tok / med(a_all, 'inner'))} on the double-valued tables of the "
                f"model read from model.arpa ({info['arpa_bytes'] / 1e6:.0f} MB; one run), "
                f"which opens and scores one sentence in {med(a_one, 'wall'):.3f} s "
                f"(perplexity {med(a_all, 'ppl'):.6f})")
        if kl:
            text += (f"; KenLM's query opens the ARPA file in {med(r['kla_one'], 'wall'):.3f} s, "
                     f"and its build_binary took {info['kenlm_build_wall']:.2f} s")
        w(text + ".")
        w("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kenlm", default=os.environ.get("KENLM", ""),
                    help="KenLM's bin folder (query, build_binary)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--from-json", action="store_true",
                    help="print the section again from the last run's results.json")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.from_json:
        with open(os.path.join(OUT, "results.json")) as f:
            j = json.load(f)
        print(section(args, j["infos"], j["results"], j["load"], j["made"]))
        return
    if args.kenlm and not os.access(os.path.join(args.kenlm, "query"), os.X_OK):
        sys.exit(f"bench: cannot run '{args.kenlm}/query'\n  hint: KENLM=DIR names the folder "
                 "of KenLM's binaries (query, build_binary)")
    shutil.copy2(bn.BUILT, LMLAB)
    bn.LMLAB = LMLAB  # bench_ngram's corpus maker runs lmlab tokenize
    bn.OUT = OUT
    load0 = os.getloadavg()[0]
    wdir = os.path.join(REPO, "build", "bench", "ngram", "word")
    bn.make_word_corpus(wdir)
    infos, results = [], {}
    one_dir = os.path.join(OUT, "one")
    os.makedirs(one_dir, exist_ok=True)

    # the word 5-gram on 10M tokens
    train = os.path.join(wdir, "train.txt")
    held = os.path.join(wdir, "heldout.txt")
    wopts = bn.WORD_OPTS
    run_dir = os.path.join(OUT, "word-kn5")
    cmd = [LMLAB, "ngram", "train", "--train", train, "--order", "5", "--smoothing", "kn",
           "--plot", "none", "--samples", "0"] + wopts
    info = prepare("word", cmd, run_dir, args.kenlm)
    info["title"] = "Word 5-gram, modified Kneser-Ney, 10M-token corpus"
    info["train_shown"] = "lmlab ngram train --order 5 --smoothing kn --tokenizer word"
    with open(held, encoding="utf-8") as f:
        first = f.readline()
    one = os.path.join(one_dir, "word.txt")
    with open(one, "w", encoding="utf-8") as f:
        f.write(first)
    sents = os.path.join(OUT, "word.sents")
    one_sents = os.path.join(OUT, "word.one.sents")
    sentences(held, sents, wopts)
    sentences(one, one_sents, wopts)
    results["word"] = measure(info, run_dir, held, sents, one, one_sents, wopts, args.kenlm,
                              args.reps)
    ntok = results["word"]["bin_all"][0]["tokens"]
    info["scored"] = f"the 1M-token held-out sample ({ntok:,} tokens)"
    infos.append(info)

    # the char 5-gram on tangpoems
    run_dir = os.path.join(OUT, "tang-kn5")
    copts = ["--tokenizer", "char"]
    cmd = [LMLAB, "ngram", "train", "--dataset", "tangpoems", "--order", "5", "--smoothing",
           "kn", "--plot", "none", "--samples", "0"]
    info = prepare("tang", cmd, run_dir, args.kenlm)
    info["title"] = "Char 5-gram, modified Kneser-Ney, tangpoems"
    info["train_shown"] = "lmlab ngram train --dataset tangpoems --order 5 --smoothing kn"
    # the test split ten times over: 47k tokens are scored faster than the clocks can tell
    test = os.path.join(OUT, "tang-test-x10.txt")
    with open(os.path.join(REPO, "datasets", "tangpoems", "test.txt"), encoding="utf-8") as f:
        split = f.read()
    with open(test, "w", encoding="utf-8") as f:
        f.write(split * 10)
    first = split.split("\n", 1)[0] + "\n"
    one = os.path.join(one_dir, "tang.txt")
    with open(one, "w", encoding="utf-8") as f:
        f.write(first)
    sents = os.path.join(OUT, "tang.sents")
    one_sents = os.path.join(OUT, "tang.one.sents")
    sentences(test, sents, copts)
    sentences(one, one_sents, copts)
    results["tang"] = measure(info, run_dir, test, sents, one, one_sents, copts, args.kenlm,
                              args.reps)
    ntok = results["tang"]["bin_all"][0]["tokens"]
    info["scored"] = f"the test split ten times over ({ntok:,} tokens)"
    infos.append(info)

    load = (f"{load0:.2f}", f"{os.getloadavg()[0]:.2f}")
    made = f"{datetime.date.today()}, {describe()}"
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"infos": infos, "results": results, "load": load, "made": made}, f, indent=1)
    print(section(args, infos, results, load, made))


if __name__ == "__main__":
    main()
