// strtab.c: a table of byte strings with dense ids, for vocabularies, term sets and word
// indexes.
//
// Keys are kept back to back in one growing block (each followed by a NUL), found through an
// open-addressing hash table with linear probing whose slots hold the hash, the id and the
// first bytes of the key, so most probes never touch the block. It leaves out deletion: ids
// are dense, in the order keys were added, and stay so.
#include "lab.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

// Eight bytes at a time, each word mixed by a multiply (the constants of splitmix64), then a
// final avalanche (MurmurHash3's fmix64 step). The value depends on the machine's byte order:
// so do the slots, never the ids.
uint64_t lab_strtab_hash(const char *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * 0x94D049BB133111EBull;
        h ^= h >> 29;
    }
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

void lab_strtab_init(LabStrTab *t)
{
    memset(t, 0, sizeof *t);
}

void lab_strtab_free(LabStrTab *t)
{
    free(t->bytes);
    free(t->off);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

// A slot holds hid = (low 32 bits of the hash) << 32 | id, all ones when empty (no id is
// 0xFFFFFFFF), and a key: the first 7 bytes of the string and its length (capped at 255) in
// the top byte. A probe compares hash and key without touching the string; a string of up to
// 7 bytes is equal when they are, longer ones are compared in full.
#define SLOT_EMPTY UINT64_MAX

static uint64_t slot_key(const char *s, size_t len)
{
    uint64_t k = 0;
    memcpy(&k, s, len < 7 ? len : 7);
    return k | (uint64_t)(len < 255 ? len : 255) << 56;
}

// the slot holding s, or the empty slot where it would go; t has slots
static uint32_t find_slot(const LabStrTab *t, const char *s, size_t len, uint32_t h, uint64_t key)
{
    uint32_t mask = t->nslots - 1;
    uint32_t i = h & mask;
    for (;;) {
        const LabStrSlot *sl = &t->slots[i];
        if (sl->hid == SLOT_EMPTY) {
            return i;
        }
        if ((uint32_t)(sl->hid >> 32) == h && sl->key == key) {
            int32_t id = (int32_t)(uint32_t)sl->hid;
            if (len <= 7 ||
                (lab_strtab_len(t, id) == len && memcmp(lab_strtab_key(t, id), s, len) == 0)) {
                return i;
            }
        }
        i = (i + 1) & mask;
    }
}

int32_t lab_strtab_find(const LabStrTab *t, const char *s, size_t len)
{
    if (!t->slots) {
        return -1;
    }
    uint32_t h = (uint32_t)lab_strtab_hash(s, len);
    uint64_t v = t->slots[find_slot(t, s, len, h, slot_key(s, len))].hid;
    return v == SLOT_EMPTY ? -1 : (int32_t)(uint32_t)v;
}

// doubles the slots (from 128 on a fresh table), moving every occupied one
static void grow_slots(LabStrTab *t)
{
    LabStrSlot *old = t->slots;
    uint32_t nold = t->nslots;
    t->nslots = nold ? 2 * nold : 128;
    t->slots = lab_malloc((size_t)t->nslots * sizeof *t->slots);
    memset(t->slots, 0xFF, (size_t)t->nslots * sizeof *t->slots);
    uint32_t mask = t->nslots - 1;
    for (uint32_t k = 0; k < nold; k++) {
        if (old[k].hid != SLOT_EMPTY) {
            uint32_t i = (uint32_t)(old[k].hid >> 32) & mask;
            while (t->slots[i].hid != SLOT_EMPTY) {
                i = (i + 1) & mask;
            }
            t->slots[i] = old[k];
        }
    }
    free(old);
}

// stores the bytes of s (and a NUL) as the next id, without entering it in the slots
static int32_t store(LabStrTab *t, const char *s, size_t len)
{
    assert(t->n < INT32_MAX - 1);
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->off = lab_realloc(t->off, ((size_t)t->cap + 1) * sizeof *t->off);
        t->off[0] = 0; // a fresh table's first offset (unchanged afterwards)
    }
    if (t->nbytes + len + 1 > t->capbytes) {
        size_t cap = t->capbytes ? t->capbytes : 1024;
        while (t->nbytes + len + 1 > cap) {
            cap *= 2;
        }
        t->capbytes = cap;
        t->bytes = lab_realloc(t->bytes, cap);
    }
    memcpy(t->bytes + t->nbytes, s, len);
    t->bytes[t->nbytes + len] = '\0';
    t->nbytes += len + 1;
    int32_t id = t->n++;
    t->off[id + 1] = t->nbytes;
    return id;
}

int32_t lab_strtab_add_hashed(LabStrTab *t, const char *s, size_t len, uint64_t hash)
{
    uint32_t h = (uint32_t)hash;
    uint64_t key = slot_key(s, len);
    uint32_t slot = 0;
    if (t->slots) {
        slot = find_slot(t, s, len, h, key);
        if (t->slots[slot].hid != SLOT_EMPTY) {
            return (int32_t)(uint32_t)t->slots[slot].hid;
        }
    }
    if (((uint64_t)t->n + 1) * 2 > t->nslots) {
        grow_slots(t);
        slot = find_slot(t, s, len, h, key);
    }
    int32_t id = store(t, s, len);
    t->slots[slot].hid = (uint64_t)h << 32 | (uint32_t)id;
    t->slots[slot].key = key;
    return id;
}

int32_t lab_strtab_add(LabStrTab *t, const char *s, size_t len)
{
    return lab_strtab_add_hashed(t, s, len, lab_strtab_hash(s, len));
}

int32_t lab_strtab_append(LabStrTab *t, const char *s, size_t len)
{
    return store(t, s, len);
}

void lab_strtab_reserve(LabStrTab *t, int32_t n, size_t nbytes)
{
    assert(n >= 0);
    uint32_t ns = t->nslots ? t->nslots : 128;
    while ((uint64_t)ns < 2 * (uint64_t)n + 2) {
        ns *= 2;
    }
    if (ns > t->nslots) {
        while (t->nslots < ns) {
            grow_slots(t);
        }
    }
    if (n > t->cap) {
        t->cap = n;
        t->off = lab_realloc(t->off, ((size_t)t->cap + 1) * sizeof *t->off);
        t->off[0] = 0;
    }
    if (nbytes > t->capbytes) {
        t->capbytes = nbytes;
        t->bytes = lab_realloc(t->bytes, t->capbytes);
    }
}

uint32_t *lab_strtab_hashes(const LabStrTab *t)
{
    uint32_t *h = lab_calloc((size_t)t->n + 1, sizeof *h);
    for (uint32_t k = 0; k < t->nslots; k++) {
        if (t->slots[k].hid != SLOT_EMPTY) {
            h[(uint32_t)t->slots[k].hid] = (uint32_t)(t->slots[k].hid >> 32);
        }
    }
    return h;
}
