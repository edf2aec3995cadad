/* common/readfile.h: reading a whole file, bounded. tockd reads tables, kept versions and ids
 * with these; tockctl reads the tables it checks, installs and edits. */
#pragma once

#include <stddef.h>

/* Reads `fd` to its end into a new NUL-terminated buffer: 0, -EFBIG past `max` bytes (nothing
 * beyond max + 1 is read), -ENOMEM, or the read's -errno. */
int read_bounded(int fd, size_t max, char **ret, size_t *ret_len);

/* The first line of a small file (a boot id, the machine id): at most size - 1 bytes, without
 * its newline. 0 or -errno; on error buf is "". */
int read_first_line(const char *path, char *buf, size_t size);
