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

#include "compare.h"
#include "datasets/datasets.h"
#include "ngram/ngram.h"
#include "ngram/tfidf.h"
#include "nn/lm.h"
#include "nn/word2vec.h"

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

static int cmd_tokenize(int argc, char **argv)
{
    const char *file = NULL, *dataset = NULL, *split = "train";
    int counts = 0;
    TextOpts text = TEXT_OPTS_DEFAULT;
    const LabOpt opts[] = {
        {"file", LAB_OPT_STRING, &file, "FILE", "the text to tokenize", 0, 0, 0},
        {"dataset", LAB_OPT_STRING, &dataset, "NAME", "or a shipped corpus (with --split)", 0, 0,
         0},
        {"split", LAB_OPT_STRING, &split, "NAME", "train, valid or test", 0, 0, 0},
        TEXT_OPTS_TABLE(text),
        {"min-count", LAB_OPT_INT, &text.min_count, "N", "with --counts: rarer types are <unk>",
         0, 1, 1e9},
        {"counts", LAB_OPT_FLAG, &counts, NULL,
         "print the vocabulary (id, token, count) instead of the tokens", 0, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab tokenize (--file FILE | --dataset NAME) [options]",
        .summary = "Print the tokens of a text, one per line, exactly as the models see them.\n"
                   "Whitespace and backslashes in tokens are escaped (\\s space, \\n newline, "
                   "\\t tab, \\\\);\nwith --unit line each line ends with </s>.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab tokenize --dataset names | head\n"
                  "  lmlab tokenize --file poem.txt --tokenizer word\n"
                  "  lmlab tokenize --dataset timemachine --tokenizer word --lowercase --counts\n"
                  "the default word pattern: " TOK_DEFAULT_PATTERN "\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!!file == !!dataset) {
        lab_usage_die(&cmd, "give exactly one of --file FILE and --dataset NAME");
    }
    char *path = file ? lab_strdup(file) : dataset_resolve(&cmd, dataset, split, "file");
    Tokenizer tok;
    if (text_tokenizer(&tok, &text) != 0) {
        exit(2);
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
    {"compare", compare_cmd, "train every family on one dataset: a table of perplexities", 0},
    {0},
};

int main(int argc, char **argv)
{
    char *footer = lab_asprintf("shipped datasets (--dataset NAME): %s\n"
                                "'lmlab <command> --help' shows the options of a command; "
                                "docs/cli.md has them all.\n",
                                dataset_list());
    const LabVerbs top = {.prog = "lmlab", .what = "command", .footer = footer, .rows = commands};
    int rc = lab_dispatch(&top, argc, argv);
    free(footer);
    return rc;
}
