/* common/diag.h: diagnostics (file:line:col messages) collected by the pure core.
 *
 * The parser never prints and never stops at the first problem: it appends to a diag_list, and
 * the caller prints the list (tockctl) or logs it (tockd). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum diag_severity {
        DIAG_ERROR,
        DIAG_WARNING,
        DIAG_NOTE,
};

struct diag {
        enum diag_severity severity;
        unsigned line; /* 1-based; 0 when the message is about the whole input */
        unsigned col;  /* 1-based byte column; 0 when the message is about the whole line */
        char *msg;
};

/* At most DIAG_MAX messages are kept; past that only the counters grow (a table of a million bad
 * lines must not make a million messages). */
#define DIAG_MAX 1000

struct diag_list {
        struct diag *items;
        size_t n, cap;
        size_t n_errors, n_warnings, n_dropped;
};

/* Appends a message. Returns 0, or -ENOMEM (the counters still count it). */
_printf_(5, 6) int diag_add(struct diag_list *l, enum diag_severity sev, unsigned line, unsigned col,
                            const char *fmt, ...);
void diag_list_done(struct diag_list *l);
const char *diag_severity_to_string(enum diag_severity sev);

/* Formats one message the way compilers do, into a new string:
 *     FILE:LINE:COL: error: MESSAGE
 *         the offending line
 *             ^
 * `text`/`len` is the whole input the line numbers refer to (NULL: no source lines shown).
 * Returns NULL on out-of-memory. */
char *diag_format(const struct diag *d, const char *file, const char *text, size_t len);
