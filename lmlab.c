// lmlab.c: the one program. `lmlab <family> <verb> [options]`, in the style of git.
//
//   lmlab tokenize --file datasets/names/train.txt
//   lmlab ngram train --dataset names --order 4 --smoothing kn
//
// Results go to stdout, progress and diagnostics to stderr. Exit status: 0 success,
// 1 failure, 2 usage error. The commands come from tables (lab_dispatch): this file's lists
// the families, each family's cli lists its verbs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "datasets/datasets.h"
#include "ngram/ngram.h"
#include "ngram/tfidf.h"
#include "nn/lm.h"
#include "nn/word2vec.h"
#include "transformer/gpt_lm.h"

// --- tokenize ---------------------------------------------------------------------------------

typedef struct {
    FILE *f;
    long long n;
} PrintCtx;

static void print_token(const char *tok, size_t len, void *ctx)
{
    PrintCtx *p = ctx;
    char *e = tok_escape(tok, len);
    fputs(e, p->f);
    fputc('\n', p->f);
    free(e);
    p->n++;
}

// --- tokenize --tokenizer bpe -------------------------------------------------------------

static void print_chunk_tokens(const Bpe *b, const int32_t *ids, size_t n, FILE *f)
{
    for (size_t i = 0; i < n; i++) {
        char *e = bpe_escape(b->bytes + b->off[ids[i]], b->off[ids[i] + 1] - b->off[ids[i]]);
        fprintf(f, "%s\n", e);
        free(e);
    }
}

// Reads a whole file as bytes (BPE takes any bytes: no UTF-8 check, no CRLF folding).
static char *read_bytes(const char *path, size_t *len)
{
    char *data;
    if (lab_read_file(path, &data, len, 0) != 0) {
        exit(1);
    }
    return data;
}

// --train-vocab N: train on the file, save to out, report
static void bpe_cmd_train(const char *path, long vocab, int split, const char *out)
{
    size_t len;
    char *text = read_bytes(path, &len);
    char q[512];
    lab_quote(q, sizeof q, path, strlen(path));
    if (len == 0) {
        lab_die("BPE learns its merges from a text: give a file that is not empty",
                "'%s' is empty", q);
    }
    const char *special[] = {BPE_ENDOFTEXT};
    Bpe b;
    if (bpe_init(&b, (BpeSplit)split, special, 1) != 0) {
        exit(1);
    }
    double t0 = lab_now();
    if (bpe_train(&b, text, len, (int32_t)vocab) != 0) {
        exit(1);
    }
    double t1 = lab_now();
    int32_t *ids;
    size_t nids;
    if (bpe_encode(&b, text, len, &ids, &nids) != 0) {
        exit(1);
    }
    double t2 = lab_now();
    if (bpe_save(&b, out) != 0) {
        exit(1);
    }
    if (b.n < vocab) {
        lab_note("'%s' has no pair left to merge after %d merges: the vocabulary has %d tokens, "
                 "not %ld", q, b.nmerges, b.n, vocab);
    }
    printf("trained byte-level BPE (%s split) on '%s': %zu bytes in %.2f s\n",
           split == BPE_GPT4 ? "GPT-4" : "GPT-2", q, len, t1 - t0);
    printf("vocabulary: %d tokens = 256 bytes + %d merges + %d special (%s)\n", b.n, b.nmerges,
           b.nspecial, BPE_ENDOFTEXT);
    printf("encoded the same text in %.2f s: %zu tokens, %.3f bytes/token\n", t2 - t1, nids,
           nids ? (double)len / (double)nids : 0.0);
    printf("wrote %s/merges.txt and %s/vocab.txt\n", out, out);
    free(ids);
    free(text);
    bpe_free(&b);
}

