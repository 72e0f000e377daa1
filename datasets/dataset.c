// dataset.c: the shipped datasets: their names in one table, where their splits are, and
// how a --dataset argument is checked.
//
// A dataset NAME is the folder datasets/NAME/ under the lab's root, with train.txt, valid.txt
// and (but for tinyshakespeare) test.txt; datasets/README.md says where each comes from.
#include "datasets.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const DATASET_NAMES[DATASET_COUNT] = {"names", "tinyshakespeare", "timemachine",
                                                  "tangpoems"};

const char *dataset_list(void)
{
    static char list[256];
    if (!list[0]) {
        size_t used = 0;
        for (int i = 0; i < DATASET_COUNT; i++) {
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     DATASET_NAMES[i]);
        }
    }
    return list;
}

int dataset_name_ok(const char *name)
{
    return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

// The lab's root: $LMLAB_ROOT, else the directory of the running program (where make puts
// ./lmlab), else the working directory.
static char *lab_root(void)
{
    const char *env = getenv("LMLAB_ROOT");
    if (env && *env) {
        return lab_strdup(env);
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            // build/san/lmlab lives two levels below the root
            for (int up = 0; up < 3; up++) {
                char *probe = lab_path_join(exe, "datasets/README.md");
                int ok = access(probe, R_OK) == 0;
                free(probe);
                if (ok) {
                    return lab_strdup(exe);
                }
                slash = strrchr(exe, '/');
                if (!slash) {
                    break;
                }
                *slash = '\0';
            }
        }
    }
    return lab_strdup(".");
}

char *dataset_path(const char *name, const char *split)
{
    char *root = lab_root();
    char *p = lab_asprintf("%s/datasets/%s/%s.txt", root, name, split);
    free(root);
    return p;
}

char *dataset_resolve(const LabCommand *cmd, const char *name, const char *split,
                      const char *path_opt)
{
    if (!dataset_name_ok(name)) {
        char q[96];
        lab_usage_die(cmd, "--dataset takes a name such as '%s', not a path (got '%s')%s%s",
                      DATASET_NAMES[0], lab_quote(q, sizeof q, name, strlen(name)),
                      path_opt ? "; a path goes to --" : "", path_opt ? path_opt : "");
    }
    char *path = dataset_path(name, split);
    if (access(path, F_OK) == 0) {
        return path;
    }
    char *train = dataset_path(name, "train");
    int known = access(train, F_OK) == 0;
    free(train);
    free(path);
    if (!known) {
        const char *near = lab_closest(name, DATASET_NAMES, DATASET_COUNT);
        if (near) {
            lab_usage_die(cmd, "no dataset '%s' (did you mean '%s'?)", name, near);
        }
        lab_usage_die(cmd, "no dataset '%s' (shipped: %s)", name, dataset_list());
    }
    lab_usage_die(cmd, "dataset '%s' has no %s split", name, split);
}
