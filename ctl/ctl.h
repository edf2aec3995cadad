/* ctl/ctl.h: what tockctl's files share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crontab.h"
#include "tz.h"

/* Exit codes, documented in tockctl(1). */
enum {
        EXIT_OK = 0,
        EXIT_INVALID = 1, /* the table has errors; or a query found nothing */
        EXIT_USAGE = 2,   /* bad command line */
        EXIT_IO = 3,      /* a file or zone could not be read */
};

struct command {
        const char *name;
        const char *usage;
        const char *summary;
        int (*run)(int argc, char **argv);
};

int cmd_check(int argc, char **argv);
int cmd_next(int argc, char **argv);

/* out.c */
int read_input(const char *path, size_t max, char **ret_buf, size_t *ret_len); /* "-" is stdin */
void print_diags(const struct diag_list *d, const char *file, const char *text, size_t len);
void usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* zones.c */
int zone_load(const char *name, struct tz **ret_zone); /* NULL or "": the local zone */
int zone_check(const char *name, void *userdata);
uint64_t table_seed(const char *path);
