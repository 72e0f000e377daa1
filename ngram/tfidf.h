// tfidf.h: bag-of-words and TF-IDF over a collection of documents, stored sparse (CSR).
//
//   files --TfidfDocs--> documents --analyzer--> terms --count--> counts (N x V, CSR)
//         --prune (min/max df, max features)--> --tf x idf, row norm--> weights (N x V, CSR)
//
// A document is a line, a blank-line separated paragraph, or a whole file of a directory. Its
// terms are word tokens (the shared PCRE2 tokenizer, with stop words removed), word n-grams
// joined by one space, or character n-grams. The columns are the kept terms in byte order of
// their UTF-8, which is code point order, the order scikit-learn sorts them in: with the same
// options the weights equal those of scikit-learn's TfidfVectorizer (docs/tfidf.md maps every
// option). Nothing is ever dense: N documents x V terms cost memory in proportion to the
// stored (non-zero) entries. Left out: hashing vectorizers, accent stripping, analyzer
// 'char_wb', fitting on one collection and transforming another (queries excepted).
//
// Dimension letters: N documents (rows), V terms (columns), nnz stored entries.
#ifndef NGRAM_TFIDF_H
#define NGRAM_TFIDF_H

#include <stdint.h>

#include "datasets/datasets.h"

// The default word pattern of tfidf: the lab's default (TOK_DEFAULT_PATTERN) without its
// punctuation alternative: one Han character, or a run of letters, digits and marks (with
// inner apostrophes). Punctuation is no term of a bag of words.
#define TFIDF_DEFAULT_PATTERN TOK_WORDS_PATTERN

// scikit-learn's default token_pattern (?u)\b\w\w+\b in PCRE2 (Unicode is on anyway)
#define TFIDF_SKLEARN_PATTERN "\\b\\w\\w+\\b"

// --- the variants -----------------------------------------------------------------------------
// Each choice list is in enum order, for LAB_OPT_CHOICE; docs/tfidf.md gives every formula.

typedef enum {
    TFIDF_UNIT_AUTO,      // a file's lines; a directory's files
    TFIDF_UNIT_LINE,      // every non-blank line
    TFIDF_UNIT_PARAGRAPH, // every run of non-blank lines (paragraphs are split by blank lines)
    TFIDF_UNIT_FILE,      // every file whole
} TfidfUnit;
#define TFIDF_UNIT_CHOICES "auto|line|paragraph|file"

typedef enum {
    TFIDF_TF_RAW,       // tf = c, the count of the term in the document
    TFIDF_TF_BINARY,    // tf = 1 if c > 0
    TFIDF_TF_SUBLINEAR, // tf = 1 + ln c
} TfidfTf;
#define TFIDF_TF_CHOICES "raw|binary|sublinear"

typedef enum {
    TFIDF_IDF_SMOOTH,        // ln((1 + N) / (1 + df)) + 1: scikit-learn's default
    TFIDF_IDF_PLAIN,         // ln(N / df): the textbook idf
    TFIDF_IDF_SKLEARN_PLAIN, // ln(N / df) + 1: scikit-learn's smooth_idf=False
    TFIDF_IDF_NONE,          // 1: use_idf=False
} TfidfIdf;
#define TFIDF_IDF_CHOICES "smooth|plain|sklearn-plain|none"

typedef enum {
    TFIDF_NORM_L2,   // each row divided by its Euclidean length (a zero row stays zero)
    TFIDF_NORM_L1,   // each row divided by the sum of its absolute values
    TFIDF_NORM_NONE, // rows as they are
} TfidfNorm;
#define TFIDF_NORM_CHOICES "l2|l1|none"

// --- documents --------------------------------------------------------------------------------
// A collection: documents point into the texts of the files they came from.
typedef struct {
    char **text;       // (nfiles) each file's UTF-8 text (owned)
    char **files;      // (nfiles) each file's path (owned)
    long nfiles;
    const char **doc;  // (n) first byte of document d, inside text[file[d]]
    size_t *len;       // (n) its length in bytes (no line end at its end)
    long *line;        // (n) 1-based line of its first line in its file
    int32_t *file;     // (n) index of its file
    long n, cap;
    long skipped;      // directory: files that were not read (each named in a note)
} TfidfDocs;

void tfidf_docs_init(TfidfDocs *d);
void tfidf_docs_free(TfidfDocs *d); // safe on a zeroed struct

