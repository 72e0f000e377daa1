// quote.c: file content made safe to print inside a message.
//
// A reader that quotes what it found ("expected a number, got '...'") must not send a
// terminal escape sequence, a carriage return that overwrites the line, or bytes that are not
// UTF-8 to the student's terminal. Left out: any notion of display width.
#include "lab.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

// The length of the valid UTF-8 sequence at s[0..n) that encodes a printable code point
// (U+00A0 and up: no C1 control), or 0.
static size_t utf8_printable(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t min, v;
    if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, v = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v < 0xA0) {
        return 0; // overlong, out of range, a UTF-16 surrogate, or a C1 control
    }
    return len;
}

// The escaped form of the character at u[i..len) into piece; returns its length and sets
// *used to the bytes of u it stands for.
static size_t quote_piece(char *piece, const unsigned char *u, size_t i, size_t len, size_t *used)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char c = u[i];
    *used = 1;
    if (c == '\\') {
        memcpy(piece, "\\\\", 2);
        return 2;
    }
    if (c == '\t' || c == '\n' || c == '\r') {
        piece[0] = '\\', piece[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        return 2;
    }
    if (c >= 0x20 && c < 0x7F) {
        piece[0] = (char)c;
        return 1;
    }
    size_t n = c >= 0x80 ? utf8_printable(u + i, len - i) : 0;
    if (n > 0) {
        memcpy(piece, u + i, n);
        *used = n;
        return n;
    }
    piece[0] = '\\', piece[1] = 'x', piece[2] = hex[c >> 4], piece[3] = hex[c & 15];
    return 4;
}

const char *lab_quote(char *buf, size_t cap, const char *s, size_t len)
{
    assert(cap >= 8);
    const unsigned char *u = (const unsigned char *)s;
    char piece[8];
    size_t used, whole = 0;
    for (size_t i = 0; i < len && whole < cap; i += used) {
        whole += quote_piece(piece, u, i, len, &used);
    }
    // all of it when it fits, else as much as leaves room for "..." and the NUL
    size_t limit = whole < cap ? cap - 1 : cap - 4, o = 0;
    for (size_t i = 0; i < len; i += used) {
        size_t n = quote_piece(piece, u, i, len, &used);
        if (o + n > limit) {
            break;
        }
        memcpy(buf + o, piece, n);
        o += n;
    }
    if (whole >= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}
