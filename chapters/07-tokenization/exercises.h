// exercises.h: chapter 07, tokenization: the functions you write.
//
// Each comment below is the contract its test checks: what to compute, the inputs and
// outputs, the edge cases, and the section of the chapter (README.md) that explains it. The
// algorithm is in the chapter, not here: read the section, then write the function.
// `make check CH=07` grades exercises.c.
//
// Token ids as in the chapter and datasets/bpe.c: ids 0..255 are the bytes, id 256 + i is
// merge i. A merge table of nmerges merges is an array merges (2 * nmerges): merge i joins
// the tokens merges[2 i] and merges[2 i + 1] into token 256 + i (both below 256 + i).
#ifndef EX07_H
#define EX07_H

#include <stdint.h>

// --- 1. GPT-2's byte-to-unicode map (section 3, "A printable string for every token") ------
// The code point that spells byte b in a token string: a printable byte ('!'..'~', 0xA1..0xAC,
// 0xAE..0xFF) spells itself; each of the other 68 bytes is 256 + k, k its rank among those 68
// in byte order (0 for byte 0).
// Example: 'A' (0x41) -> 0x41; space (0x20) -> 0x120 ('Ġ'); newline (0x0A) -> 0x10A ('Ċ').
uint32_t ex_byte_char(unsigned char b);

// --- 2. the most frequent pair (section 2, "Training: count, merge, repeat") ---------------
// Over the adjacent pairs (ids[i], ids[i + 1]) of ids (n), finds the pair that occurs most
// often, overlapping occurrences counted (aaa holds the pair (a, a) twice). Ties go to the
// pair with the lowest first id, then the lowest second id. WRITES the pair to *a, *b and
// returns its count; returns 0 and writes nothing when n < 2. Ids are >= 0 and below 65536.
// Example: "aaabdaaabac" as bytes: (a, a) = (97, 97), 4 times.
long ex_most_frequent_pair(const int32_t *ids, long n, int32_t *a, int32_t *b);

// --- 3. one merge (section 2, "Training: count, merge, repeat") -----------------------------
// Replaces every occurrence of the pair (a, b) in ids (n) by the token id new_id, scanning
// left to right: where the pair occurs, both tokens become new_id and the scan continues
// after them (so a a a with the pair (a, a) becomes new_id a). Works in place and returns
// the new length.
// Example: {97, 97, 97, 98} with (97, 97) -> 256 becomes {256, 97, 98}, length 3.
long ex_merge_pair(int32_t *ids, long n, int32_t a, int32_t b, int32_t new_id);

// --- 4. encoding a chunk (section 2, "Encoding: the merges in the order they were learned") -
// Encodes the bytes s (n) with the merge table merges (nmerges, see the top of this file):
// start from the bytes as ids, then, as long as some adjacent pair is a merge of the table,
// apply (as in exercise 3) the one learned first (the lowest i) everywhere. WRITES the ids
// to ids (room for n) and returns how many. n <= 256 (one chunk).
// Example: the merges (a, a), (a, b), (256, 257), (a, c) encode "aaabdaaabac" as
// {258, 'd', 258, 259}.
long ex_encode_chunk(int32_t *ids, const unsigned char *s, long n, const int32_t *merges,
                     int nmerges);

// --- 5. open: how large a vocabulary (section 5, "Vocabulary size, sequence length and
// perplexity per word") -----------------------------------------------------------------------
// Answers you find by running lmlab, not by writing code: put them in exercises.c as
// constants. Run the BPE lines of the section's table (Kneser-Ney 4-grams on timemachine
// with --bpe-vocab 512, 1024 and 2048) and evaluate each on the valid split.
//   ex_open_best_bpe_vocab     the --bpe-vocab whose run has the lowest word perplexity
//   ex_open_tokens_per_word    that run's tokens per word on valid: tokens / words, as
//                              `lmlab ngram eval` prints them
// Before you run them, guess: why would a larger vocabulary not always be better for an
// n-gram model of a fixed order?
long ex_open_best_bpe_vocab(void);
double ex_open_tokens_per_word(void);

#endif
