// json.c: one flat JSON object per line, for --json.
#include "lab.h"

#include <math.h>

void lab_json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f);
            }
        }
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
