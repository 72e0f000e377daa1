// check.c: the tests of chapter 01's exercises. Run them with `make check CH=01`.
//
// One test per exercise. Each first compares your function with values computed by hand
// (and says what you might have missed when a known mistake gives the wrong value), then
// with the lab's own perplexity arithmetic (lab/loss.c) on random inputs drawn with a fixed
// seed, so a failure repeats exactly. Every test runs in its own process with a time limit:
// a crash or an endless loop in one exercise fails that exercise only.
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exercises.h"
#include "lab/lab.h"

#define CHECK_TOL 1e-9  // relative tolerance of every comparison
#define CHECK_FLOOR 0.0 // purely relative
#include "chapters/check.h" // agree, EXPECT, Mistake, hint_for, show2, N_OF, uniform_in

#define NRANDOM 500  // random cases per exercise
#define MAXN 40      // tokens per random case

// --- comparing and reporting ------------------------------------------------------------------

// "{0.5, 0.25, 0.125}", eliding the middle of long arrays
static const char *show_array(char *buf, size_t size, const double *p, int n)
{
    size_t used = (size_t)snprintf(buf, size, "{");
    for (int i = 0; i < n && used < size; i++) {
        if (n > 8 && i == 4) {
            used += (size_t)snprintf(buf + used, size - used, "... %d more ..., ", n - 8);
            i = n - 4;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%.6g", i ? ", " : "", p[i]);
    }
    if (used < size) {
        snprintf(buf + used, size - used, "}");
    }
    return buf;
}


// --- the lab's implementation, for the random comparisons ---------------------------------------

static LabLoss lab_score(const double *p, int n)
{
    LabLoss l = {0};
    for (int i = 0; i < n; i++) {
        lab_loss_add(&l, p[i] > 0 ? log(p[i]) : -INFINITY);
    }
    return l;
}

// n in 1..MAXN probabilities in (0, 1]; about one case in eight holds a 0 and one in eight a 1
static int random_probs(LabRng *rng, double *p)
{
    int n = 1 + (int)lab_rng_below(rng, MAXN);
    for (int i = 0; i < n; i++) {
        p[i] = 1.0 - lab_rng_uniform(rng); // (0, 1]
    }
    if (lab_rng_below(rng, 8) == 0) {
        p[lab_rng_below(rng, (uint64_t)n)] = 0.0;
    }
    if (lab_rng_below(rng, 8) == 0) {
        p[lab_rng_below(rng, (uint64_t)n)] = 1.0;
    }
    return n;
}

// --- 1. the chain rule ------------------------------------------------------------------------

Test(ch01, ex01_sentence_logprob, .timeout = 10)
{
    char a[1024];
    const double two[] = {0.5, 0.25};
    const Mistake m_two[] = {
        {0.125, "that is the probability itself: return its natural log (a number <= 0)"},
        {-3.0, "that is log2: use log(), the natural logarithm (nats, not bits)"},
        {-0.90309, "that is log10: use log(), the natural logarithm"},
        {2.0794415416798357, "mind the sign: ln of a probability is <= 0"},
        {-0.75, "add the logs of the probabilities, not the probabilities"},
    };
    EXPECT(ex_sentence_logprob(two, 2), log(0.125),
           hint_for(ex_sentence_logprob(two, 2), m_two, N_OF(m_two),
                    "ln P(w1 w2) = ln P(w1) + ln P(w2 | w1) = ln 0.5 + ln 0.25"),
           "ex_sentence_logprob(cond = %s, n = 2)", show_array(a, sizeof a, two, 2));

    const double one[] = {0.3};
    EXPECT(ex_sentence_logprob(one, 1), log(0.3), "one token: the sum has one term, ln 0.3",
           "ex_sentence_logprob(cond = {0.3}, n = 1)");

    const double sure[] = {1.0, 1.0, 1.0};
    EXPECT(ex_sentence_logprob(sure, 3), 0.0, "every token certain: ln 1 + ln 1 + ln 1 = 0",
           "ex_sentence_logprob(cond = {1, 1, 1}, n = 3)");

    const double zero[] = {0.5, 0.0, 0.5};
    EXPECT(ex_sentence_logprob(zero, 3), -INFINITY,
           "a token of probability 0 makes the sentence impossible: ln 0 = -INFINITY "
           "(log(0.0) gives it; do not skip the token)",
           "ex_sentence_logprob(cond = {0.5, 0, 0.5}, n = 3)");

    // 1000 tokens of probability 0.001: the product, 1e-3000, is far below the smallest double
    static double longp[1000];
    for (int i = 0; i < 1000; i++) {
        longp[i] = 0.001;
    }
    EXPECT(ex_sentence_logprob(longp, 1000), 1000 * log(0.001),
           "did you multiply the probabilities and take the log at the end? The product "
           "(1e-3000) underflows to 0 in a double; add the logs instead",
           "ex_sentence_logprob(cond = 1000 tokens of probability 0.001, n = 1000)");

    LabRng rng;
    lab_rng_seed(&rng, 101);
    double p[MAXN];
    for (int c = 0; c < NRANDOM; c++) {
        int n = random_probs(&rng, p);
        LabLoss l = lab_score(p, n);
        EXPECT(ex_sentence_logprob(p, n), l.zero ? -INFINITY : -l.nats,
               "the lab adds ln p of every token (lab_loss_add in lab/loss.c); compare your "
               "loop with it on this input",
               "random case %d: ex_sentence_logprob(cond = %s, n = %d)", c,
               show_array(a, sizeof a, p, n), n);
    }
}

// --- 2. the loss --------------------------------------------------------------------------------

Test(ch01, ex02_mean_loss, .timeout = 10)
{
    char a[1024];
    const double p3[] = {0.5, 0.25, 0.125};
    double want = 2 * M_LN2;
    const Mistake m3[] = {
        {-want, "mind the sign: the loss is the mean of -ln p, a number >= 0"},
        {3 * want, "divide the sum by n: the loss is a mean, in nats per token"},
        {2.0, "that is in bits (log2): the loss is in nats, use log()"},
        {0.0, "did you divide two integers (1/n is 0 in C when both are ints)? use 1.0 / n"},
    };
    EXPECT(ex_mean_loss(p3, 3), want,
           hint_for(ex_mean_loss(p3, 3), m3, N_OF(m3),
                    "loss = -(ln 0.5 + ln 0.25 + ln 0.125) / 3 = 2 ln 2"),
           "ex_mean_loss(p = %s, n = 3)", show_array(a, sizeof a, p3, 3));

    double unif[28];
    for (int i = 0; i < 28; i++) {
        unif[i] = 1.0 / 28;
    }
    EXPECT(ex_mean_loss(unif, 28), log(28.0),
           "a uniform model over 28 tokens: every token costs ln 28 nats",
           "ex_mean_loss(p = 28 tokens of probability 1/28, n = 28)");

    const double sure[] = {1.0, 1.0};
    EXPECT(ex_mean_loss(sure, 2), 0.0, "a model sure of every token it sees has loss 0",
           "ex_mean_loss(p = {1, 1}, n = 2)");

    const double zero[] = {0.9, 0.0, 0.8, 0.7};
    EXPECT(ex_mean_loss(zero, 4), INFINITY,
           "one token of probability 0 makes the loss +INFINITY (-ln 0 = +inf); that is how "
           "maximum likelihood fails on text it never saw. Do not skip the token",
           "ex_mean_loss(p = {0.9, 0, 0.8, 0.7}, n = 4)");

    LabRng rng;
    lab_rng_seed(&rng, 102);
    double p[MAXN];
    for (int c = 0; c < NRANDOM; c++) {
        int n = random_probs(&rng, p);
        LabLoss l = lab_score(p, n);
        EXPECT(ex_mean_loss(p, n), lab_loss_mean(&l),
               "the lab's loss is lab_loss_mean in lab/loss.c: total nats / tokens, "
               "+INFINITY if any p is 0",
               "random case %d: ex_mean_loss(p = %s, n = %d)", c, show_array(a, sizeof a, p, n), n);
    }
}

// --- 3. perplexity ------------------------------------------------------------------------------

Test(ch01, ex03_perplexity, .timeout = 10)
{
    char a[1024];
    const double p3[] = {0.5, 0.25, 0.125};
    const Mistake m3[] = {
        {0.25, "mind the sign: ppl = exp(-(1/n) sum ln p), which is >= 1"},
        {exp(2.0), "exp of a loss in bits: take the loss in nats (log), or use exp2 with log2"},
        {14.0 / 3, "that is the mean of 1/p; perplexity is exp(mean of -ln p), the inverse "
                   "of the geometric mean"},
        {2 * M_LN2, "that is the loss: perplexity is exp(loss)"},
        {64.0, "divide the sum of -ln p by n before exp"},
        {1.0, "did you divide two integers (1/n is 0 in C when both are ints)? use 1.0 / n"},
    };
    EXPECT(ex_perplexity(p3, 3), 4.0,
           hint_for(ex_perplexity(p3, 3), m3, N_OF(m3),
                    "ppl = exp(-(ln 0.5 + ln 0.25 + ln 0.125) / 3) = exp(2 ln 2) = 4"),
           "ex_perplexity(p = %s, n = 3)", show_array(a, sizeof a, p3, 3));

    double unif[28];
    for (int i = 0; i < 28; i++) {
        unif[i] = 1.0 / 28;
    }
    EXPECT(ex_perplexity(unif, 28), 28.0,
           "a uniform model over V = 28 tokens has perplexity exactly V",
           "ex_perplexity(p = 28 tokens of probability 1/28, n = 28)");

    const double sure[] = {1.0, 1.0, 1.0};
    EXPECT(ex_perplexity(sure, 3), 1.0, "a model sure and right about every token has perplexity 1",
           "ex_perplexity(p = {1, 1, 1}, n = 3)");

    const double zero[] = {0.5, 0.0};
    EXPECT(ex_perplexity(zero, 2), INFINITY,
           "a token of probability 0 makes the loss, and so the perplexity, +INFINITY",
           "ex_perplexity(p = {0.5, 0}, n = 2)");

    LabRng rng;
    lab_rng_seed(&rng, 103);
    double p[MAXN];
    for (int c = 0; c < NRANDOM; c++) {
        int n = random_probs(&rng, p);
        LabLoss l = lab_score(p, n);
        EXPECT(ex_perplexity(p, n), lab_ppl(lab_loss_mean(&l)),
               "the lab computes exp(lab_loss_mean(...)) (lab/loss.c)",
               "random case %d: ex_perplexity(p = %s, n = %d)", c, show_array(a, sizeof a, p, n),
               n);
    }
}

// --- 4. bits per token --------------------------------------------------------------------------

Test(ch01, ex04_bits_per_token, .timeout = 10)
{
    double loss = log(8.0);
    const Mistake m[] = {
        {loss * M_LN2, "divide by ln 2, do not multiply"},
        {log2(loss), "not log2 of the loss: a loss in nats becomes bits by dividing by ln 2"},
        {loss / log(10.0), "divide by ln 2 (log(2.0)), not ln 10"},
    };
    EXPECT(ex_bits_per_token(loss), 3.0,
           hint_for(ex_bits_per_token(loss), m, N_OF(m), "bits = loss / ln 2 = ln 8 / ln 2 = 3"),
           "ex_bits_per_token(loss = ln 8 = %.6g nats)", loss);
    EXPECT(ex_bits_per_token(M_LN2), 1.0, "ln 2 nats are exactly one bit",
           "ex_bits_per_token(loss = ln 2 = %.6g nats)", M_LN2);
    EXPECT(ex_bits_per_token(log(28.0)), log2(28.0),
           "a uniform model over 28 tokens: log2 28 = 4.807 bits per token",
           "ex_bits_per_token(loss = ln 28 = %.6g nats)", log(28.0));
    EXPECT(ex_bits_per_token(0.0), 0.0, "a loss of 0 nats is 0 bits",
           "ex_bits_per_token(loss = 0)");
    EXPECT(ex_bits_per_token(INFINITY), INFINITY, "an infinite loss is infinite in bits too",
           "ex_bits_per_token(loss = inf)");

    LabRng rng;
    lab_rng_seed(&rng, 104);
    for (int c = 0; c < NRANDOM; c++) {
        double x = 10.0 * lab_rng_uniform(&rng);
        EXPECT(ex_bits_per_token(x), lab_bits(x), "the lab computes loss / M_LN2 (lab_bits)",
               "random case %d: ex_bits_per_token(loss = %.17g)", c, x);
    }
}

// --- 5. word-level perplexity -------------------------------------------------------------------

Test(ch01, ex05_word_perplexity, .timeout = 10)
{
    const Mistake m[] = {
        {exp(2.0) / 5, "take exp of the mean, not the mean of exp"},
        {2.0, "that is nats per word: the perplexity is exp of it"},
        {exp(10.0), "divide the total nats by the number of words"},
    };
    EXPECT(ex_word_perplexity(10.0, 5), exp(2.0),
           hint_for(ex_word_perplexity(10.0, 5), m, N_OF(m),
                    "word ppl = exp(total_nats / words) = exp(10 / 5) = e^2"),
           "ex_word_perplexity(total_nats = 10, words = 5)");
    // 7 nats over 2 words: exp(3.5); an integer division 7 / 2 would give exp(3)
    const Mistake m72[] = {
        {exp(3.0), "7 / 2 became 3: an integer division; divide as doubles"},
    };
    EXPECT(ex_word_perplexity(7.0, 2), exp(3.5),
           hint_for(ex_word_perplexity(7.0, 2), m72, N_OF(m72), "exp(7 / 2) = exp(3.5)"),
           "ex_word_perplexity(total_nats = 7, words = 2)");
    // a char model: 30 tokens, each of probability 1/2, in a text of 3 words
    EXPECT(ex_word_perplexity(30 * M_LN2, 3), 1024.0,
           "30 tokens at ln 2 nats each over 3 words: exp(10 ln 2) = 1024 per word; "
           "use all the nats of the text, not the mean per token",
           "ex_word_perplexity(total_nats = 30 ln 2 = %.6g, words = 3)", 30 * M_LN2);
    EXPECT(ex_word_perplexity(INFINITY, 3), INFINITY,
           "an infinite total (a token of probability 0) gives an infinite perplexity",
           "ex_word_perplexity(total_nats = inf, words = 3)");

    LabRng rng;
    lab_rng_seed(&rng, 105);
    for (int c = 0; c < NRANDOM; c++) {
        long long words = 1 + (long long)lab_rng_below(&rng, 5000);
        double nats = (double)words * 12.0 * lab_rng_uniform(&rng);
        LabLoss l = {.nats = nats, .words = words};
        EXPECT(ex_word_perplexity(nats, words), lab_word_ppl(&l),
               "the lab computes exp(nats / words) (lab_word_ppl in lab/loss.c)",
               "random case %d: ex_word_perplexity(total_nats = %.17g, words = %lld)", c, nats,
               words);
    }
}

// --- 6. open: answers read off the lab ------------------------------------------------------------

// The accepted answers come from running the lab (README.md, sections 2 and 3):
// `lmlab tokenize --dataset names --counts` lists the 26 letters, </s> and <unk> as the tokens
// a model predicts, and `lmlab ngram eval --model runs/names-kn4 --split valid` printed
// `bits 2.948913 bits/token`. The range around it leaves room for a student who rounds and
// for small changes in how the lab pads sentences.
Test(ch01, ex06_open_answers_read_off_the_lab, .timeout = 10)
{
    double v = ex_open_uniform_ppl();
    const Mistake mv[] = {
        {0.0, "run `./lmlab tokenize --dataset names --counts` and count the tokens a model "
              "can predict"},
        {26.0, "26 letters, but a model also predicts the end of a name, and <unk>"},
        {27.0, "one token short: </s> and <unk> are both predicted (section 2)"},
        {29.0, "one too many: <s> is context only, never predicted"},
        {1.0 / 28, "that is the probability of each token; perplexity is its inverse"},
        {log(28.0), "that is the loss of the uniform model; perplexity is exp(loss)"},
    };
    EXPECT(v, 28.0,
           hint_for(v, mv, N_OF(mv), "a uniform model over V tokens has perplexity V: what is V?"),
           "ex_open_uniform_ppl()");

    double b = ex_open_kn4_bits();
    if (!(b >= 2.90 && b <= 3.00)) {
        const char *why = "read the line `bits` of `./lmlab ngram eval --model runs/names-kn4 "
                          "--split valid`";
        if (fabs(b - 2.045) < 0.02) {
            why = "that is the loss in nats: the lab also prints it in bits";
        } else if (fabs(b - 7.73) < 0.1) {
            why = "that is the perplexity: the exercise asks for bits per character";
        } else if (fabs(b - 2.79) < 0.03) {
            why = "that is the train split: evaluate on valid (--split valid)";
        } else if (fabs(b - 2.95) < 0.2) {
            why = "close: is it the 4-gram Kneser-Ney model, on the valid split?";
        }
        cr_assert_fail("ex_open_kn4_bits() = %g, expected about 2.95 (2.90 to 3.00)\n%s", b, why);
    }
}
