// loss.c: perplexity arithmetic shared by every evaluator.
#include "lab.h"

#include <math.h>

void lab_loss_add(LabLoss *l, double logp)
{
    l->tokens++;
    if (logp == -INFINITY) {
        l->zero++;
    } else {
        l->nats -= logp;
    }
}

double lab_loss_mean(const LabLoss *l)
{
    if (l->zero > 0) {
        return INFINITY;
    }
    return l->tokens ? l->nats / (double)l->tokens : NAN;
}

double lab_ppl(double loss)
{
    return exp(loss);
}

double lab_bits(double loss)
{
    return loss / M_LN2;
}

double lab_word_ppl(const LabLoss *l)
{
    if (l->zero > 0) {
        return INFINITY;
    }
    return l->words ? exp(l->nats / (double)l->words) : NAN;
}
