// quote.c: printable copies of untrusted bytes, for messages and JSON.
//
// A file name or a line from a bad file may hold control bytes (which would move the cursor
// or change the colours of the student's terminal) or invalid UTF-8. lab_quote shows them as
// \xHH and keeps valid UTF-8 as it is, so a message can quote any input safely.
#include "lab.h"

#include <string.h>

int lab_utf8_seq(const unsigned char *s, size_t n)
{
    if (n == 0) {
        return 0;
    }
    unsigned char c = s[0];
    if (c < 0x80) {
        return 1;
    }
    int len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0; // a continuation byte, an overlong lead (c0, c1) or beyond U+10FFFF
    }
    if ((size_t)len > n) {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    // overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

// The bytes that stand for s[0..len) at its start: *shown is how many characters they print
// as, the return value how many input bytes they consume.
static size_t unit(const unsigned char *s, size_t len, size_t *shown)
{
    int n = lab_utf8_seq(s, len);
    // C0 controls, DEL and the C1 controls (U+0080..U+009F, 0xc2 0x80..0x9f) are escaped
    if (n == 0 || s[0] < 0x20 || s[0] == 0x7f || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)) {
        *shown = 4;
        return 1;
    }
    *shown = (size_t)n;
    return (size_t)n;
}

static char *put(char *out, const unsigned char *s, size_t used, size_t shown)
{
    static const char hex[] = "0123456789abcdef";
    if (shown == used) {
        memcpy(out, s, used);
        return out + used;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[s[0] >> 4];
    out[3] = hex[s[0] & 15];
    return out + 4;
}

const char *lab_quote(char *buf, size_t cap, const char *s, size_t len)
{
    if (cap == 0) {
        return buf;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t total = 0;
    for (size_t i = 0, shown; i < len; total += shown) {
        i += unit(p + i, len - i, &shown);
    }
    // when everything fits it is all written; otherwise whole units up to cap - 4, then "..."
    size_t limit = total <= cap - 1 ? cap - 1 : (cap >= 4 ? cap - 4 : 0);
    char *out = buf;
    size_t i = 0;
    while (i < len) {
        size_t shown, used = unit(p + i, len - i, &shown);
        if ((size_t)(out - buf) + shown > limit) {
            break;
        }
        out = put(out, p + i, used, shown);
        i += used;
    }
    if (i < len && cap >= 4) {
        memcpy(out, "...", 3);
        out += 3;
    }
    *out = '\0';
    return buf;
}
