// compare.h: `lmlab compare` (compare.c), the one command that knows every model family.
// Part of the program, not of the library: lmlab.c lists it in its table of commands.
#ifndef COMPARE_H
#define COMPARE_H

// `lmlab compare`: trains every family on one dataset and prints the table. argv[0] is
// "compare". Returns the exit status: 0, or 1 when a chart could not be written; a family
// that fails or a usage error exits (1 or 2).
int compare_cmd(int argc, char **argv);

#endif
