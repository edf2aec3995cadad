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
        int fleet;            /* 1: [fleet] or [fleet:once], one host of the fleet runs each fire
                               * time; 0: [fleet:no], this host runs it whatever jobs.fleet says */
};

struct env_var {
        char *name;
        char *value;
        unsigned line;
};

enum {
        ENTRY_USER = 1u << 0,  /* a user field (system tables) */
        ENTRY_INPUT = 1u << 1, /* a '%' in the command: standard input follows it */
        ENTRY_OPTS = 1u << 2,  /* per-job options: a struct job_opts before the schedule */
};

/* One entry, 40 bytes: a daemon holds one per job, a million of them on a large machine. Its
 * strings are one piece of the table's text block, read with the entry_*() functions below:
 *   [struct job_opts, 8-aligned, with ENTRY_OPTS] schedule \0 [user \0] command \0 [input \0] */
struct entry {
        struct sched sched;
        uint32_t line;        /* 1-based line in the table */
        uint32_t text;        /* offset of its strings in the table's text */
        uint16_t n_env;       /* the entry sees table->env[0 .. n_env), later names winning */
        uint16_t flags;       /* ENTRY_* */
};

struct crontab_strings; /* the blocks the environment and option names live in (crontab.c) */

struct crontab {
        struct entry *entries;
        size_t n_entries;
        struct env_var *env;
        size_t n_env;
        char *text;           /* the entries' strings (struct entry's text), text_len bytes */
        size_t text_len;
        struct crontab_strings *strings;
};

extern const struct job_opts crontab_no_opts; /* every option unset */

/* the options and time fields (or nickname) as written */
static inline const char *entry_schedule(const struct crontab *t, const struct entry *e) {
        return t->text + e->text;
}
/* system tables: the user field; NULL in user tables */
const char *entry_user(const struct crontab *t, const struct entry *e);
/* the command, up to the first unescaped '%', "\%" made '%' */
const char *entry_command(const struct crontab *t, const struct entry *e);
/* what follows that '%', each further '%' made a newline; or NULL */
const char *entry_input(const struct crontab *t, const struct entry *e);
static inline const struct job_opts *entry_opts(const struct crontab *t, const struct entry *e) {
        return e->flags & ENTRY_OPTS ? (const struct job_opts *) (const void *) (t->text + e->text - sizeof(struct job_opts))
                                     : &crontab_no_opts;
}

/* An entry with its strings found, as callers that read every field like it (tockctl, tests) */
struct entry_view {
        struct sched sched;
        const char *schedule, *user, *command, *input;
        struct job_opts opts;
        unsigned line;
        uint32_t n_env;
};
void entry_view(const struct crontab *t, const struct entry *e, struct entry_view *ret);

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
        /* Non-NULL: [fleet] (and [fleet:once]) are errors, with this reason (a tockd built
         * without the fleet's libraries). */
        const char *fleet_refused;
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
const char *crontab_env_get_n(const struct crontab *t, size_t n_env, const char *name);
const char *crontab_env_get(const struct crontab *t, const struct entry *e, const char *name);

/* The seed tock uses for a table's '~' values: a hash of the machine id and the table's absolute
 * path, so that a random value stays put across reloads and restarts on one machine and differs
 * between machines. Both may be NULL. */
uint64_t crontab_seed(const char *machine_id, const char *path);

/* Parses one schedule expression ("*\/5 * * * *" or "@daily"), as tockctl next takes it. */
int crontab_parse_expr(const char *expr, uint64_t seed, struct sched *ret, struct diag_list *diags);
