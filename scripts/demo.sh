#!/bin/sh
# demo.sh: what `make demo` runs: n-gram models of every order and smoothing on the names
# corpus, the perplexity table, samples, and charts under runs/.
set -e
cd "$(dirname "$0")/.."
say() { printf '\n== %s\n' "$*"; }

say "every order and smoothing on 'names' (valid picks the best, test reports it)"
./lmlab ngram sweep --dataset names --orders 1-6

say "the best kind of model, trained and evaluated on the test split"
./lmlab ngram train --dataset names --order 5 --smoothing kn --out runs/names-kn5 --quiet
./lmlab ngram eval --model runs/names-kn5 --split test

say "ten new names from it (temperature 0.8)"
./lmlab ngram generate --model runs/names-kn5 --count 10 --temperature 0.8 --seed 42

say "a character model of Tang poems (Chinese)"
./lmlab ngram train --dataset tangpoems --order 3 --smoothing kn --out runs/tangpoems-kn3 --quiet
./lmlab ngram generate --model runs/tangpoems-kn3 --count 4 --seed 7

say "charts"
ls runs/sweep-names/*.png runs/names-kn5/*.png runs/tangpoems-kn3/*.png 2>/dev/null || true
echo "open them, or redraw one in the terminal: gnuplot -e \"dumb=1\" runs/sweep-names/ppl_vs_order.gp"
