/* daemon/metrics.c: the Prometheus text exposition format, for tockctl metrics and for
 * node_exporter's textfile collector (paths.metrics_file). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"
#include "util.h"

/* label values escape backslash, double quote and newline */
static void put_label(FILE *f, const char *name, const char *v, bool first) {
        fprintf(f, "%s%s=\"", first ? "" : ",", name);
        for (; v && *v; v++) {
                if (*v == '\\' || *v == '"')
                        fprintf(f, "\\%c", *v);
                else if (*v == '\n')
                        fputs("\\n", f);
                else
                        fputc(*v, f);
        }
        fputc('"', f);
}

static void put_labels(FILE *f, const struct job *j) {
        char line[16];

        snprintf(line, sizeof line, "%u", job_entry(j)->line);
        fputc('{', f);
        put_label(f, "table", j->table->name, true);
        put_label(f, "line", line, false);
        put_label(f, "user", job_user(j), false);
        if (job_opts(j)->name)
                put_label(f, "name", job_opts(j)->name, false);
        fputc('}', f);
}

struct family {
        const char *name, *type, *help;
};

static const struct family families[] = {
        { "tock_job_runs_total", "counter", "Runs started by the schedule, per job." },
        { "tock_job_failures_total", "counter", "Runs that ended with a non-zero status, a signal or a failure to start." },
        { "tock_job_last_success_timestamp_seconds", "gauge", "Start of the last run that exited 0." },
        { "tock_job_last_duration_seconds", "gauge", "Duration of the last run that ended." },
        { "tock_job_running", "gauge", "Whether a scheduled run of the job is going on." },
};

char *metrics_text(struct daemon *d, const char *only_user) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        for (size_t fi = 0; fi < ELEMENTSOF(families); fi++) {
                fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", families[fi].name, families[fi].help, families[fi].name,
                        families[fi].type);
                const struct job *j;
                FOREACH_JOB(d, j) {
                        const struct job_stats *s = job_stats_view(j);
                        const char *user = job_user(j);
                        if (!s || (only_user && !streq(user, only_user)))
                                continue;
                        if (fi == 2 && s->last_success_at == INT64_MIN)
                                continue;
                        if (fi == 3 && s->last_duration_ms < 0)
                                continue;
                        fputs(families[fi].name, f);
                        put_labels(f, j);
                        switch (fi) {
                        case 0:
                                fprintf(f, " %u\n", s->runs);
                                break;
                        case 1:
                                fprintf(f, " %u\n", s->failures);
                                break;
                        case 2:
                                fprintf(f, " %lld\n", (long long) s->last_success_at);
                                break;
                        case 3:
                                fprintf(f, " %.3f\n", (double) s->last_duration_ms / 1000.0);
                                break;
                        default:
                                fprintf(f, " %d\n", s->running_pid ? 1 : 0);
                                break;
                        }
                }
        }
        if (only_user)
                goto done; /* the daemon-wide figures are root's */
        fprintf(f, "# HELP tock_running_jobs Job processes tockd is waiting for.\n# TYPE tock_running_jobs gauge\n"
                   "tock_running_jobs %zu\n",
                d->runs.n_running);
        fprintf(f, "# HELP tock_queue_length Jobs waiting for their next fire time.\n# TYPE tock_queue_length gauge\n"
                   "tock_queue_length %zu\n",
                d->sched.queue.n);
        fprintf(f, "# HELP tock_tables Tables loaded.\n# TYPE tock_tables gauge\ntock_tables %zu\n", d->tables.n);
        fleet_metrics(d, f);
done:
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static void metrics_write(struct daemon *d) {
        _cleanup_free_ char *text = NULL;
        int r;

        d->metrics.written_ns = now_mono_ns();
        text = metrics_text(d, NULL);
        if (!text)
                return;
        r = write_atomic(d->cfg.metrics_file, text, strlen(text), (uid_t) -1, (gid_t) -1, 0644);
        if (r < 0)
                log_warning_errno(r, "cannot write metrics to %s", d->cfg.metrics_file);
}

static void metrics_fire(struct daemon *d, struct timer *t) {
        (void) t;
        metrics_write(d);
}

void metrics_init(struct daemon *d) {
        timer_init(&d->metrics.timer, metrics_fire);
}

/* Rewrites paths.metrics_file atomically, at most once a second: a change within a second of the
 * last write is written when that second is over, so the file never keeps an older state while
 * nothing else happens (node_exporter would report a job as running for hours). */
void metrics_changed(struct daemon *d) {
        int64_t next = d->metrics.written_ns + 1000000000LL;

        if (!d->cfg.metrics_file || !*d->cfg.metrics_file || timer_is_set(d, &d->metrics.timer))
                return;
        if (d->metrics.written_ns && now_mono_ns() < next) {
                if (timer_set(d, &d->metrics.timer, next) < 0)
                        log_warning("out of memory: %s is written at the next change", d->cfg.metrics_file);
                return;
        }
        metrics_write(d);
}
