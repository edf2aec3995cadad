/* common/crontab.h: crontab text -> struct crontab + diagnostics.
 *
 * Reads what cronie and Debian's cron read: user tables (5 time fields + command) and system
 * tables (5 time fields + user + command), nicknames, environment lines, '%' input, comments,
 * CRLF, a missing final newline. tock's own extensions (per-job options in a leading "[...]")
 * are written so that no table valid for cron changes meaning. Pure: bytes in, structs out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "sched.h"

enum crontab_mode {
        CRONTAB_USER,   /* minute hour dom month dow command */
        CRONTAB_SYSTEM, /* minute hour dom month dow user command (/etc/crontab, /etc/cron.d) */
        CRONTAB_EXPR,   /* one schedule, no command (crontab_parse_expr) */
};

/* Limits against abuse; each has a clear error. The defaults are far above any real table. */
#define CRONTAB_MAX_LINE    8192u          /* bytes in one line */
#define CRONTAB_MAX_ENTRIES 100000u        /* entries in one table */
#define CRONTAB_MAX_BYTES   (16u << 20)    /* bytes in one table */
#define CRONTAB_MAX_ENV     1000u          /* environment lines in one table */
#define CRONTAB_MAX_DIGITS  99u            /* digits in one number of a time field, Debian's limit */

enum overlap {
        OVERLAP_UNSET,
        OVERLAP_RUN,   /* start another run beside the one still going (cron's behaviour) */
        OVERLAP_SKIP,  /* skip this run, and log it */
        OVERLAP_QUEUE, /* start it when the running one ends; at most one waits */
};

/* Per-job options from "[key:value ...]" in front of the schedule. Unset values are -1 (or
 * OVERLAP_UNSET, NULL) and come from the daemon's config. */
struct job_opts {
        char *name;           /* a name to refer to the job by (tockctl run NAME) */
        int64_t timeout_s;    /* stop the run after this many seconds */
        int64_t jitter_s;     /* start up to this many seconds late, at random */
        enum overlap overlap; /* what to do when the previous run is still going */
        int catchup;          /* 1: run once at start if a fire time was missed while down */
};

struct env_var {
        char *name;
        char *value;
        unsigned line;
};

struct entry {
        struct sched sched;
        char *schedule;       /* the options and time fields (or nickname) as written */
        char *user;           /* system tables: the user field; NULL in user tables */
        char *command;        /* the command, up to the first unescaped '%', "\%" made '%' */
        char *input;          /* what follows that '%', each further '%' made a newline; or NULL */
        struct job_opts opts;
        unsigned line;        /* 1-based line in the table */
        uint32_t n_env;       /* the entry sees table->env[0 .. n_env), later names winning */
};

struct crontab_strings; /* the blocks every string of the table lives in (crontab.c) */

struct crontab {
        struct entry *entries;
        size_t n_entries;
        struct env_var *env;
        size_t n_env;
        struct crontab_strings *strings;
};

struct crontab_opts {
        enum crontab_mode mode;
        /* Seed for '~' (random value in a range). The same seed gives the same values, so a
         * daemon can keep a job's random minute stable across reloads. */
        uint64_t seed;
        /* Called for each CRON_TZ value; returns 0 if the zone exists, negative errno if not.
         * NULL: zone names are not checked. */
        int (*zone_check)(const char *name, void *userdata);
        void *userdata;
        /* 0 means the CRONTAB_MAX_* default. */
        size_t max_line, max_entries, max_bytes;
};

/* Parses a whole table. Every problem goes to `diags` (errors and warnings, not only the first).
 * Returns 0 and sets *ret_table when the table has no error; -EINVAL when it has errors (then
 * *ret_table is untouched: a table is taken whole or not at all); -ENOMEM. */
int crontab_parse(const char *text, size_t len, const struct crontab_opts *opts, struct crontab **ret_table,
                  struct diag_list *diags);

struct crontab *crontab_free(struct crontab *t);
static inline void crontab_freep(struct crontab **t) {
        if (*t)
                crontab_free(*t);
}

/* The value of environment variable `name` as entry `e` sees it, or NULL. */
const char *crontab_env_get(const struct crontab *t, const struct entry *e, const char *name);

/* The seed tock uses for a table's '~' values: a hash of the machine id and the table's absolute
 * path, so that a random value stays put across reloads and restarts on one machine and differs
 * between machines. Both may be NULL. */
uint64_t crontab_seed(const char *machine_id, const char *path);

/* Parses one schedule expression ("*\/5 * * * *" or "@daily"), as tockctl next takes it. */
int crontab_parse_expr(const char *expr, uint64_t seed, struct sched *ret, struct diag_list *diags);
