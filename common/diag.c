/* common/diag.c: collecting and formatting file:line:col diagnostics. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

const char *diag_severity_to_string(enum diag_severity sev) {
        switch (sev) {
        case DIAG_ERROR:
                return "error";
        case DIAG_WARNING:
                return "warning";
        case DIAG_NOTE:
                return "note";
        }
        return "?";
}

int diag_add(struct diag_list *l, enum diag_severity sev, unsigned line, unsigned col, const char *fmt, ...) {
        va_list ap;
        char *msg;
        int r;

        if (sev == DIAG_ERROR)
                l->n_errors++;
        else if (sev == DIAG_WARNING)
                l->n_warnings++;
        if (l->n >= DIAG_MAX) {
                l->n_dropped++;
                return 0;
        }
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                struct diag *items = reallocarray(l->items, cap, sizeof(*items));
                if (!items)
                        return -ENOMEM;
                l->items = items;
                l->cap = cap;
        }
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        l->items[l->n++] = (struct diag) { .severity = sev, .line = line, .col = col, .msg = msg };
        return 0;
}

void diag_list_done(struct diag_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].msg);
        free(l->items);
        *l = (struct diag_list) {};
}

/* Finds line `line` (1-based) in text; sets its start and length without the line ending. */
static bool find_line(const char *text, size_t len, unsigned line, const char **ret_start, size_t *ret_len) {
        const char *p = text, *end = text + len;

        for (unsigned n = 1; n < line; n++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl)
                        return false;
                p = nl + 1;
        }
        if (p >= end)
                return false;
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        size_t l = nl ? (size_t) (nl - p) : (size_t) (end - p);
        if (l > 0 && p[l - 1] == '\r')
                l--;
        *ret_start = p;
        *ret_len = l;
        return true;
}

/* Copies a source line for display: control characters become '?', so a message never carries
 * terminal escapes from a table. Long lines are cut. */
static void put_source(FILE *f, const char *s, size_t n) {
        for (size_t i = 0; i < n && i < 512; i++)
                fputc(s[i] == '\t' || (unsigned char) s[i] >= 0x20 ? (s[i] == 0x7f ? '?' : s[i]) : '?', f);
        if (n > 512)
                fputs("...", f);
}

char *diag_format(const struct diag *d, const char *file, const char *text, size_t len) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        const char *ls;
        size_t ll;

        if (!f)
                return NULL;
        fprintf(f, "%s:", file ? file : "-");
        if (d->line > 0)
                fprintf(f, "%u:", d->line);
        if (d->line > 0 && d->col > 0)
                fprintf(f, "%u:", d->col);
        fprintf(f, " %s: %s\n", diag_severity_to_string(d->severity), d->msg);
        if (text && d->line > 0 && find_line(text, len, d->line, &ls, &ll)) {
                fputs("    ", f);
                put_source(f, ls, ll);
                fputc('\n', f);
                if (d->col > 0 && d->col - 1 <= MIN(ll, 512)) {
                        fputs("    ", f);
                        /* keep tabs so the caret lines up under the same column */
                        for (size_t i = 0; i + 1 < d->col; i++)
                                fputc(ls[i] == '\t' ? '\t' : ' ', f);
                        fputs("^\n", f);
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
