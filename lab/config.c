// config.c: the "key = value" file that records a run's options.
//
// Values are escaped on write (\n \t \r \\ and \xHH for other control bytes and bytes that
// are not UTF-8), so a file name or a --pattern holding a newline keeps its line, and the
// file stays printable UTF-8. The first line marks an escaped file; a file without it (written
// before escaping) is read as it stands.
#include "lab.h"

#include <stdlib.h>
#include <string.h>

#define CONFIG_MAGIC "# lmlab config 2: values escaped as in docs/formats.md"

static void config_put(LabConfig *c, const char *key, char *val, int line)
{
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->key[i], key) == 0) {
            free(c->val[i]);
            c->val[i] = val;
            c->line[i] = line;
            return;
        }
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->key = lab_realloc(c->key, (size_t)c->cap * sizeof *c->key);
        c->val = lab_realloc(c->val, (size_t)c->cap * sizeof *c->val);
        c->line = lab_realloc(c->line, (size_t)c->cap * sizeof *c->line);
    }
    c->key[c->n] = lab_strdup(key);
    c->val[c->n] = val;
    c->line[c->n] = line;
    c->n++;
}

void lab_config_set(LabConfig *c, const char *key, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *val = lab_malloc((size_t)n + 1);
    vsnprintf(val, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    config_put(c, key, val, 0);
}

const char *lab_config_get(const LabConfig *c, const char *key)
{
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->key[i], key) == 0) {
            return c->val[i];
        }
    }
    return NULL;
}

int lab_config_line(const LabConfig *c, const char *key)
{
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->key[i], key) == 0) {
            return c->line[i];
        }
    }
    return 0;
}

void lab_config_escape(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned char b = p[i];
        int n = lab_utf8_seq(p + i, len - i);
        if (b == '\\') {
            fputs("\\\\", f);
        } else if (b == '\n') {
            fputs("\\n", f);
        } else if (b == '\t') {
            fputs("\\t", f);
        } else if (b == '\r') {
            fputs("\\r", f);
        } else if (b < 0x20 || b == 0x7f || n == 0) {
            fprintf(f, "\\x%02x", b);
        } else {
            fwrite(p + i, 1, (size_t)n, f);
            i += (size_t)n;
            continue;
        }
        i++;
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int lab_config_unescape(char *s)
{
    char *out = s;
    for (char *p = s; *p; p++) {
        if (*p != '\\') {
            *out++ = *p;
            continue;
        }
        p++;
        switch (*p) {
        case '\\': *out++ = '\\'; break;
        case 'n': *out++ = '\n'; break;
        case 't': *out++ = '\t'; break;
        case 'r': *out++ = '\r'; break;
        case 'x': {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0 || (hi == 0 && lo == 0)) {
                return -1; // \x without two hex digits, or a NUL that would cut the value
            }
            *out++ = (char)(hi * 16 + lo);
            p += 2;
            break;
        }
        default:
            return -1; // includes a lone backslash at the end
        }
    }
    *out = '\0';
    return 0;
}

int lab_config_write(const LabConfig *c, const char *path)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    fprintf(a.f, "%s\n", CONFIG_MAGIC);
    for (int i = 0; i < c->n; i++) {
        fprintf(a.f, "%s = ", c->key[i]);
        lab_config_escape(a.f, c->val[i]);
        fputc('\n', a.f);
    }
    return lab_atomic_commit(&a);
}

int lab_config_read(LabConfig *c, const char *path)
{
    char *data;
    size_t len;
    memset(c, 0, sizeof *c);
    if (lab_read_file(path, &data, &len, 1 << 20) != 0) {
        return -1;
    }
    if (memchr(data, '\0', len)) {
        free(data);
        char q[512];
        return lab_error("'%s' holds a NUL byte: it is not a config file",
                         lab_quote(q, sizeof q, path, strlen(path)));
    }
    int escaped = strncmp(data, CONFIG_MAGIC "\n", strlen(CONFIG_MAGIC) + 1) == 0 ||
                  strcmp(data, CONFIG_MAGIC) == 0;
    long lineno = 0;
    char *cursor = data;
    for (char *line; (line = lab_next_line(&cursor));) {
        lineno++;
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char *eq = strstr(line, " = ");
        char q[96], qp[512];
        lab_quote(qp, sizeof qp, path, strlen(path));
        if (!eq) {
            lab_error("'%s' line %ld: expected 'key = value', got '%s'", qp, lineno,
                      lab_quote(q, sizeof q, line, strlen(line)));
            goto fail;
        }
        *eq = '\0';
        char *val = eq + 3;
        if (escaped && lab_config_unescape(val) != 0) {
            lab_error_hint("a backslash starts \\n \\t \\r \\\\ or \\xHH (not \\x00)",
                           "'%s' line %ld: bad escape in the value of '%s'", qp, lineno,
                           lab_quote(q, sizeof q, line, strlen(line)));
            goto fail;
        }
        config_put(c, line, lab_strdup(val), (int)lineno);
    }
    free(data);
    return 0;
fail:
    free(data);
    lab_config_free(c);
    return -1;
}

void lab_config_free(LabConfig *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->key[i]);
        free(c->val[i]);
    }
    free(c->key);
    free(c->val);
    free(c->line);
    memset(c, 0, sizeof *c);
}

int lab_config_check_run(const char *dir, const LabConfig *cfg, int force)
{
    char *path = lab_path_join(dir, "config");
    FILE *probe = fopen(path, "rb");
    if (!probe || force) {
        if (probe) {
            fclose(probe);
        }
        free(path);
        return 0;
    }
    fclose(probe);
    LabConfig old = {0};
    int rc = 0;
    if (lab_config_read(&old, path) != 0) {
        rc = lab_error_hint("--force replaces it; --out DIR writes the new run elsewhere",
                            "'%s' holds a run whose config cannot be read", dir);
        goto done;
    }
    for (int i = 0; i < cfg->n; i++) {
        const char *was = lab_config_get(&old, cfg->key[i]);
        if (!was || strcmp(was, cfg->val[i]) != 0) {
            rc = lab_error_hint("--force replaces it; --out DIR writes the new run elsewhere",
                                "'%s' holds a run of another configuration (%s: %s%s%s "
                                "there, '%s' here)",
                                dir, cfg->key[i], was ? "'" : "", was ? was : "unset",
                                was ? "'" : "", cfg->val[i]);
            goto done;
        }
    }
done:
    lab_config_free(&old);
    free(path);
    return rc;
}
