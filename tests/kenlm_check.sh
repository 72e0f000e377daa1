#!/bin/sh
# kenlm_check.sh: KenLM reads lmlab's ARPA files and gives the perplexity lmlab gives.
#
#   make && sh tests/kenlm_check.sh KENLM_BIN_DIR      (or: make kenlm-check KENLM=DIR)
#
# KENLM_BIN_DIR holds KenLM's query, build_binary and lmplz, built outside the repository
# (KenLM is not a Debian package, so `make test` does not run this; the suite checks the same
# files with tests/fixtures/arpa_score.py). For each model (names char kn 5 and laplace 3,
# timemachine word kn 3, timemachine bpe kn 4, tangpoems kn 3 with timemachine's BPE) it
# trains with lmlab, then compares `lmlab ngram eval --json` on
# the test split with
#   - query on lmlab's model.arpa,
#   - query on the binary that build_binary makes from it,
#   - for kn, query on lmplz's own model of the same order from the same training text,
#     against `lmlab ngram eval --arpa` on that file.
# query reads one sentence of space-separated tokens per line (`lmlab tokenize --unit line`,
# </s> dropped: query adds <s> and </s> itself). Every perplexity must equal lmlab's to 1e-6
# relative. Prints a table; exits 1 on a mismatch, 2 on usage.
set -eu

usage() {
    echo "usage: sh tests/kenlm_check.sh KENLM_BIN_DIR" >&2
    echo "  hint: the directory with KenLM's query, build_binary and lmplz (kenlm/build/bin)" >&2
    exit 2
}
[ $# -eq 1 ] || usage
bin=$1
for tool in query build_binary lmplz; do
    if [ ! -x "$bin/$tool" ]; then
        echo "lmlab: cannot run '$bin/$tool': no such executable" >&2
        echo "  hint: build KenLM with cmake, then 'make query build_binary lmplz'" >&2
        exit 2
    fi
done
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac

cd "$(dirname "$0")/.."
LMLAB=${LMLAB:-./lmlab}
if [ ! -x "$LMLAB" ]; then
    echo "lmlab: cannot run '$LMLAB': no such executable" >&2
    echo "  hint: run 'make' first" >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TOL=1e-6
fail=0

# sentences: tokens of a line joined by spaces, </s> dropped (query adds it)
sentences() {
    "$LMLAB" tokenize "$@" --unit line |
        awk '$0 == "</s>" { print line; line = ""; next } { line = line == "" ? $0 : line " " $0 }'
}

# the perplexity ("ppl") in a `lmlab ngram eval --json` object
json_ppl() {
    sed -n 's/.*"ppl": *\([-+0-9.eE]*\).*/\1/p'
}

# query's "Perplexity including OOVs"
query_ppl() {
    "$bin/query" -v summary "$1" <"$2" 2>"$tmp/query.err" |
        sed -n 's/^Perplexity including OOVs:[[:space:]]*//p'
}

# one table row: model, file, lmlab's perplexity, KenLM's; marks a mismatch
row() {
    if [ -z "$3" ] || [ -z "$4" ]; then
        printf '%-22s %-16s %14s %14s %9s  FAILED (no perplexity)\n' "$1" "$2" "$3" "$4" "-"
        fail=1
        return
    fi
    # the test on the full values; the table shows 11 significant digits
    ok=$(awk -v a="$3" -v b="$4" -v t="$TOL" \
        'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= t * a) ? "ok" : "FAILED" }')
    awk -v m="$1" -v f="$2" -v a="$3" -v b="$4" -v ok="$ok" 'BEGIN { d = a - b; if (d < 0) d = -d
        printf "%-22s %-16s %14.11g %14.11g %9.1e  %s\n", m, f, a, b, d / a, ok }'
    [ "$ok" = ok ] || fail=1
}

# shellcheck disable=SC2086 # $textopts is a list of options, split on purpose
one() { # name, dataset, text options, then train options
    name=$1 dataset=$2 textopts=$3
    shift 3
    order=$(echo "$@" | sed -n 's/.*--order \([0-9]*\).*/\1/p')
    run=$tmp/$name
    "$LMLAB" ngram train --dataset "$dataset" $textopts "$@" --out "$run" --plot none --quiet \
        --samples 0 >/dev/null
    sentences --dataset "$dataset" --split test $textopts >"$tmp/$name.test"
    sentences --dataset "$dataset" --split train $textopts >"$tmp/$name.train"
    ours=$("$LMLAB" ngram eval --model "$run" --split test --json | json_ppl)
    row "$name" "model.arpa" "$ours" "$(query_ppl "$run/model.arpa" "$tmp/$name.test")"
    "$bin/build_binary" "$run/model.arpa" "$tmp/$name.binary" >"$tmp/build.log" 2>&1 || {
        cat "$tmp/build.log" >&2
        echo "lmlab: build_binary refused '$run/model.arpa'" >&2
        fail=1
    }
    row "$name" "build_binary" "$ours" "$(query_ppl "$tmp/$name.binary" "$tmp/$name.test")"
    case " $* " in *" kn "*)
        "$bin/lmplz" -o "$order" --discount_fallback -S 100M -T "$tmp" <"$tmp/$name.train" \
            >"$tmp/$name.lmplz.arpa" 2>"$tmp/lmplz.log" || {
            cat "$tmp/lmplz.log" >&2
            echo "lmlab: lmplz failed on '$name'" >&2
            fail=1
        }
        theirs=$("$LMLAB" ngram eval --arpa "$tmp/$name.lmplz.arpa" $textopts \
            --data "datasets/$dataset/test.txt" --json | json_ppl)
        row "$name" "lmplz -o $order" "$theirs" \
            "$(query_ppl "$tmp/$name.lmplz.arpa" "$tmp/$name.test")"
        ;;
    esac
}

printf '%-22s %-16s %14s %14s %9s\n' model "file" "lmlab ppl" "query ppl" "rel diff"
one names-kn5 names "--tokenizer char" --order 5 --smoothing kn
one names-laplace3 names "--tokenizer char" --order 3 --smoothing laplace
one timemachine-word-kn3 timemachine "--tokenizer word --lowercase" --order 3 --smoothing kn
# BPE tokens spelled by GPT-2's byte-to-unicode map (no whitespace in a token)
"$LMLAB" tokenize --tokenizer bpe --train-vocab 512 --dataset timemachine --out "$tmp/bpe" \
    >/dev/null
one timemachine-bpe-kn4 timemachine "--tokenizer bpe --bpe $tmp/bpe" --order 4 --smoothing kn
one tangpoems-bpe-kn3 tangpoems "--tokenizer bpe --bpe $tmp/bpe" --order 3 --smoothing kn
if [ "$fail" -ne 0 ]; then
    echo "lmlab: KenLM and lmlab disagree (tolerance $TOL relative)" >&2
    exit 1
fi
echo "every perplexity agrees to $TOL relative"