// Splits text[0..len) into documents by unit (AUTO means LINE) and appends them; name is the
// file it came from. text must be malloc'd and becomes d's. A line is blank when it holds
// only spaces, tabs, \r, \f, \v (the lab's rule); one trailing \r of every line is dropped.
// A blank line is no document; a FILE document is the whole text, blank or not.
void tfidf_docs_add(TfidfDocs *d, const char *name, char *text, size_t len, TfidfUnit unit);

// Reads the documents of path into d (fresh from tfidf_docs_init). A file is read strictly
// as text (text_read: a missing, empty, binary or non-UTF-8 file fails with its message,
// -1). A directory: its regular files, sorted by name (byte order), hidden ones ('.name')
// left out; each file that is empty, binary or (mode UTF8_STRICT) not valid UTF-8 is skipped
// with a note naming it and why. AUTO means LINE for a file and FILE for a directory. Fails
// (-1, message) when nothing readable is left or no document was found.
int tfidf_docs_read(TfidfDocs *d, const char *path, TfidfUnit unit, Utf8Mode mode);

// --- stop words ------------------------------------------------------------------------------
// Sets of terms are lab string tables (LabStrTab): ids in the order terms were added.
// Stop words into set (fresh from lab_strtab_init): "english" is lmlab's own list of common
// English function words (docs/tfidf.md); anything else is a UTF-8 file of one word a line
// (surrounding whitespace trimmed; blank lines and lines starting with '#' ignored).
// lowercase != 0 folds every word the way the tokenizer folds text. -1 with a message when
// the file cannot be read or holds no word.
int tfidf_stop_words_load(LabStrTab *set, const char *source, int lowercase);

// --- options ----------------------------------------------------------------------------------
// --min-df / --max-df: a whole number is a count of documents, a number with a '.' (or an
// exponent) a proportion of them, in [0, 1], as scikit-learn reads an int and a float.
typedef struct {
    double value;
    int proportion;   // 1: value is a proportion of the N documents
} TfidfDf;

// Parses s. -1 (no message) when it is neither a count >= 1 nor a proportion in [0, 1].
int tfidf_df_parse(const char *s, TfidfDf *df);
// The number of documents df stands for in a collection of ndocs: value or value * ndocs.
double tfidf_df_docs(TfidfDf df, long ndocs);

typedef struct {
    int ngram_min, ngram_max; // term lengths in tokens (words) or code points (char)
    int tf, idf, norm;        // TfidfTf, TfidfIdf, TfidfNorm
    TfidfDf min_df, max_df;   // a term is kept when min_df <= df <= max_df ...
    long max_features;        // ... and then only the max_features largest totals (0: all)
    const LabStrTab *stop;   // word tokens removed before n-grams are formed, or NULL
} TfidfParams;

// scikit-learn's defaults: unigrams, raw tf, smooth idf, l2, min_df 1, max_df 1.0
#define TFIDF_PARAMS_DEFAULT                                                                   \
    {1, 1, TFIDF_TF_RAW, TFIDF_IDF_SMOOTH, TFIDF_NORM_L2, {1, 0}, {1.0, 1}, 0, NULL}

// The weight formulas, one value each (count > 0, 0 < df <= ndocs).
double tfidf_tf(TfidfTf tf, double count);
double tfidf_idf(TfidfIdf idf, long ndocs, long long df);

// --- the fitted matrix ------------------------------------------------------------------------
typedef struct {
    long rows, cols;     // N, V
    long long nnz;
    long long *ptr;      // (N + 1) row r is entries ptr[r] .. ptr[r + 1)
    int32_t *col;        // (nnz) columns, increasing within a row
    uint32_t *count;     // (nnz) how often the term occurs in the document
    double *val;         // (nnz) its weight tf(count) * idf(term), divided by the row norm
} TfidfCsr;

typedef struct {
    TfidfParams params;   // as fitted (params.stop is borrowed, not owned)
    TokKind kind;         // the tokenizer it was fitted with: TOK_WORD or TOK_CHAR
    LabStrTab vocab;     // (V) the kept terms; term j is column j; byte order
    long long *df;        // (V) documents that contain the term
    long long *total;     // (V) its count summed over the documents (1 per doc with binary tf)
    double *idf;          // (V)
    double *rownorm;      // (N) Euclidean length of each row of weights (0 for a zero row)
    TfidfCsr X;           // (N, V) counts and weights
    long empty;           // documents whose row is zero: no term, or none left after pruning
    long no_terms;        // of those, documents that had no term at all
    int32_t terms_seen;   // distinct terms before pruning
    long long terms_counted; // terms counted in all documents (n-grams of every length)
} TfidfModel;

