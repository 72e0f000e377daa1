// bind.c: chapter 01's exercises in the lab's place. `make run-student CH=01` links this file
// and your exercises.c into build/student/01-language-models/lmlab, a copy of ./lmlab in which
// the lab's unit conversions below are yours: every "bits" and "word ppl" that copy prints
// (`lmlab ngram eval`, `lmlab ngram sweep`) comes from ex_bits_per_token and
// ex_word_perplexity. Nothing here is an exercise.
#include "exercises.h"

#include <math.h>

#include "lab/lab.h"

double lab_bits(double loss)
{
    return ex_bits_per_token(loss);
}

double lab_word_ppl(const LabLoss *l)
{
    if (l->words == 0) {
        return NAN; // as the lab: no words, no word-level perplexity
    }
    // the lab keeps an impossible token as a count beside a finite total
    return ex_word_perplexity(l->zero > 0 ? INFINITY : l->nats, l->words);
}
