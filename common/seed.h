/* common/seed.h: the seed of a table's '~' values, the same in tockd and tockctl. */
#pragma once

#include <stdint.h>

#define SEED_MACHINE_ID_MAX 64

/* Reads the first line of /etc/machine-id (at most SEED_MACHINE_ID_MAX - 1 bytes) into `id`;
 * "" when it cannot be read. */
void seed_machine_id(char id[static SEED_MACHINE_ID_MAX]);

/* The seed of the table at `path`: crontab_seed() of the machine id and the table's real path,
 * or the path as given when it cannot be resolved. `path` NULL: a table with no file. */
uint64_t seed_table(const char *machine_id, const char *path);
