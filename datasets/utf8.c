// utf8.c: UTF-8 decoding and reading text files whole.
//
// Strict by default: an invalid byte is an error that names the file, the byte offset and the
// line, so a student finds it; --utf8 replace turns each invalid sequence into U+FFFD instead.
#include "datasets.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0) {
        return -1;
    }
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int len;
    uint32_t min, v;
    if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, v = c & 0x07;
    } else {
        return -1; // a continuation byte or 0xF8..0xFF
    }
    if ((size_t)len > n) {
        return -1;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return -1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return -1; // overlong, out of range, or a UTF-16 surrogate
    }
    *cp = v;
    return len;
}

int utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

// the 1-based line holding byte offset off
static long long line_of(const char *s, size_t off)
{
    long long line = 1;
    for (size_t i = 0; i < off; i++) {
        line += s[i] == '\n';
    }
    return line;
}

// "\r\n" -> "\n" in place; returns the new length
static size_t crlf_to_lf(char *s, size_t n)
{
    const char *cr = memchr(s, '\r', n); // most files have none: nothing moves before it
    size_t o = cr ? (size_t)(cr - s) : n;
    for (size_t i = o; i < n; i++) {
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
            continue;
        }
        s[o++] = s[i];
    }
    s[o] = '\0';
    return o;
}

int text_read(const char *path, Utf8Mode mode, char **text, size_t *len)
{
    char *buf;
    size_t n;
    *text = NULL;
    *len = 0;
    if (lab_read_file(path, &buf, &n, 0) != 0) {
        return -1;
    }
    char q[512]; // the name as messages show it
    lab_quote(q, sizeof q, path, strlen(path));
    if (n == 0) {
        free(buf);
        return lab_error("'%s' is empty", q);
    }
    if (memchr(buf, '\0', n)) {
        size_t off = (size_t)((char *)memchr(buf, '\0', n) - buf);
        free(buf);
        return lab_error_hint("lmlab reads UTF-8 text files",
                              "'%s' looks binary (a NUL byte at offset %zu)", q, off);
    }
    size_t skip = 0;
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        skip = 3; // a byte-order mark is not text
    }
    // first pass: find the first invalid sequence
    const unsigned char *u = (const unsigned char *)buf;
    size_t bad = n;
    for (size_t i = skip; i < n;) {
        uint64_t w; // eight ASCII bytes at a time: most text is mostly ASCII
        if (n - i >= 8 && (memcpy(&w, u + i, 8), (w & 0x8080808080808080ull) == 0)) {
            i += 8;
            continue;
        }
        uint32_t cp;
        int k = utf8_decode(u + i, n - i, &cp);
        if (k < 0) {
            bad = i;
            break;
        }
        i += (size_t)k;
    }
    if (bad < n && mode == UTF8_STRICT) {
        long long line = line_of(buf, bad);
        unsigned byte = u[bad];
        free(buf);
        return lab_error_hint("--utf8 replace reads it with U+FFFD in place of bad bytes",
                              "'%s' is not valid UTF-8 (byte 0x%02X at offset %zu, line %lld)",
                              q, byte, bad, line);
    }
    if (bad == n) {
        if (skip) {
            memmove(buf, buf + skip, n - skip + 1);
            n -= skip;
        }
        *len = crlf_to_lf(buf, n);
        *text = buf;
        return 0;
    }
    // replace mode: copy, turning each maximal invalid byte into U+FFFD (3 bytes each)
    char *out = lab_malloc(3 * n + 1);
    size_t o = 0;
    for (size_t i = skip; i < n;) {
        uint32_t cp;
        int k = utf8_decode(u + i, n - i, &cp);
        if (k < 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += 1;
        } else {
            memcpy(out + o, buf + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        }
    }
    out[o] = '\0';
    free(buf);
    *len = crlf_to_lf(out, o);
    *text = out;
    return 0;
}

// Unicode White_Space code points and the information separators U+001C..U+001F: what
// Python's str.split() splits on
static int is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000 || (cp >= 0x1C && cp <= 0x1F);
}

long long text_count_words(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    long long words = 0;
    int in_word = 0;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) { // ASCII, the common byte: no decoding (is_space's ASCII members)
            unsigned b = u[i];
            int sp = (b >= 0x09 && b <= 0x0D) || b == 0x20 || (b >= 0x1C && b <= 0x1F);
            words += !sp && !in_word;
            in_word = !sp;
            i++;
            continue;
        }
        uint32_t cp;
        int k = utf8_decode(u + i, n - i, &cp);
        if (k < 0) {
            cp = 0xFFFD;
            k = 1;
        }
        if (is_space(cp)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
        i += (size_t)k;
    }
    return words;
}
