// lm.h: what the neural trainer, evaluator and sampler need from a language model, and the
// pieces the commands `lmlab mlp|rnn train|eval|generate` share.
//
//   NnLmKind   one row a model family: its options, and forward / backward / zero_grad /
//              next-token logits / state reset over the model's own struct (nn/lm.c: the MLP
//              and the recurrent model, RNN, LSTM or GRU; transformer/gpt_lm.c: the GPT)
//   NnLm       one model of a kind: its tensor table, its parameter and gradient blocks
//   scoring    every predicted token of a corpus under the sentence convention (nn_lm_score)
//   sampling   one sequence drawn token by token through the shared sampler (nn_lm_generate)
//   runs       a trained run directory read back: config, tokenizer, vocabulary, weights
//
// The trainer (train.c), the evaluator (eval.c) and the command table (cli.c) only see this
// face, so the recurrent model is a second NnLmKind and the GPT a third. Left out: the
// training loop itself (train.c) and the layers (nn.h).
#ifndef NN_LM_H
#define NN_LM_H

#include "datasets/datasets.h"
#include "nn/nn.h"

// --- the model interface --------------------------------------------------------------------

// The model options of every kind, as the option tables hold them (longs for LAB_OPT_INT).
// A kind reads the fields it names and ignores the others.
typedef struct {
    long context; // mlp: tokens of context (n); gpt: T, the longest sequence it reads
    long embed;   // E: embedding size per token
    long hidden;  // H: hidden units (rnn: of every layer)
    int cell;     // rnn: NnCell, an index into NN_CELL_CHOICES
    long layers;  // rnn: L stacked recurrent layers; gpt: L blocks
    long seq;     // rnn: T steps a training sequence (the truncation of BPTT)
    int batching; // rnn: BatchScheme, an index into NN_BATCHING_CHOICES; gpt: an index into
                  // NN_SEQ_BATCHING_CHOICES
    long heads;     // gpt: NH attention heads (context and layers above: T and L)
    long width;     // gpt: C channels of the residual stream, a multiple of heads
    double dropout; // gpt: dropout probability in training, in [0, 0.9]
    int pos;        // gpt: GptPos, an index into NN_POS_CHOICES
    int gelu;       // gpt: GptGelu, an index into NN_GELU_CHOICES
} NnLmHyper;

#define NN_CELL_CHOICES "rnn|lstm|gru"            // index == NnCell
#define NN_BATCHING_CHOICES "random|sequential" // index == BatchScheme
#define NN_SEQ_BATCHING_CHOICES "lines|random" // gpt: index == NN_SEQ_LINES, NN_SEQ_RANDOM
enum { NN_SEQ_LINES, NN_SEQ_RANDOM }; // a sequence kind's batching: BATCH_LINES, BATCH_RANDOM
#define NN_POS_CHOICES "learned|sinusoidal"    // index == GptPos
#define NN_GELU_CHOICES "exact|tanh"           // index == GptGelu

// How a kind reads text, which decides how it is batched, scored and sampled.
typedef enum {
    NN_LM_WINDOW,    // a window of T tokens predicts the next (MLP examples)
    NN_LM_RECURRENT, // a hidden state carried along the sequence (sequence batches)
    NN_LM_SEQUENCE,  // every position of a sequence of T tokens predicts its next at once, no
                     // state between batches (batches of lines from their <s>, or random
                     // subsequences of a stream; scored in windows)
} NnLmMode;

typedef struct NnLm NnLm;
struct NnTrainOpts;

// Most option-table entries a kind adds (NnLmKind.opts).
#define NN_LM_MAX_OPTS 8