// --encode FILE: ids separated by spaces, a line break after each token that ends in one
static void bpe_cmd_encode(Bpe *b, const char *path)
{
    size_t len;
    char *text = read_bytes(path, &len);
    int32_t *ids;
    size_t n;
    if (bpe_encode(b, text, len, &ids, &n) != 0) {
        exit(1);
    }
    int bol = 1;
    for (size_t i = 0; i < n; i++) {
        printf(bol ? "%d" : " %d", ids[i]);
        uint32_t end = b->off[ids[i] + 1];
        bol = end > b->off[ids[i]] && b->bytes[end - 1] == '\n';
        if (bol) {
            putchar('\n');
        }
    }
    if (!bol) {
        putchar('\n');
    }
    free(ids);
    free(text);
}

// --decode FILE: ids separated by any whitespace -> the exact bytes on stdout
static void bpe_cmd_decode(Bpe *b, const char *path)
{
    size_t len;
    char *text = read_bytes(path, &len);
    char q[512];
    lab_quote(q, sizeof q, path, strlen(path));
    int32_t *ids = lab_malloc((len / 2 + 1) * sizeof *ids); // an id and a space: 2+ bytes
    size_t n = 0;
    long line = 1;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            line += c == '\n';
            i++;
            continue;
        }
        size_t j = i;
        long long v = 0;
        while (j < len && text[j] >= '0' && text[j] <= '9' && v < BPE_MAX_VOCAB) {
            v = 10 * v + (text[j++] - '0');
        }
        size_t k = j;
        while (k < len && !strchr(" \t\r\n", text[k])) {
            k++;
        }
        if (j == i || k != j || v >= b->n) {
            char tok[64];
            lab_quote(tok, sizeof tok, text + i, k - i);
            lab_die("--decode reads token ids separated by whitespace, as --encode prints them",
                    "'%s' line %ld: '%s' is not a token id of this vocabulary (0 to %d)", q,
                    line, tok, b->n - 1);
        }
        ids[n++] = (int32_t)v;
        i = k;
    }
    char *out = NULL;
    size_t olen = 0, cap = 0;
    if (bpe_decode(b, ids, n, &out, &olen, &cap) != 0) {
        exit(1);
    }
    if (olen > 0 && fwrite(out, 1, olen, stdout) != olen) {
        lab_die(NULL, "cannot write the decoded bytes to stdout");
    }
    free(out);
    free(ids);
    free(text);
}

// lmlab tokenize --tokenizer bpe: train, encode, decode or print tokens
static int tokenize_bpe(const LabCommand *cmd, const char *file, const char *dataset,
                        const char *split_name, const char *train, long train_vocab,
                        const char *out, const char *vocab, const char *encode,
                        const char *decode, int split)
{
    static const char *const not_bpe[] = {"pattern", "lowercase", "unit", "utf8", "min-count",
                                          "counts"};
    for (size_t i = 0; i < sizeof not_bpe / sizeof *not_bpe; i++) {
        if (lab_args_given(cmd, not_bpe[i])) {
            lab_usage_die(cmd, "--%s does not apply to --tokenizer bpe (it reads bytes)",
                          not_bpe[i]);
        }
    }
    int modes = !!train_vocab + !!encode + !!decode + (file || dataset);
    if (train_vocab) {
        if (!!train == !!dataset || file || encode || decode || vocab || !out) {
            lab_usage_die(cmd, "training takes --train-vocab N, --out DIR and one of --train "
                               "FILE and --dataset NAME, and nothing else to read");
        }
        char *path = train ? lab_strdup(train) : dataset_resolve(cmd, dataset, split_name,
                                                                 "train");
        bpe_cmd_train(path, train_vocab, split, out);
        free(path);
        return 0;
    }
    if (train || out || lab_args_given(cmd, "bpe-split")) {
        lab_usage_die(cmd, "--train, --out and --bpe-split go with --train-vocab N");
    }
    if (modes != 1 || (file && dataset)) {
        lab_usage_die(cmd, "give --vocab DIR and exactly one of --encode FILE, --decode FILE, "
                           "--file FILE and --dataset NAME (or --train-vocab N to train)");
    }
    if (!vocab) {
        lab_usage_die(cmd, "--tokenizer bpe needs --vocab DIR, a directory written by "
                           "--train-vocab N --out DIR");
    }
    Bpe b;
    if (bpe_load(&b, vocab) != 0) {
        exit(1);
    }
    if (encode) {
        bpe_cmd_encode(&b, encode);
    } else if (decode) {
        bpe_cmd_decode(&b, decode);
    } else {
        char *path = file ? lab_strdup(file) : dataset_resolve(cmd, dataset, split_name, "file");
        size_t len;
        char *text = read_bytes(path, &len);
        int32_t *ids;
        size_t n;
        if (bpe_encode(&b, text, len, &ids, &n) != 0) {
            exit(1);
        }
        print_chunk_tokens(&b, ids, n, stdout);
        free(ids);
        free(text);
        free(path);
    }
    bpe_free(&b);
    return 0;
}

