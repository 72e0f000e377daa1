// textpieces.c: a text file read in pieces of whole lines, for counting in bounded memory.
//
// What text_read does to a whole file, done to one piece at a time: the same refusals (a
// missing file, a directory, an empty file, a NUL byte, invalid UTF-8 under UTF8_STRICT, with
// the offset and line counted from the start of the file), a byte-order mark dropped, CRLF read
// as LF, invalid sequences as U+FFFD under UTF8_REPLACE. A piece ends after a newline, so no
// UTF-8 sequence and no CRLF is cut in two, and tokenizing the pieces one after the other
// gives the tokens of the whole text. Left out: pipes (counting reads the text twice).
#include "datasets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int text_pieces_open(TextPieces *tp, const char *path, Utf8Mode mode, size_t piece_bytes)
{
    memset(tp, 0, sizeof *tp);
    tp->fd = -1;
    char q[512];
    lab_quote(q, sizeof q, path, strlen(path));
    struct stat st;
    if (stat(path, &st) != 0) {
        return lab_error("cannot open '%s': %s", q, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        return lab_error("'%s' is a directory, not a file", q);
    }
    if (!S_ISREG(st.st_mode)) {
        return lab_error_hint("give the text as a file",
                              "'%s' is not a regular file: counting "
                              "in bounded memory reads the text twice",
                              q);
    }
    if (st.st_size == 0) {
        return lab_error("'%s' is empty", q);
    }
    tp->fd = open(path, O_RDONLY);
    if (tp->fd < 0) {
        return lab_error("cannot open '%s': %s", q, strerror(errno));
    }
    tp->path = lab_strdup(path);
    tp->mode = mode;
    tp->cap = piece_bytes;
    tp->buf = lab_malloc(tp->cap + 1);
    // replace mode: 3 bytes of U+FFFD for each invalid byte
    tp->out = lab_malloc((mode == UTF8_REPLACE ? 3 : 1) * tp->cap + 1);
    tp->line = 1;
    return 0;
}

void text_pieces_close(TextPieces *tp)
{
    if (tp->path && tp->fd >= 0) {
        close(tp->fd);
    }
    free(tp->path);
    free(tp->buf);
    free(tp->out);
    memset(tp, 0, sizeof *tp);
    tp->fd = -1;
}

// fills buf up to cap from the file; -1 with a message on a read error
static int fill(TextPieces *tp)
{
    while (!tp->eof && tp->len < tp->cap) {
        ssize_t r = read(tp->fd, tp->buf + tp->len, tp->cap - tp->len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            char q[512];
            return lab_error("cannot read '%s': %s",
                             lab_quote(q, sizeof q, tp->path, strlen(tp->path)), strerror(errno));
        }
        if (r == 0) {
            tp->eof = 1;
        }
        tp->len += (size_t)r;
    }
    return 0;
}

int text_pieces_next(TextPieces *tp, const char **text, size_t *len)
{
    // what the last piece left behind (a part of a line) goes to the front
    memmove(tp->buf, tp->buf + tp->used, tp->len - tp->used);
    tp->len -= tp->used;
    tp->used = 0;
    if (fill(tp) != 0) {
        return -1;
    }
    if (tp->len == 0) {
        return 0;
    }
    char q[512];
    lab_quote(q, sizeof q, tp->path, strlen(tp->path));
    // the piece: up to the last newline, or all that is left at the end of the file
    size_t n = tp->len;
    if (!tp->eof) {
        while (n > 0 && tp->buf[n - 1] != '\n') {
            n--;
        }
        if (n == 0) {
            return lab_error_hint(tp->hint,
                                  "'%s' line %lld is longer than the %zu bytes read "
                                  "at once",
                                  q, tp->line, tp->cap);
        }
    }
    char *s = tp->buf;
    const unsigned char *u = (const unsigned char *)s;
    char *nul = memchr(s, '\0', n);
    if (nul) {
        return lab_error_hint("lmlab reads UTF-8 text files",
                              "'%s' looks binary (a NUL byte at offset %lld)", q,
                              tp->offset + (long long)(nul - s));
    }
    size_t skip = 0;
    if (tp->offset == 0 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        skip = 3; // a byte-order mark is not text
    }
    size_t o = 0;
    for (size_t i = skip; i < n;) {
        uint32_t cp;
        int k = utf8_decode(u + i, n - i, &cp);
        if (k < 0 && tp->mode == UTF8_STRICT) {
            long long line = tp->line;
            for (size_t j = 0; j < i; j++) {
                line += s[j] == '\n';
            }
            return lab_error_hint("--utf8 replace reads it with U+FFFD in place of bad bytes",
                                  "'%s' is not valid UTF-8 (byte 0x%02X at offset %lld, line "
                                  "%lld)",
                                  q, u[i], tp->offset + (long long)i, line);
        }
        if (k < 0) {
            memcpy(tp->out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += 1;
            continue;
        }
        // CRLF reads as LF
        if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')) {
            memcpy(tp->out + o, s + i, (size_t)k);
            o += (size_t)k;
        }
        i += (size_t)k;
    }
    tp->out[o] = '\0';
    for (size_t j = 0; j < n; j++) {
        tp->line += s[j] == '\n';
    }
    tp->offset += (long long)n;
    tp->used = n;
    *text = tp->out;
    *len = o;
    return 1;
}
