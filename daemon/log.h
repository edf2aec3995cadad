/* daemon/log.h: the only way tockd says anything. log.c alone knows whether lines go to the
 * journal (with structured fields), syslog, stderr or stdout. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <syslog.h>
#include <sys/types.h>

#include "tockd.h"

/* `format` applies to stdout and stderr; json with target auto means stdout. */
void log_setup(enum log_target target, int max_level, enum log_format format);
enum log_target log_target_in_use(void);

/* Logs a message; with err != 0 appends ": strerror(err)". Returns -|err| (or 0), so that
 * `return log_errno(r, "...")` logs once and passes the error on. */
int log_full(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) log_full(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, 0, __VA_ARGS__)
#define log_errno(r, ...) log_full(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full(LOG_WARNING, (r), __VA_ARGS__)

/* What is known of a job when it is logged; absent fields are NULL / 0 / -1. */
struct log_job {
        const char *table;
        unsigned line;
        const char *user;
        const char *command;
        pid_t pid;
        int exit_status;     /* -1 unknown */
        int signal;          /* 0 none */
        int64_t duration_ms; /* -1 unknown */
        const char *name;    /* its [name:...], or NULL */
        const char *event;   /* for JSON logs: "started", "ended", "output"; NULL for other messages */
};

int log_job(int level, const struct log_job *j, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One line a job printed (`len` bytes, no newline), on `stream` ("stdout", "stderr", or "output"
 * when both share a pipe): "output: LINE" in text, its own object with JSON. */
void log_job_output(const struct log_job *j, const char *stream, const char *line, size_t len);

/* A job's table and line, as the scheduler's messages name it (no user, no pid) */
static inline struct log_job log_job_of(const struct job *j) {
        return (struct log_job) { .table = j->table->name, .line = job_entry(j)->line, .exit_status = -1, .duration_ms = -1,
                                  .name = job_opts(j)->name };
}
