/* daemon/stats.c: what tockd remembers of a job's runs, for tockctl status, why and metrics. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tockd.h"

const struct job_stats job_stats_none = {
        .last_due_at = INT64_MIN,
        .last_at = INT64_MIN,
        .last_success_at = INT64_MIN,
        .running_since = INT64_MIN,
        .last_wstatus = -1,
        .last_duration_ms = -1,
};

struct job_stats *job_stats_new(void) {
        struct job_stats *s = malloc(sizeof(*s));

        if (!s)
                return NULL;
        *s = job_stats_none;
        s->refs = 1;
        return s;
}

struct job_stats *job_stats_get(struct job *j) {
        if (!j->stats && (j->stats = job_stats_new()))
                j->stats->job = j;
        return j->stats;
}

struct job_stats *job_stats_ref(struct job_stats *s) {
        if (s)
                s->refs++;
        return s;
}

void job_stats_unref(struct job_stats *s) {
        if (!s || --s->refs > 0)
                return;
        free(s->note);
        free(s->tail);
        free(s);
}

/* A job's event: logged, and kept in the same words as the job's note for tockctl why. */
int job_event(int level, const struct log_job *lj, struct job_stats *s, const char *fmt, ...) {
        va_list ap;
        char *text;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        log_job(level, lj, "%s", text);
        if (s) {
                free(s->note);
                s->note = text;
        } else
                free(text);
        return 0;
}

void job_stats_note(struct job_stats *s, const char *fmt, ...) {
        va_list ap;
        char *n;

        if (!s)
                return;
        va_start(ap, fmt);
        if (vasprintf(&n, fmt, ap) < 0)
                n = NULL;
        va_end(ap);
        free(s->note);
        s->note = n;
}

/* A scheduled run started: a note saying the job does not run ("not run: ...", from its table
 * or its last fire time) is no longer true, and tockctl why would show it beside the run. */
void job_stats_started(struct job_stats *s) {
        if (s && s->note && strncmp(s->note, "not run: ", 9) == 0) {
                free(s->note);
                s->note = NULL;
        }
}