// Fits the vocabulary, document frequencies and idf of docs and weighs them (scikit-learn's
// fit_transform). t is the tokenizer (word or char, its pattern and lowercasing); it is used,
// not kept. Fails with a message (-1, m zeroed) when the tokenizer fails, when no document
// has a term, when max_df stands for fewer documents than min_df, or when pruning leaves
// no term.
int tfidf_fit(TfidfModel *m, const TfidfDocs *docs, const TfidfParams *p, Tokenizer *t);
void tfidf_model_free(TfidfModel *m); // safe on a zeroed struct

// A document outside the collection (a query) as a sparse row of the fitted columns.
typedef struct {
    int32_t *col;        // (n) increasing
    uint32_t *count;     // (n)
    double *val;         // (n) weights with the model's tf, idf and norm
    long n;
    long long terms;     // terms the analyzer found in the text
    long long unknown;   // of those, terms not in the vocabulary (ignored)
} TfidfVec;

// Transforms text[0..len) with m's analyzer, vocabulary, idf and norm. t must be the
// tokenizer m was fitted with. Unknown terms are counted in v->unknown and, when unknown_set
// is not NULL, added to it. Returns 0, or -1 when the tokenizer fails (message given).
int tfidf_transform(const TfidfModel *m, Tokenizer *t, const char *text, size_t len,
                    TfidfVec *v, LabStrTab *unknown_set);
void tfidf_vec_free(TfidfVec *v);

// --- similarity and ranking -------------------------------------------------------------------
typedef struct {
    long doc;      // 0-based row
    double score;
} TfidfHit;

// Cosine similarity of two sparse rows (columns increasing): dot / (|a| |b|); 0 when either
// is zero.
double tfidf_cosine(const int32_t *ca, const double *va, long na, const int32_t *cb,
                    const double *vb, long nb);

// The k documents with the largest cosine similarity to the sparse row (col, val, n), best
// first, ties to the lower row; only scores > 0; the row `exclude` (or -1) is left out. hits
// holds k entries. Returns how many were found. One pass over the stored entries.
long tfidf_rank(const TfidfModel *m, const int32_t *col, const double *val, long n,
                long exclude, long k, TfidfHit *hits);

// The k entries of row `doc` with the largest weight > 0, best first, ties to the lower
// column, as indices into m->X (entries holds k). Returns how many.
long tfidf_top_terms(const TfidfModel *m, long doc, long k, long long *entries);

// --- files ------------------------------------------------------------------------------------
// A term on a line of vocab.txt or terms.tsv: '\' '\n' '\r' '\t' are written \\ \n \r \t
// and every other byte as it is (spaces of word n-grams included). A new string.
char *tfidf_escape_term(const char *s, size_t len);

// Every number of these files is exact: a weight or an idf is the shortest decimal that reads
// back (strtod, scipy.io.mmread) as the same double. Each file is written atomically; -1 with
// a message.
// DIR/matrix.mtx: Matrix Market "coordinate real general", rows = documents, columns = terms,
// 1-based "i j value" lines in row order; explicit zeros (a term of idf 0) are left out.
// comment (one line, may be NULL) goes after the banner. Formatted on every OpenMP thread;
// the bytes are the same for any number of them.
int tfidf_write_mtx(const TfidfModel *m, const char *path, const char *comment);
// vocab.txt: one escaped term a line, in column order.
int tfidf_write_vocab(const TfidfModel *m, const char *path);
// terms.tsv: column (1-based), term, df, idf, total.
int tfidf_write_terms(const TfidfModel *m, const char *path);
// docs.tsv: doc (1-based row), file (escaped), line, terms (stored entries of its row), for
// the documents m was fitted on.
int tfidf_write_docs(const TfidfDocs *docs, const TfidfModel *m, const char *path);
// All four: paths[0..3] are matrix.mtx, vocab.txt, terms.tsv, docs.tsv. One thread writes the
// last three while the others format the matrix. -1 when any failed (each failure has its
// message; the files that were written stay).
int tfidf_write_files(const TfidfDocs *docs, const TfidfModel *m, const char *const paths[4],
                      const char *comment);

// --- the command ------------------------------------------------------------------------------
// `lmlab tfidf matrix | top | similar | search`: the verbs, for the program's command table.
extern const LabVerbs tfidf_verbs;

#endif
