// gpt_lm.h: the GPT as a kind of the neural trainer (gpt_lm.c) and its command `lmlab gpt`
// (gpt_cli.c). The model itself is gpt.h; the trainer, evaluator and sampler are nn/lm.h's.
#ifndef TRANSFORMER_GPT_LM_H
#define TRANSFORMER_GPT_LM_H

#include "nn/lm.h"

extern const NnLmKind nn_lm_gpt; // a sequence kind (NN_LM_SEQUENCE) over the Gpt of gpt.h
extern const LabVerbs gpt_verbs; // lmlab gpt train | eval | generate | attention

// `lmlab gpt attention` (attention_cli.c): the attention maps of a trained run on a prompt
int gpt_cmd_attention(int argc, char **argv);

#endif
