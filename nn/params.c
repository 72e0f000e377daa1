// params.c: a model's tensor table laid out in one flat float block.
//
// The table is the one place a model names its tensors: the layout gives each an offset, and
// initialisation, the decay mask, checkpoints and test labels all loop over it in table order.
#include "nn/nn.h"

#include <stdlib.h>
#include <string.h>

// A block this large (4 TiB of float32) is a mistake in a table, not a model.
#define NN_MAX_PARAMS ((size_t)1 << 40)

size_t nn_tensor_numel(const NnTensorSpec *t)
{
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++) {
        n *= (size_t)t->shape[d];
    }
    return n;
}

int nn_params_layout(NnParams *p, const NnTensorSpec *spec, int n)
{
    memset(p, 0, sizeof *p);
    if (n <= 0) {
        return lab_error("a tensor table needs at least one tensor");
    }
    size_t *offset = lab_malloc((size_t)(n + 1) * sizeof *offset);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        const NnTensorSpec *t = &spec[i];
        if (!t->name || !*t->name) {
            lab_error("tensor %d of the table has no name", i);
            goto fail;
        }
        for (int j = 0; j < i; j++) {
            if (strcmp(spec[j].name, t->name) == 0) {
                lab_error("tensor '%s' appears twice in the table", t->name);
                goto fail;
            }
        }
        if (t->ndim < 1 || t->ndim > NN_MAX_NDIM) {
            lab_error("tensor '%s' has %d dimensions (1 to %d allowed)", t->name, t->ndim,
                      NN_MAX_NDIM);
            goto fail;
        }
        size_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] <= 0) {
                lab_error("tensor '%s' has dimension %d of size %d", t->name, d, t->shape[d]);
                goto fail;
            }
            // each factor is below 2^31 and the product so far at most 2^40: no overflow
            numel *= (size_t)t->shape[d];
            if (numel > NN_MAX_PARAMS) {
                break;
            }
        }
        if (numel > NN_MAX_PARAMS || total + numel > NN_MAX_PARAMS) {
            lab_error("tensor '%s' takes the table beyond 2^40 floats", t->name);
            goto fail;
        }
        offset[i] = total;
        total += numel;
    }
    offset[n] = total;
    p->spec = spec;
    p->n = n;
    p->offset = offset;
    p->total = total;
    return 0;
fail:
    free(offset);
    return -1;
}

void nn_params_free(NnParams *p)
{
    free(p->offset);
    memset(p, 0, sizeof *p);
}

int nn_params_find(const NnParams *p, const char *name)
{
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->spec[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

float *nn_params_view(const NnParams *p, float *block, const char *name)
{
    int i = nn_params_find(p, name);
    return i < 0 ? NULL : block + p->offset[i];
}

void nn_params_decay_mask(const NnParams *p, uint8_t *mask)
{
    for (int i = 0; i < p->n; i++) {
        memset(mask + p->offset[i], p->spec[i].decay ? 1 : 0, p->offset[i + 1] - p->offset[i]);
    }
}

void nn_params_init(const NnParams *p, float *block, LabRng *rng)
{
    for (int i = 0; i < p->n; i++) {
        const NnTensorSpec *t = &p->spec[i];
        int fan_in = t->fan_in ? t->fan_in : t->shape[t->ndim - 1];
        int fan_out = t->fan_out ? t->fan_out : t->shape[0];
        nn_init_fill(block + p->offset[i], p->offset[i + 1] - p->offset[i], t->init, fan_in,
                     fan_out, rng);
    }
}