typedef struct {
    const char *family;   // "mlp": the command family, the run's config "family"
    const char *what;     // "an MLP language model": for messages
    NnLmMode mode;
    NnLmHyper defaults;   // what a student gets without options
    long steps;           // the default of --steps (0: the trainer's, 20000)
    // The kind's own defaults of the trainer's options, written over the trainer's in o (an
    // NnTrainOpts) before the command line is read; NULL: the trainer's.
    void (*train_defaults)(struct NnTrainOpts *o);
    // Writes the kind's option-table entries for h into out (at most NN_LM_MAX_OPTS) and
    // returns their count. The names are the config keys, so a run's config is held to the
    // command line's ranges (lab_config_apply).
    int (*opts)(NnLmHyper *h, LabOpt *out);
    // "context 3, embed 10, hidden 200": for reports and chart titles
    void (*describe)(const NnLmHyper *h, char *buf, size_t cap);
    // the number of parameters of a model with options h and vocabulary V (checked against a
    // checkpoint's size before anything is allocated)
    double (*params)(const NnLmHyper *h, int V);
    // Builds lm->model for vocabulary V, batches of B rows (and T steps when recurrent or
    // sequence), parameters zero. -1 with a message.
    int (*init)(NnLm *lm, const NnLmHyper *h, int V, int B, int T);
    void (*free)(NnLm *lm);
    void (*init_weights)(NnLm *lm, LabRng *rng);
    // One batch of B rows: inputs (B, T) ids (mlp: B contexts of T tokens, oldest first),
    // targets (B) (recurrent and sequence: (B, T), -1 not counted); returns the mean loss in
    // nats over the counted targets, keeps what backward needs. A training step: a sequence
    // kind applies its dropout, drawn from lm->step_seed.
    double (*forward)(NnLm *lm, const int32_t *inputs, const int32_t *targets);
    void (*zero_grad)(NnLm *lm);
    // ACCUMULATES the gradient of the last forward's mean loss into lm->grad
    void (*backward)(NnLm *lm);
    // Starts every lane afresh (recurrent: zero state); nothing for a window model.
    void (*reset_state)(NnLm *lm);
    // Starts lane r (0 <= r < B) afresh, the others untouched; nothing for a window model.
    void (*reset_row)(NnLm *lm, int r);
    // The carried state (recurrent: every layer's h, and the LSTM's c, of every lane): its
    // size in floats (0 for a window model), a copy out of the model and one back in. The
    // trainer saves it around an evaluation and in state.safetensors.
    size_t (*state_floats)(const NnLm *lm);
    void (*state_get)(const NnLm *lm, float *out);
    void (*state_set)(NnLm *lm, const float *in);
    // The logits (rows, V) of the next token of rows lanes, 1 <= rows <= B: a window model
    // reads ctx (rows, T), the last T tokens of each lane; a recurrent or sequence one ctx
    // (rows), the last token, and advances its state (a sequence kind: appends the token to
    // the lane's context). Valid until the next call.
    const float *(*next_logits)(NnLm *lm, const int32_t *ctx, int rows);
    // A sequence kind (NULL for the others): the logits (B, T, V) of every position of inputs
    // (B, T), without dropout (scoring). Valid until the next call.
    const float *(*seq_logits)(NnLm *lm, const int32_t *inputs);
} NnLmKind;

struct NnLm {
    const NnLmKind *kind;
    NnLmHyper hyper;
    void *model;            // the kind's own struct, owned: an MlpLm, or a struct whose first
                            // member is the RnnLm (so (RnnLm *)model is the model)
    const NnParams *params; // its tensor table (borrowed from model)
    float *param, *grad;    // (params->total) each, the model's blocks
    int V, B, T;            // vocabulary, rows a batch, window (mlp: context) or steps a batch
    uint64_t step_seed;     // sequence kinds: the seed of the next forward's dropout masks
                            // (the trainer sets it from the seed and the step, so a resumed run
                            // draws the masks an uninterrupted one draws)
    int recompute;          // sequence kinds: next_logits runs the lane's whole context again
                            // instead of reading its KV cache (the same logits, slower)
};

extern const NnLmKind nn_lm_mlp; // the MLP language model of nn/mlp_lm.c
extern const NnLmKind nn_lm_rnn; // the RNN, LSTM or GRU language model of nn/rnn_lm.c

// Builds a model of kind with options h for vocabulary V and B rows (T: the kind's window or
// sequence length; the MLP takes h->context). -1 with a message; nn_lm_free is safe after it.
int nn_lm_init(NnLm *lm, const NnLmKind *kind, const NnLmHyper *h, int V, int B, int T);
void nn_lm_free(NnLm *lm);
// The same model (its parameters copied) for batches of B rows instead (a recurrent one with
// the steps nn_run_load gives it for B): the state is zero.
// -1 with a message, lm unchanged.
int nn_lm_rebatch(NnLm *lm, int B);

