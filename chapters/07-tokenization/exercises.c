// exercises.c: chapter 07, your solutions. Replace each TODO(student) body; the contracts are
// in exercises.h and the algorithms in the chapter's README.md, in the section each names.
// Check your work with
//
//     make check CH=07
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
#include "exercises.h"

uint32_t ex_byte_char(unsigned char b)
{
    // TODO(student): which bytes spell themselves, and the rank of a byte among the others
    // (section 3, "A printable string for every token").
    return 0;
}

long ex_most_frequent_pair(const int32_t *ids, long n, int32_t *a, int32_t *b)
{
    // TODO(student): count every adjacent pair, then pick the most frequent one with the tie
    // rule (section 2, "Training: count, merge, repeat").
    return -1;
}

long ex_merge_pair(int32_t *ids, long n, int32_t a, int32_t b, int32_t new_id)
{
    // TODO(student): one left-to-right pass that writes the merged sequence over the old one
    // (section 2, "Training: count, merge, repeat").
    return -1;
}

long ex_encode_chunk(int32_t *ids, const unsigned char *s, long n, const int32_t *merges,
                     int nmerges)
{
    // TODO(student): the bytes as ids, then the earliest applicable merge until none applies
    // (section 2, "Encoding: the merges in the order they were learned").
    return -1;
}

long ex_open_best_bpe_vocab(void)
{
    // TODO(student): run the lab (exercises.h, exercise 5) and write the vocabulary size here.
    return 0;
}

double ex_open_tokens_per_word(void)
{
    // TODO(student): and that run's tokens per word on the valid split.
    return 0.0;
}
