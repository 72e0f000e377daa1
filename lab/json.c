// json.c: one flat JSON object per line, for --json.
#include "lab.h"

#include <math.h>
#include <string.h>

void lab_json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned char b = p[i];
        int n = lab_utf8_seq(p + i, len - i);
        if (n == 0) {
            // JSON is UTF-8: a byte that is not (a file name in Latin-1, a cut character) is
            // the replacement character, as a UTF-8 decoder would show it
            fputs("\\ufffd", f);
            i++;
            continue;
        }
        switch (b) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (b < 0x20 || b == 0x7f) {
                fprintf(f, "\\u%04x", b);
            } else {
                fwrite(p + i, 1, (size_t)n, f);
            }
        }
        i += (size_t)n;
    }
    fputc('"', f);
}

void lab_json_begin(LabJson *j, FILE *f)
{
    j->f = f;
    j->n = 0;
    fputc('{', f);
}

static void key(LabJson *j, const char *k)
{
    if (j->n++) {
        fputs(", ", j->f);
    }
    lab_json_write_string(j->f, k);
    fputs(": ", j->f);
}

void lab_json_str(LabJson *j, const char *k, const char *val)
{
    key(j, k);
    if (val) {
        lab_json_write_string(j->f, val);
    } else {
        fputs("null", j->f);
    }
}

void lab_json_num(LabJson *j, const char *k, double val)
{
    key(j, k);
    if (isfinite(val)) {
        fprintf(j->f, "%.17g", val);
    } else {
        fputs("null", j->f);
    }
}

void lab_json_int(LabJson *j, const char *k, long long val)
{
    key(j, k);
    fprintf(j->f, "%lld", val);
}

void lab_json_end(LabJson *j)
{
    fputs("}\n", j->f);
}