// The log-probabilities ln p (V) of logits (V), in double with the maximum subtracted first.
void nn_log_softmax(double *out, const float *logits, int V);

// --- scoring ----------------------------------------------------------------------------------

// Scores every token of c (every id, so each line's </s> too; <s> is only ever context) and
// adds ln p of each to loss (whose words and oov are set from c): the first token of a line
// is predicted from a context of <s> (a window model sees T times <s> before it, as it was
// trained). A window model runs B positions at a time. A recurrent one runs each sequence
// (a line, or the whole stream) from a zero state and one <s> with the state carried, B
// sequences side by side in the B lanes, T steps of every lane at once (the model's T: a
// lane whose sequence ends takes the next one within the T steps); its state is left reset.
// A sequence model reads each sequence as <s> and its tokens: one that fits the context (T
// inputs) is one window from <s>; a longer one is windows of T inputs at a stride of S =
// max(1, T/2), the first counting all its T predictions, each later one only its last S (so
// every token after the first window is predicted with at least T - S >= T/2 tokens before
// it), B windows a forward. The ln p are summed in the corpus's order.
void nn_lm_score(NnLm *lm, const Corpus *c, LabLoss *loss);

// --- sampling ---------------------------------------------------------------------------------

// Draws one sequence: the prompt (n ids, may be 0) as context (a recurrent or sequence model
// reads <s> and the prompt from a fresh state, then each drawn token), then up to max_tokens
// tokens through the shared sampler (<s> and <unk> never drawn) until </s>, or until the
// drawn text holds stop (NULL or "": never; the text is printed through the stop text and no
// further), printed detokenized to f as they come (flushed each token) and a newline at the
// end. Draws from rng only when s is not greedy. Returns the count of tokens drawn (</s>
// included).
long nn_lm_generate(FILE *f, NnLm *lm, const Vocab *v, TokKind kind, const int32_t *prompt,
                    long n, long max_tokens, const char *stop, const LabSampling *s,
                    LabRng *rng);

// --- runs -------------------------------------------------------------------------------------

// The options of a training run other than the model's, as the config records them.
typedef struct NnTrainOpts {
    long batch, steps, eval_every, log_every, seed, samples, warmup, step_size;
    long accum; // micro-batches of `batch` rows summed into one optimizer step
    double lr, weight_decay, beta1, beta2, clip, gamma, min_lr;
    int schedule; // NnLrKind: constant|step|cosine
} NnTrainOpts;

#define NN_SCHEDULE_CHOICES "constant|step|cosine" // index == NnLrKind

// A trained run read back: what eval and generate need.
typedef struct {
    const NnLmKind *kind;
    LabConfig cfg;
    TextOpts text;
    Tokenizer tok;
    Vocab vocab;
    NnLm lm;
    long long step; // the step model.safetensors was saved at
} NnRun;

// Loads the run in dir written by 'lmlab FAMILY train' (the kind's family): its config (the
// model's options held to the command line's ranges), the tokenizer it names, vocab.txt and
// model.safetensors (checked against the tensor table the config gives), for batches of B
// rows (a recurrent model runs up to 64 steps at once when it scores, fewer for large B, V or
// H). -1 with a message naming the file and the problem; r is then zeroed.
int nn_run_load(NnRun *r, const NnLmKind *kind, const char *dir, int B);
void nn_run_free(NnRun *r);

// The `lmlab mlp` and `lmlab rnn` verbs (cli.c), and the commands every neural family's verbs
// call with its kind (transformer/gpt_lm.h: the GPT's).
extern const LabVerbs mlp_verbs;
extern const LabVerbs rnn_verbs;
int nn_cmd_train(const NnLmKind *kind, int argc, char **argv);
int nn_cmd_eval(const NnLmKind *kind, int argc, char **argv);
int nn_cmd_generate(const NnLmKind *kind, int argc, char **argv);

#endif
