// test_robust.c: the program under hostile input: empty lists and paths, devices, escaped
// configs, interrupted runs. Each test names the class of fault it closes.
#include "tests/cli/cli.h"

#include <signal.h>

// --- class: an empty list, or an empty item in a list option, is a usage error ----------------

Test(robust, every_list_option_refuses_empty_lists_and_empty_items)
{
    const char *bad[] = {"", ",", "1,", ",1", "1,,2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *v = bad[i];
        expect(RUN("ngram", "sweep", "--dataset", "names", "--smoothings",
                   i == 2 ? "kn," : i == 3 ? ",kn" : i == 4 ? "kn,,mle" : v),
               2, "--smoothings");
        expect(RUN("ngram", "sweep", "--dataset", "names", "--orders", v), 2, "--orders");
        expect(RUN("ngram", "sweep", "--dataset", "names", "--ks", v), 2, "--ks");
        expect(RUN("ngram", "sweep", "--dataset", "names", "--eps", v), 2, "--eps");
        expect(RUN("ngram", "train", "--dataset", "names", "--eps", v), 2, "--eps");
        expect(RUN("word2vec", "train", "--dataset", "names", "--words", v), 2, "--words");
        expect(RUN("tfidf", "matrix", "--dataset", "names", "--split", "train", "--ngram-range",
                   v),
               2, "--ngram-range");
    }
    expect(RUN("ngram", "sweep", "--dataset", "names", "--orders", "1,2,3,4,5,6,1"), 2,
           "at most 6");
    expect(RUN("ngram", "sweep", "--dataset", "names", "--ks", "0.1,-1"), 2, "greater than 0");
}

// --- class: an empty path reaches mkdir or open as "" ------------------------------------------

Test(robust, an_empty_out_or_file_option_is_a_usage_error_on_every_command)
{
    expect(RUN("ngram", "train", "--dataset", "names", "--out", ""), 2, "--out needs a directory");
    expect(RUN("ngram", "sweep", "--dataset", "names", "--out", ""), 2, "--out needs a directory");
    expect(RUN("word2vec", "train", "--dataset", "names", "--out", ""), 2, "--out needs");
    expect(RUN("tfidf", "matrix", "--dataset", "names", "--split", "train", "--out", ""), 2,
           "--out needs");
    expect(RUN("tfidf", "top", "--dataset", "names", "--split", "train", "--out=", "--doc", "1"),
           2, "--out needs");
    expect(RUN("tfidf", "similar", "--dataset", "names", "--split", "train", "--out", "",
               "--doc", "1"),
           2, "--out needs");
    expect(RUN("ngram", "train", "--train", ""), 2, "--train needs a file name");
    expect(RUN("ngram", "eval", "--arpa", "", "--split", "valid"), 2, "--arpa needs");
    expect(RUN("ngram", "train", "--dataset", ""), 2, "--dataset needs a name");
    expect(RUN("tokenize", "--file", ""), 2, "--file needs");
}

// --- class: a reader fed a device that never ends grows without limit --------------------------

Test(robust, devices_are_refused_by_every_reader_naming_the_file)
{
    char *valid = test_path("datasets/names/valid.txt");
    expect(RUN("ngram", "train", "--train", "/dev/zero", "--plot", "none"), 1,
           "'/dev/zero' is a character device");
    expect(RUN("ngram", "eval", "--arpa", "/dev/zero", "--data", valid), 1,
           "'/dev/zero' is a character device");
    expect(RUN("ngram", "eval", "--arpa", "/dev/zero", "--data", "/dev/zero"), 1,
           "'/dev/zero' is a character device");
    expect(RUN("word2vec", "similar", "--vectors", "/dev/zero", "king"), 1,
           "'/dev/zero' is a character device");
    expect(RUN("tokenize", "--file", "/dev/urandom"), 1, "'/dev/urandom' is a character device");
    expect(RUN("tfidf", "matrix", "--docs", "/dev/zero", "--plot", "none"), 1,
           "'/dev/zero' is a character device");
    free(valid);
}