static int cmd_tokenize(int argc, char **argv)
{
    const char *file = NULL, *dataset = NULL, *split = "train";
    const char *train = NULL, *out = NULL, *vocab = NULL, *encode = NULL, *decode = NULL;
    long train_vocab = 0;
    int counts = 0, bpe_split = BPE_GPT2;
    TextOpts text = TEXT_OPTS_DEFAULT;
    // the shared text options; --bpe-split is this command's own (for --train-vocab too)
    LabOpt t[] = {TEXT_OPTS_TABLE(text)};
    const LabOpt opts[] = {
        {"file", LAB_OPT_STRING, &file, "FILE", "the text to tokenize", 0, 0, 0},
        {"dataset", LAB_OPT_STRING, &dataset, "NAME", "or a shipped corpus (with --split)", 0, 0,
         0},
        {"split", LAB_OPT_STRING, &split, "NAME", "train, valid or test", 0, 0, 0},
        t[0], t[1], t[2], t[3], t[4], t[5], t[6],
        {"min-count", LAB_OPT_INT, &text.min_count, "N", "with --counts: rarer types are <unk>",
         0, 1, 1e9},
        {"counts", LAB_OPT_FLAG, &counts, NULL,
         "print the vocabulary (id, token, count) instead of the tokens", 0, 0, 0},
        {"train-vocab", LAB_OPT_INT, &train_vocab, "N",
         "bpe: train a vocabulary of N tokens (256 bytes, merges, <|endoftext|>)", 0, 257,
         BPE_MAX_VOCAB},
        {"train", LAB_OPT_STRING, &train, "FILE", "bpe: the text to train on (or --dataset)", 0,
         0, 0},
        {"out", LAB_OPT_STRING, &out, "DIR", "bpe: where training writes merges.txt, vocab.txt",
         0, 0, 0},
        {"bpe-split", LAB_OPT_CHOICE, &bpe_split, NULL,
         "bpe: the pre-tokenizer regex of GPT-2 or of GPT-4", "gpt2|gpt4", 0, 0},
        {"vocab", LAB_OPT_STRING, &vocab, "DIR", "bpe: a trained tokenizer's directory", 0, 0, 0},
        {"encode", LAB_OPT_STRING, &encode, "FILE", "bpe: print the token ids of FILE", 0, 0, 0},
        {"decode", LAB_OPT_STRING, &decode, "FILE",
         "bpe: write the bytes of the ids in FILE to stdout", 0, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab tokenize (--file FILE | --dataset NAME) [options]\n"
                 "       lmlab tokenize --tokenizer bpe --train-vocab N --train FILE --out DIR\n"
                 "       lmlab tokenize --tokenizer bpe --vocab DIR (--encode FILE | --decode "
                 "FILE | --file FILE)",
        .summary = "Print the tokens of a text, one per line, exactly as the models see them.\n"
                   "Whitespace and backslashes in tokens are escaped (\\s space, \\n newline, "
                   "\\t tab, \\\\);\nwith --unit line each line ends with </s>. "
                   "--tokenizer bpe trains, encodes and decodes\na byte-level BPE "
                   "(docs/tokenizers.md).",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab tokenize --dataset names | head\n"
                  "  lmlab tokenize --file poem.txt --tokenizer word\n"
                  "  lmlab tokenize --dataset timemachine --tokenizer word --lowercase --counts\n"
                  "  lmlab tokenize --tokenizer bpe --train-vocab 1024 --dataset timemachine "
                  "--out runs/bpe\n"
                  "  lmlab tokenize --tokenizer bpe --vocab runs/bpe --encode poem.txt > ids.txt\n"
                  "  lmlab tokenize --tokenizer bpe --vocab runs/bpe --decode ids.txt\n"
                  "the default word pattern: " TOK_DEFAULT_PATTERN "\n"
                  "the bpe split pattern (GPT-2's): " BPE_GPT2_PATTERN "\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    text.bpe_split = bpe_split;
    // --bpe DIR or --bpe-vocab N: the BPE tokens as the model families see them (below);
    // else the tokenizer's own commands
    int pipeline = lab_args_given(&cmd, "bpe") || lab_args_given(&cmd, "bpe-vocab");
    if (text.tokenizer == TOK_BPE && !pipeline) {
        return tokenize_bpe(&cmd, file, dataset, split, train, train_vocab, out, vocab, encode,
                            decode, bpe_split);
    }
    static const char *const bpe_only[] = {"train-vocab", "train", "out", "bpe-split", "vocab",
                                           "encode", "decode"};
    for (size_t i = 0; i < sizeof bpe_only / sizeof *bpe_only; i++) {
        if (lab_args_given(&cmd, bpe_only[i]) &&
            (text.tokenizer != TOK_BPE || strcmp(bpe_only[i], "bpe-split") != 0)) {
            lab_usage_die(&cmd, text.tokenizer == TOK_BPE
                                    ? "--%s is for the tokenizer alone, not with --bpe or "
                                      "--bpe-vocab"
                                    : "--%s goes with --tokenizer bpe",
                          bpe_only[i]);
        }
    }
    if (!!file == !!dataset) {
        lab_usage_die(&cmd, "give exactly one of --file FILE and --dataset NAME");
    }
    char *path = file ? lab_strdup(file) : dataset_resolve(&cmd, dataset, split, "file");
    Tokenizer tok;
    if (text_tokenizer(&tok, &text) != 0) {
        exit(2);
    }
    if (text.tokenizer == TOK_BPE && lab_args_given(&cmd, "bpe") &&
        lab_args_given(&cmd, "bpe-split")) {
        lab_usage_die(&cmd, "--bpe-split goes with --bpe-vocab: a saved tokenizer keeps its own");
    }
    if (counts) {
        Vocab v;
        vocab_init(&v);
        Corpus c;
        if (text_load_corpus(&c, &v, 1, &tok, &text, path) != 0) {
            exit(1);
        }
        for (int32_t id = 0; id < v.n; id++) {
            char *e = id < TOK_FIRST ? lab_strdup(v.str[id]) : tok_escape(v.str[id], v.len[id]);
            printf("%d\t%s\t%lld\n", id, e, v.count[id]);
            free(e);
        }
        corpus_free(&c);
        vocab_free(&v);
    } else {
        char *data;
        size_t len;
        if (text_read(path, (Utf8Mode)text.utf8, &data, &len) != 0) {
            exit(1);
        }
        if (tok.bpe_pending && tok_bpe_train(&tok, data, len) != 0) {
            exit(1);
        }
        PrintCtx p = {.f = stdout};
        if (text.unit == UNIT_STREAM) {
            if (tok_split(&tok, data, len, print_token, &p) != 0) {
                exit(1);
            }
        } else {
            for (size_t i = 0; i < len;) {
                char *nl = memchr(data + i, '\n', len - i);
                size_t end = nl ? (size_t)(nl - data) : len;
                size_t n = end - i;
                if (n > 0 && data[i + n - 1] == '\r') {
                    n--;
                }
                if (strspn(data + i, " \t\r\f\v") < n) {
                    if (tok_split(&tok, data + i, n, print_token, &p) != 0) {
                        exit(1);
                    }
                    puts("</s>");
                }
                i = end + 1;
            }
        }
        free(data);
        if (p.n == 0) {
            lab_die(text.tokenizer == TOK_WORD ? "check --pattern" : NULL, "'%s' has no tokens",
                    path);
        }
    }
    tok_free(&tok);
    free(path);
    return 0;
}

// --- main -------------------------------------------------------------------------------------

// Every command of the program: a row a family (its verbs are listed in its own table) or a
// command of its own. A new family is one row here.
static const LabVerb commands[] = {
    {"tokenize", cmd_tokenize, "print the tokens of a text as the models see them", 0},
    {"ngram", 0, 0, &ngram_verbs},
    {"tfidf", 0, 0, &tfidf_verbs},
    {"word2vec", 0, 0, &word2vec_verbs},
    {"mlp", 0, 0, &mlp_verbs},
    {"rnn", 0, 0, &rnn_verbs},
    {"gpt", 0, 0, &gpt_verbs},
    {"compare", compare_cmd, "train every family on one dataset: a table of perplexities", 0},
    {0},
};

// Processes other than this one running right now: /proc/loadavg's running count less this
// process, the least of three looks 2 ms apart (a process that runs for an instant is not a
// busy machine), or of fewer once one shows fewer than `enough`; 0 when it cannot be read.
static long others_running(long enough)
{
    long least = -1;
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen("/proc/loadavg", "r");
        long running = 0, total = 0;
        double l1, l5, l15;
        int got = f ? fscanf(f, "%lf %lf %lf %ld/%ld", &l1, &l5, &l15, &running, &total) : 0;
        if (f) {
            fclose(f);
        }
        if (got != 5) {
            return 0;
        }
        if (least < 0 || running - 1 < least) {
            least = running - 1;
        }
        if (least < enough) {
            break; // a quiet machine costs one look, no wait
        }
        if (i < 2) {
            nanosleep(&(struct timespec){0, 2000000}, NULL);
        }
    }
    return least < 0 ? 0 : least;
}

// OpenMP's idle threads wait for the next parallel region by spinning (libgomp's default),
// which is fastest when every thread has a core of its own; when other processes keep half of
// the cores or more busy, a spinning thread takes the core that the thread with the work needs,
// and a step can take three times as long as on one thread (docs/architecture.md, "Threads").
// The program then runs again with OMP_WAIT_POLICY=PASSIVE (idle threads sleep), which
// libgomp reads only as it starts. The processes running now count, not the load average,
// which remembers the last minute (a benchmark's previous run, say). The results do not
// change: the wait policy decides how threads wait, not what they compute. A policy the user
// set, or LMLAB_NO_REEXEC, is left alone, and so is a run on one thread (OMP_NUM_THREADS=1),
// which has no idle thread to spin and would only pay the looks and the second start.
// `ngram train` sleeps on a quiet machine too: its few dozen parallel regions lie between long
// stretches on one thread (writing the ARPA file, say), and after each region libgomp's idle
// thread spins for about 8 ms before it sleeps, an eighth of the command's CPU time for
// nothing; waking a sleeping thread costs microseconds, and the clock time stays the same.
static void wait_policy(int argc, char **argv)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const char *threads = getenv("OMP_NUM_THREADS");
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || getenv("LMLAB_NO_REEXEC") ||
        (threads && strcmp(threads, "1") == 0) || cpus < 2) {
        return;
    }
    int sparse = argc >= 3 && strcmp(argv[1], "ngram") == 0 && strcmp(argv[2], "train") == 0;
    if (!sparse && others_running((cpus + 1) / 2) < (cpus + 1) / 2) {
        return;
    }
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv("LMLAB_NO_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    // no /proc: carry on with the default policy
}

int main(int argc, char **argv)
{
    wait_policy(argc, argv);
    char *footer = lab_asprintf("shipped datasets (--dataset NAME): %s\n"
                                "'lmlab <command> --help' shows the options of a command; "
                                "docs/cli.md has them all.\n",
                                dataset_list());
    const LabVerbs top = {.prog = "lmlab", .what = "command", .footer = footer, .rows = commands};
    int rc = lab_dispatch(&top, argc, argv);
    free(footer);
    return rc;
}
