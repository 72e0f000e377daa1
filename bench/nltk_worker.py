#!/usr/bin/python3
"""One NLTK measurement, in a process of its own so that its peak RSS is NLTK's alone.

    /usr/bin/python3 bench/nltk_worker.py --train TRAIN.tok --eval EVAL.tok --order N

TRAIN.tok and EVAL.tok are the output of `lmlab tokenize` (one escaped token a line, </s> at
each sequence end), so NLTK sees exactly the tokens lmlab counts. The model is
nltk.lm.Laplace with the lab's n-grams and the lab's V (see LabVocabulary). Prints one JSON
object on stdout: tokens, seconds of fit(), seconds of the logscore loop, total log2 score,
perplexity, and the peak RSS (KB) reached before fit().

What is timed, and what is not:
  fit      Laplace(order).fit(ngrams) with the vocabulary already built and the n-grams of
           every sequence already listed, so only NLTK's counting is timed (the n-gram
           extraction in Python is left out, which favours NLTK).
  eval     sum of lm.logscore(word, context) over every predicted token of EVAL, the
           (word, context) pairs listed beforehand.
"""

import argparse
import json
import math
import resource
import sys
import time
from collections import Counter

import nltk
from nltk.lm import Laplace, Vocabulary
from nltk.lm.counter import NgramCounter

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
_UNESC = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def unescape(tok):
    """Undo lmlab tokenize's escapes (\\s space, \\n, \\t, \\r, \\xHH, \\\\ backslash).

    A reserved name that occurs as a corpus token ("\\<s>") keeps its backslash, so it
    stays distinct from the pad symbol, as it does in lmlab.
    """
    if "\\" not in tok:
        return tok
    out = []
    i = 0
    while i < len(tok):
        c = tok[i]
        if c == "\\" and i + 1 < len(tok) and tok[i + 1] in _UNESC:
            out.append(_UNESC[tok[i + 1]])
            i += 2
        elif c == "\\" and tok[i + 1:i + 2] == "x" and len(tok) >= i + 4:
            out.append(chr(int(tok[i + 2:i + 4], 16)))
            i += 4
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_tokens(path):
    """Sequences of raw tokens from `lmlab tokenize` output (</s> ends a sequence)."""
    seqs, cur = [], []
    with open(path, encoding="utf-8", newline="\n") as f:
        for line in f:
            tok = line[:-1] if line.endswith("\n") else line
            if tok == EOS:
                seqs.append(cur)
                cur = []
            else:
                cur.append(unescape(tok))
    if cur:
        seqs.append(cur)
    return seqs


class LabVocabulary(Vocabulary):
    """nltk.lm.Vocabulary whose len() is the lab's V: kept types + </s> + <unk>, not <s>.

    <s> stays a member so padded contexts are looked up as themselves (not as <unk>), but
    it is never predicted, so Laplace's denominator must not count it. The same subclass as
    tests/fixtures/make_fixtures.py.
    """

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._lab_len = sum(1 for w in self if w != BOS)

    def __len__(self):
        return self._lab_len


def lab_ngrams(seq, order):
    """Every n-gram of order 1..order ending at a predicted token, left pads <s>."""
    toks = [BOS] * (order - 1) + seq + [EOS]
    return [tuple(toks[i - k + 1:i + 1])
            for i in range(order - 1, len(toks)) for k in range(1, order + 1)]


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--order", type=int, required=True)
    args = ap.parse_args()
    order = args.order
    rss_import = peak_rss_kb()

    train = read_tokens(args.train)
    evals = read_tokens(args.eval)
    vcounts = Counter(t for s in train for t in s)
    vcounts[EOS] += len(train)
    vcounts[BOS] += len(train)
    vocab = LabVocabulary(vcounts, unk_cutoff=1, unk_label=UNK)
    ngrams = [lab_ngrams(s, order) for s in train]
    train_tokens = sum(len(s) + 1 for s in train)
    pairs = []
    for s in evals:
        toks = [BOS] * (order - 1) + s + [EOS]
        for i in range(order - 1, len(toks)):
            pairs.append((toks[i], tuple(toks[i - order + 1:i])))
    rss_before_fit = peak_rss_kb()

    lm = Laplace(order, vocabulary=vocab, counter=NgramCounter())
    t0 = time.perf_counter()
    lm.fit(ngrams)
    t1 = time.perf_counter()
    del ngrams

    logscore = lm.logscore
    total = 0.0
    t2 = time.perf_counter()
    for word, context in pairs:
        total += logscore(word, context)
    t3 = time.perf_counter()

    n = len(pairs)
    json.dump({
        "nltk_version": nltk.__version__,
        "order": order,
        "train_tokens": train_tokens,
        "train_sequences": len(train),
        "vocab": len(vocab),
        "seconds_fit": t1 - t0,
        "fit_tokens_per_s": train_tokens / (t1 - t0),
        "eval_tokens": n,
        "seconds_eval": t3 - t2,
        "eval_tokens_per_s": n / (t3 - t2),
        "log2_total": total,
        "nats": -total * math.log(2),
        "ppl": 2.0 ** (-total / n),
        "rss_after_import_kb": rss_import,
        "rss_before_fit_kb": rss_before_fit,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
