// config.c: the "key = value" file that records a run's options.
#include "lab.h"

#include <stdlib.h>
#include <string.h>

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
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->key[i], key) == 0) {
            free(c->val[i]);
            c->val[i] = val;
            return;
        }
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->key = lab_realloc(c->key, (size_t)c->cap * sizeof *c->key);
        c->val = lab_realloc(c->val, (size_t)c->cap * sizeof *c->val);
    }
    c->key[c->n] = lab_strdup(key);
    c->val[c->n] = val;
    c->n++;
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

int lab_config_write(const LabConfig *c, const char *path)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    for (int i = 0; i < c->n; i++) {
        fprintf(a.f, "%s = %s\n", c->key[i], c->val[i]);
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
    long lineno = 0;
    char *cursor = data;
    for (char *line; (line = lab_next_line(&cursor));) {
        lineno++;
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char *eq = strstr(line, " = ");
        if (!eq) {
            lab_error("'%s' line %ld: expected 'key = value'", path, lineno);
            free(data);
            lab_config_free(c);
            return -1;
        }
        *eq = '\0';
        lab_config_set(c, line, "%s", eq + 3);
    }
    free(data);
    return 0;
}

void lab_config_free(LabConfig *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->key[i]);
        free(c->val[i]);
    }
    free(c->key);
    free(c->val);
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
