// lmlab.c: the one program. `lmlab <family> <verb> [options]`, in the style of git.
//
//   lmlab tokenize --file datasets/names/train.txt
//   lmlab ngram train --dataset names --order 4 --smoothing kn
//
// Results go to stdout, progress and diagnostics to stderr. Exit status: 0 success,
// 1 failure, 2 usage error.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "ngram/ngram.h"
#include "ngram/tfidf.h"
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
    char *path = file ? lab_strdup(file) : dataset_resolve(&cmd, dataset, split);
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

static const char *usage =
    "usage: lmlab <command> [options]\n"
    "\n"
    "commands:\n"
    "  tokenize          print the tokens of a text as the models see them\n"
    "  ngram train       count n-grams and smooth them into a language model\n"
    "  ngram eval        loss, perplexity and bits per token on a text\n"
    "  ngram generate    sample text from an n-gram model\n"
    "  ngram sweep       every order and smoothing on a dataset, best on valid, then test\n"
    "  tfidf matrix      fit TF-IDF weights, write the document-term matrix and vocabulary\n"
    "  tfidf top         the terms of largest TF-IDF weight of each document\n"
    "  tfidf similar     the documents most similar to a document (cosine)\n"
    "  tfidf search      rank the documents for a free-text query\n"
    "  word2vec train    learn word vectors (skip-gram or CBOW with negative sampling)\n"
    "  word2vec similar  the nearest words to a word, by cosine\n"
    "  word2vec analogy  a is to b as c is to ? (b - a + c)\n"
    "\n"
    "shipped datasets (--dataset NAME): names, tinyshakespeare, timemachine, tangpoems\n"
    "'lmlab <command> --help' shows the options of a command; docs/cli.md has them all.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *c = argv[1];
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(c, "tokenize") == 0) {
        return cmd_tokenize(argc - 1, argv + 1);
    }
    if (strcmp(c, "ngram") == 0) {
        return ngram_main(argc - 1, argv + 1);
    }
    if (strcmp(c, "tfidf") == 0) {
        return tfidf_main(argc - 1, argv + 1);
    }
    if (strcmp(c, "word2vec") == 0) {
        return word2vec_main(argc - 1, argv + 1);
    }
    static const char *const commands[] = {"tokenize", "ngram", "tfidf", "word2vec", "help"};
    const char *near = lab_closest(c, commands, (int)(sizeof commands / sizeof *commands));
    fprintf(stderr, "lmlab: unknown command '%s'\n", c);
    if (near) {
        fprintf(stderr, "  hint: did you mean 'lmlab %s'?\n", near);
    }
    fputs(usage, stderr);
    return 2;
}
