/* daemon/request.c: tockctl's requests: the table of them, who may send each, and the handlers.
 *
 * As the table atop OpenSSH's monitor.c: one row per request type says what it is called, who may
 * send it (enum access_rule, access.c), which fds come with it and which function answers it. The
 * dispatcher decodes the body (common/proto.c), checks the fds, then applies the row's rule ONCE;
 * a handler runs only when the caller may, and receives the user the request is about already
 * resolved. Error messages and errno values are part of what tockctl and the tests see. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "heap.h"
#include "log.h"
#include "proto.h"
#include "tockd.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* What a handler is given: the decoded body and the user it is about (see enum access_rule). */
struct request_ctx {
        struct daemon *d;
        struct client *c;
        const struct caller *by;
        const struct proto_request *q;
        const char *user; /* NULL (ANYONE, ROOT), "" (root, every user), or a user the caller may name */
};

/* ---- replies ---- */

static void reply_spool(const struct request_ctx *x, int r, struct spool_result *res) {
        if (r == 0)
                control_reply_ok(x->d, x->c, res->msg ? res->msg : "");
        else if (res->refused) {
                struct proto_buf b = {};
                proto_put_diags(&b, &(struct proto_diags) { .text = res->text, .list = res->diags });
                control_send(x->d, x->c, &b);
        } else
                control_reply_error(x->d, x->c, r, "%s", res->msg ? res->msg : "out of memory");
        spool_result_done(res);
}

/* A job as STATUS and WHY carry it; the strings are borrowed from the job. */
static struct proto_job job_record(const struct daemon *d, const struct job *j) {
        const struct job_stats *s = job_stats_view(j);
        int64_t at = PROTO_NO_TIME;

        return (struct proto_job) {
                .table = j->table->name,
                .line = job_entry(j)->line,
                .name = job_opts(j)->name,
                .user = (char *) job_user(j),
                .schedule = (char *) job_schedule(j),
                .command = (char *) job_command(j),
                .zone = (char *) (job_zone(j) ? tz_name(job_zone(j)) : ""),
                .next_at = job_queued(j) ? j->node.at : PROTO_NO_TIME,
                .last_at = s ? s->last_at : PROTO_NO_TIME,
                .last_wstatus = s ? s->last_wstatus : -1,
                .last_duration_ms = s ? s->last_duration_ms : -1,
                .last_success_at = s ? s->last_success_at : PROTO_NO_TIME,
                .runs = s ? s->runs : 0,
                .failures = s ? s->failures : 0,
                .running_pid = s ? s->running_pid : 0,
                .running_since = s && s->running_pid ? s->running_since : PROTO_NO_TIME,
                .fleet_host = (char *) fleet_elsewhere(d, j, &at),
                .fleet_at = at,
        };
}

/* Every job in every table: what the lists below are sized for. */
static size_t jobs_in_tables(const struct daemon *d) {
        size_t n = 0;
        for (size_t i = 0; i < d->tables.n; i++)
                n += d->tables.v[i]->n_jobs;
        return n;
}

/* root naming nobody sees every job; everyone else the jobs that run as `user` */
static bool listed(const struct request_ctx *x, const struct job *j) {
        return (x->by->uid == 0 && !*x->user) || access_job_visible(x->by, j, x->user);
}

/* ---- tables in the spool ---- */

static void req_list(const struct request_ctx *x) {
        _cleanup_free_ char *text = NULL;
        struct spool_result res = {};
        struct proto_buf b = {};
        size_t len;
        int r = spool_read(x->d, x->user, &text, &len, &res);

        if (r < 0)
                return reply_spool(x, r, &res);
        spool_result_done(&res);
        proto_put_ok(&b, text, len);
        control_send(x->d, x->c, &b);
}

static void req_install(const struct request_ctx *x) {
        struct spool_result res = {};
        int r = spool_install(x->d, x->user, x->q->text, x->q->text_len, x->by, &res);

        reply_spool(x, r, &res);
}

static void req_remove(const struct request_ctx *x) {
        struct spool_result res = {};
        int r = spool_remove(x->d, x->user, x->by, &res);

        reply_spool(x, r, &res);
}

static void req_restore(const struct request_ctx *x) {
        struct spool_result res = {};
        int r = spool_restore(x->d, x->user, x->by, &res);

        reply_spool(x, r, &res);
}

/* ---- what tockd knows ---- */

/* ---- STATUS and NEXT, written as the socket drains ----
 *
 * Their replies grow with the tables (a STATUS of 100,000 jobs is megabytes), so they are not
 * built whole: a stream writes the body into parts of STREAM_PART bytes, the next part only
 * once the client has read the last (control.c calls request_stream_fill()). A slow or stalled
 * reader makes tockd hold one part and a cursor: for STATUS, the next table and job; for NEXT,
 * the runs found (16 bytes each, count of them at most), whose records are written as they go.
 *
 * The records are read from the jobs as the parts are written, and jobs go when tables are
 * reloaded: a stream holds job pointers only while d->tables.gen is the one it began with. If
 * it changes first, the stream ends with an ERROR part flagged PROTO_FLAG_ABORT (-EAGAIN):
 * the reply is void, and tockctl asks again. A client that cannot take parts gets a reply of
 * one message or the error that it is too big, as before. */

/* The size of a part: what tockd holds for a client that does not read, a record more at most */
#define STREAM_PART (256u << 10)

struct stream_run {
        int64_t at;
        const struct job *j;
};

struct reply_stream {
        enum proto_type type;
        uint64_t gen;            /* d->tables.gen when it began */
        struct caller by;        /* a copy: listed() on later parts */
        char *user;
        bool parts;              /* the client takes a reply in parts */
        size_t max;              /* control_reply_max(): the whole body at most */
        size_t sent;             /* body bytes in parts queued so far */
        size_t left;             /* records still to write */
        size_t ti, ji;           /* STATUS: the next table and job to look at */
        struct stream_run *runs; /* NEXT: the runs, in order */
        size_t n_runs, next_run;
        struct proto_buf body;   /* the header's room, then body bytes not yet queued */
};

void request_stream_free(struct reply_stream *s) {
        if (!s)
                return;
        free(s->by.user);
        free(s->user);
        free(s->runs);
        proto_buf_done(&s->body);
        free(s);
}

size_t request_stream_bytes(const struct reply_stream *s) {
        return s ? sizeof *s + s->body.cap + s->n_runs * sizeof *s->runs : 0;
}

static struct reply_stream *stream_new(const struct request_ctx *x, enum proto_type type) {
        struct reply_stream *s = calloc(1, sizeof *s);

        if (!s)
                return NULL;
        *s = (struct reply_stream) {
                .type = type,
                .gen = x->d->tables.gen,
                .by = *x->by,
                .parts = control_takes_parts(x->c),
                .max = control_reply_max(x->c),
        };
        s->by.user = x->by->user ? strdup(x->by->user) : NULL;
        s->user = strdup(x->user);
        proto_begin(&s->body, type);
        if ((x->by->user && !s->by.user) || !s->user || s->body.oom) {
                request_stream_free(s);
                return NULL;
        }
        return s;
}

static bool stream_listed(const struct reply_stream *s, const struct job *j) {
        return (s->by.uid == 0 && !*s->user) || access_job_visible(&s->by, j, s->user);
}

/* Writes the next record into s->body; false when there is none. */
static bool stream_record(struct daemon *d, struct reply_stream *s) {
        if (s->type == PROTO_STATUS_REPLY) {
                for (; s->ti < d->tables.n; s->ti++, s->ji = 0)
                        while (s->ji < d->tables.v[s->ti]->n_jobs) {
                                const struct job *j = &d->tables.v[s->ti]->jobs[s->ji++];
                                if (!stream_listed(s, j))
                                        continue;
                                struct proto_job r = job_record(d, j);
                                proto_put_job(&s->body, &r);
                                return true;
                        }
                return false;
        }
        if (s->next_run >= s->n_runs)
                return false;
        const struct stream_run *u = &s->runs[s->next_run++];
        proto_put_next_run(&s->body, &(struct proto_next_run) {
                                             .at = u->at,
                                             .zone = (char *) tz_name(job_zone(u->j)),
                                             .table = u->j->table->name,
                                             .line = job_entry(u->j)->line,
                                             .user = (char *) job_user(u->j),
                                             .command = (char *) job_command(u->j),
                                     });
        return true;
}

/* Queues the stream's end: an error in place of the rest. */
static void stream_abort(struct daemon *d, struct client *c, int err, const char *msg) {
        struct proto_buf b = { .flags = PROTO_FLAG_ABORT };

        proto_put_error(&b, &(struct proto_error) { .err = err, .msg = (char *) msg });
        control_send(d, c, &b);
}

bool request_stream_fill(struct daemon *d, struct client *c, struct reply_stream *s) {
        size_t have, n;
        bool more;

        if (s->gen != d->tables.gen) {
                stream_abort(d, c, -EAGAIN, "the tables changed while tockd was sending this reply; ask again");
                return false;
        }
        /* a client that cannot take parts gets the reply whole (one message) or an error */
        size_t part = s->parts ? STREAM_PART : PROTO_MAX_BODY;
        while (s->left && s->body.len - PROTO_HDR_SIZE < part && stream_record(d, s))
                s->left--;
        if (s->body.oom) {
                stream_abort(d, c, -ENOMEM, "out of memory");
                return false;
        }
        have = s->body.len - PROTO_HDR_SIZE;
        more = s->left || have > part;
        n = have < part ? have : part;
        if (more && !s->parts) {
                control_reply_too_big(d, c);
                return false;
        }
        if (s->sent + n > s->max || (more && s->sent + n == s->max)) {
                control_close_after_reply(c);
                stream_abort(d, c, -EMSGSIZE, "the reply is over the limit; ask for less");
                return false;
        }
        if (control_queue_part(d, c, s->type, more, s->body.data + PROTO_HDR_SIZE, n) < 0) {
                control_close_after_reply(c);
                return false;
        }
        s->sent += n;
        memmove(s->body.data + PROTO_HDR_SIZE, s->body.data + PROTO_HDR_SIZE + n, have - n);
        s->body.len -= n;
        return more;
}

/* Starts s on its first part; the rest as the client reads. */
static void stream_start(const struct request_ctx *x, struct reply_stream *s) {
        if (request_stream_fill(x->d, x->c, s))
                control_stream(x->d, x->c, s);
        else
                request_stream_free(s);
}

static void req_status(const struct request_ctx *x) {
        struct daemon *d = x->d;
        bool all = x->by->uid == 0 && !*x->user;
        size_t tables = 0, running = 0, n = 0;
        struct reply_stream *s = stream_new(x, PROTO_STATUS_REPLY);

        if (!s)
                return control_reply_error(d, x->c, -ENOMEM, "out of memory");
        for (size_t i = 0; i < d->tables.n; i++) {
                bool mine = false;
                for (size_t k = 0; k < d->tables.v[i]->n_jobs; k++) {
                        const struct job *j = &d->tables.v[i]->jobs[k];
                        if (!listed(x, j))
                                continue;
                        n++;
                        mine = true;
                        running += job_stats_view(j)->n_running;
                }
                tables += mine;
        }
        /* a user learns about their own tables and runs only */
        proto_put_status_head(&s->body, &(struct proto_status) {
                                                .version = (char *) TOCK_VERSION,
                                                .started_at = d->started_at,
                                                .tables = (uint32_t) (all ? d->tables.n : tables),
                                                .jobs = (uint32_t) (all ? d->tables.n_jobs : n),
                                                .running = (uint32_t) (all ? d->runs.n_running : running),
                                                .n = n,
                                        });
        s->left = n;
        stream_start(x, s);
}

struct next_item {
        struct heap_node node;
        const struct job *j;
};

/* The queued jobs listed for x, in a heap by fire time; *ret_items holds them. */
static int next_heap(const struct request_ctx *x, struct heap *h, struct next_item **ret_items) {
        struct daemon *d = x->d;
        size_t n = 0, max = jobs_in_tables(d);
        struct next_item *items = calloc(max ? max : 1, sizeof(*items));

        if (!items)
                return -ENOMEM;
        const struct job *j;
        FOREACH_JOB(d, j) {
                if (!listed(x, j) || !job_queued(j))
                        continue;
                items[n] = (struct next_item) { .node = { .at = j->nominal_at, .seq = n }, .j = j };
                if (heap_push(h, &items[n].node) < 0)
                        break;
                n++;
        }
        *ret_items = items;
        return 0;
}

static void req_next(const struct request_ctx *x) {
        _cleanup_free_ struct next_item *items = NULL;
        struct reply_stream *s = stream_new(x, PROTO_NEXT_REPLY);
        struct heap h = {};
        size_t cap = 0;

        if (!s || next_heap(x, &h, &items) < 0) {
                request_stream_free(s);
                heap_done(&h);
                return control_reply_error(x->d, x->c, -ENOMEM, "out of memory");
        }
        /* the runs first, 16 bytes each (their number leads the body); the records as sent */
        while (s->n_runs < x->q->count) {
                struct next_item *it = (struct next_item *) heap_pop(&h);
                if (!it)
                        break;
                if (s->n_runs == cap) {
                        size_t ncap = cap ? cap * 2 : 64;
                        struct stream_run *v = reallocarray(s->runs, ncap, sizeof *v);
                        if (!v) {
                                heap_done(&h);
                                request_stream_free(s);
                                return control_reply_error(x->d, x->c, -ENOMEM, "out of memory");
                        }
                        s->runs = v;
                        cap = ncap;
                }
                s->runs[s->n_runs++] = (struct stream_run) { .at = it->node.at, .j = it->j };
                if (sched_next(&job_entry(it->j)->sched, it->node.at, job_zone(it->j), &it->node.at) == 0)
                        (void) heap_push(&h, &it->node);
        }
        heap_done(&h);
        proto_put_next_head(&s->body, s->n_runs);
        s->left = s->n_runs;
        stream_start(x, s);
}

static const struct table *table_of_spool(struct daemon *d, const char *user) {
        _cleanup_free_ char *p = spool_path(d, user);
        for (size_t i = 0; p && i < d->tables.n; i++)
                if (streq(d->tables.v[i]->path, p))
                        return d->tables.v[i];
        return NULL;
}

/* The job the request names, or NULL */
static struct job *named_job(const struct request_ctx *x) {
        _cleanup_free_ char *spool = spool_path(x->d, x->user);

        if (!spool)
                return NULL;
        return access_find_job(x->d->tables.v, x->d->tables.n, spool, x->by, x->user, x->q->job, !*x->q->user);
}

/* A refused table as REFUSED carries it; the strings are borrowed from the table. */
static struct proto_refusal refusal_record(const struct table *t) {
        return (struct proto_refusal) {
                .table = t->name,
                .user = t->kind == TABLE_SPOOL || t->kind == TABLE_SINGLE ? t->owner : NULL,
                .line = t->refused_line,
                .col = t->refused_col,
                .reason = t->refused_why ? t->refused_why : (char *) "see the log",
                .more = (uint32_t) t->refused_more,
                .in_force = t->ct != NULL,
                .jobs = (uint32_t) t->n_jobs,
        };
}

/* "your table on disk was refused: FILE:LINE:COL: ...; the previous version is in force (N jobs)",
 * as tockctl says it in status and list; owned, NULL when out of memory. */
static char *refusal_sentence(const struct request_ctx *x, const struct table *t) {
        _cleanup_free_ char *lead = NULL;
        struct proto_refusal u = refusal_record(t);

        if (t->kind != TABLE_SPOOL && t->kind != TABLE_SINGLE)
                lead = strdup("the table on disk was refused");
        else if (x->by->user && t->owner && streq(x->by->user, t->owner))
                lead = strdup("your table on disk was refused");
        else
                xasprintf(&lead, "the table of %s on disk was refused", t->owner ? t->owner : "?");
        return lead ? proto_refusal_text(&u, lead) : NULL;
}

/* The table a "TABLE:LINE" spec names, when root asks (others see only their own table), or NULL */
static const struct table *table_named(const struct request_ctx *x) {
        const char *spec = x->q->job, *colon = strrchr(spec, ':');

        for (size_t i = 0; x->by->uid == 0 && colon && i < x->d->tables.n; i++) {
                const struct table *t = x->d->tables.v[i];
                if (strncmp(t->name, spec, (size_t) (colon - spec)) == 0 && !t->name[colon - spec])
                        return t;
        }
        return NULL;
}

static void why_no_job(const struct request_ctx *x) {
        struct daemon *d = x->d;
        const struct table *t = table_named(x);
        const char *spec = x->q->job, *user = x->user;

        if (!t)
                t = table_of_spool(d, x->user);

        if (t && t->refused) {
                _cleanup_free_ char *why = refusal_sentence(x, t);
                return control_reply_error(d, x->c, -ENOENT, "no job '%s'%s%s%s: %s", spec,
                                           t->kind == TABLE_SPOOL ? " of " : "", t->kind == TABLE_SPOOL ? user : "",
                                           t->ct ? " in the version in force" : "", why ? why : "its table was refused");
        }
        if (!access_user_allowed(d, user))
                return control_reply_error(d, x->c, -ENOENT, "no job '%s'; note that %s is not allowed to use cron", spec,
                                           user);
        control_reply_error(d, x->c, -ENOENT, "no job '%s' of %s (name it LINE, TABLE:LINE or by [name:...])", spec, user);
}

/* tockd's note on why j did or did not run, the most telling first: a run going on now comes
 * before anything that keeps the next ones from starting */
static void why_note(struct daemon *d, const struct job *j, char note[static 512]) {
        const struct job_stats *s = job_stats_view(j);
        const char *field = job_user_field(j);
        size_t n = 0;

        note[0] = 0;
        if (s->running_pid > 0)
                n = (size_t) snprintf(note, 512, "it is running now (pid %d)", (int) s->running_pid);
        if (n < 512 && s->note)
                n += (size_t) snprintf(note + n, 512 - n, "%s%s", n ? "; " : "", s->note);
        else if (n < 512 && field && !users_get(&d->users, field))
                n += (size_t) snprintf(note + n, 512 - n, "%sno such user '%s'", n ? "; " : "", field);
        else if (n < 512 && j->table->kind == TABLE_SPOOL && !access_user_allowed(d, job_user(j)))
                n += (size_t) snprintf(note + n, 512 - n, "%s%s is not allowed to use cron (%s / %s)%s", n ? "; " : "",
                                       job_user(j), d->cfg.cron_allow, d->cfg.cron_deny,
                                       n ? ": it will not start on schedule again" : "");
        else if (n == 0 && s->last_due_at != INT64_MIN && s->last_at < s->last_due_at && !fleet_job(d, j))
                n = (size_t) snprintf(note, 512, "its last fire time came but it did not start");
        if (n < 512 && fleet_job(d, j)) {
                char where[320];
                fleet_where(d, j, where, sizeof where);
                if (*where)
                        snprintf(note + n, 512 - n, "%s%s", n ? "; " : "", where);
        }
}

static void req_why(const struct request_ctx *x) {
        const struct job *j = named_job(x);
        _cleanup_free_ char *state = NULL;
        struct proto_buf b = {};
        char note[512];

        if (!j)
                return why_no_job(x);
        if (j->table->refused)
                state = refusal_sentence(x, j->table);
        else
                xasprintf(&state, "loaded, %zu job%s", j->table->n_jobs, j->table->n_jobs == 1 ? "" : "s");
        why_note(x->d, j, note);
        const struct job_stats *s = job_stats_view(j);
        proto_put_why(&b, &(struct proto_why) {
                                  .job = job_record(x->d, j),
                                  .state = state,
                                  .note = note,
                                  .output = s && s->tail ? s->tail : NULL,
                                  .output_len = s && s->tail ? s->tail_len : 0,
                          });
        control_send(x->d, x->c, &b);
}

/* ---- acting ---- */

#define PIPE_FS_MAGIC 0x50495045 /* linux/magic.h's PIPEFS_MAGIC; musl's headers have no linux/ */

/* An anonymous pipe, as tockctl run makes for a job's streams: not a file, terminal or socket
 * of the caller's (a named FIFO lives on its file system, not on pipefs). */
static bool is_pipe(int fd) {
        struct statfs sf;
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && fstatfs(fd, &sf) == 0 && sf.f_type == PIPE_FS_MAGIC;
}

/* The job's standard streams from the caller: three, and pipes when the job is another uid's,
 * so that nothing of the caller's (root's files, root's terminal) reaches another user. */
static bool run_fds_ok(const struct request_ctx *x, const struct job *j, const int **ret_fds) {
        const struct user_info *u = users_get(&x->d->users, job_user(j));
        size_t n = control_fds(x->c, ret_fds);

        if (n != 3) {
                control_reply_error(x->d, x->c, -EINVAL,
                                    "a run needs 3 descriptors (the job's standard input, output and error), not %zu", n);
                return false;
        }
        for (size_t i = 0; u && u->uid != x->by->uid && i < n; i++)
                if (!is_pipe((*ret_fds)[i])) {
                        control_reply_error(x->d, x->c, -EPERM,
                                            "the job of %s gets pipes as its standard streams, never a file or terminal of "
                                            "uid %u's: use the tockctl that came with tockd",
                                            u->name, (unsigned) x->by->uid);
                        return false;
                }
        return true;
}

static void req_run(const struct request_ctx *x) {
        struct daemon *d = x->d;
        struct job *j = named_job(x);
        const int *fds;

        if (!j)
                return control_reply_error(d, x->c, -ENOENT, "no job '%s' of %s", x->q->job, x->user);
        if (d->stopping)
                return control_reply_error(d, x->c, -ESHUTDOWN, "tockd is stopping");
        if (x->by->uid != 0 && d->cfg.max_manual_runs_per_user &&
            control_runs_of(d, x->by->uid) >= d->cfg.max_manual_runs_per_user)
                return control_reply_error(d, x->c, -EBUSY,
                                           "uid %u has %zu runs going already (jobs.max_manual_runs_per_user): try again once one ends",
                                           (unsigned) x->by->uid, d->cfg.max_manual_runs_per_user);
        if (!run_fds_ok(x, j, &fds))
                return;
        log_info("%s:%u: run now by uid %u (pid %d)", j->table->name, job_entry(j)->line, (unsigned) x->by->uid, (int) x->by->pid);
        control_set_running(x->c, true);
        if (job_spawn(d, j, fds, x->c) < 0) {
                control_set_running(x->c, false);
                return control_reply_error(d, x->c, -EIO, "the job could not be started (see the log)");
        }
}

static void req_reload(const struct request_ctx *x) {
        char cause[96];

        snprintf(cause, sizeof cause, ": asked by uid %u (pid %d) with tockctl reload", (unsigned) x->by->uid,
                 (int) x->by->pid);
        (void) daemon_reload(x->d, cause);
        control_reply_ok(x->d, x->c, "reloaded the configuration and every table");
}

static void req_metrics(const struct request_ctx *x) {
        _cleanup_free_ char *text = metrics_text(x->d, x->by->uid == 0 ? NULL : (x->by->user ? x->by->user : ""));

        if (!text)
                return control_reply_error(x->d, x->c, -ENOMEM, "out of memory");
        control_reply_ok(x->d, x->c, text);
}

/* tockctl fleet: members seen and recent claims (host names and job keys, no commands) */
static void req_fleet(const struct request_ctx *x) {
        _cleanup_free_ char *text = fleet_status_text(x->d);

        if (!text)
                return control_reply_error(x->d, x->c, -ENOMEM, "out of memory");
        control_reply_ok(x->d, x->c, text);
}

/* The tables refused as they are on disk: every one for root naming nobody, else the user's own.
 * As many as fit in one message (half of it: the paths and reasons are short); `total` says how
 * many there are. */
static void req_refused(const struct request_ctx *x) {
        struct daemon *d = x->d;
        bool all = x->by->uid == 0 && !*x->user;
        _cleanup_free_ struct proto_refusal *v = calloc(d->tables.n ? d->tables.n : 1, sizeof *v);
        struct proto_refused out = { .v = v };
        struct proto_buf b = {};
        size_t bytes = 0;

        if (!v)
                return control_reply_error(d, x->c, -ENOMEM, "out of memory");
        for (size_t i = 0; i < d->tables.n; i++) {
                const struct table *t = d->tables.v[i];
                if (!t->refused)
                        continue;
                if (!all && !((t->kind == TABLE_SPOOL || t->kind == TABLE_SINGLE) && t->owner && streq(t->owner, x->user)))
                        continue;
                out.total++;
                struct proto_refusal u = refusal_record(t);
                bytes += 64 + strlen(u.table) + (u.user ? strlen(u.user) : 0) + strlen(u.reason);
                if (bytes <= PROTO_MAX_BODY / 2)
                        v[out.n++] = u;
        }
        proto_put_refused(&b, &out);
        control_send(d, x->c, &b);
}

static void req_hello(const struct request_ctx *x) {
        struct proto_buf b = {};

        proto_put_hello(&b, &(struct proto_hello) { .version = (char *) TOCK_VERSION, .uid = x->by->uid, .user = x->by->user });
        control_send(x->d, x->c, &b);
}

/* ---- the table ---- */

static const struct request {
        uint16_t type;
        enum access_rule access;
        const char *what;      /* for "only root may ..." */
        size_t n_fds;          /* fds that must come with it; 0: none may */
        const char *malformed; /* the message for a body that does not decode */
        void (*handle)(const struct request_ctx *x);
} requests[] = {
        { PROTO_HELLO, ACCESS_ANYONE, "say hello", 0, "malformed request", req_hello },
        { PROTO_LIST, ACCESS_TABLE, "list a table", 0, "malformed request", req_list },
        { PROTO_INSTALL, ACCESS_TABLE, "install a table", 0, "malformed request (a table has no NUL bytes)", req_install },
        { PROTO_REMOVE, ACCESS_TABLE, "remove a table", 0, "malformed request", req_remove },
        { PROTO_RESTORE, ACCESS_TABLE, "restore a table", 0, "malformed request", req_restore },
        { PROTO_STATUS, ACCESS_SELF_OR_ALL, "ask for the status", 0, "malformed request", req_status },
        { PROTO_NEXT, ACCESS_SELF_OR_ALL, "ask for the next runs", 0, "malformed request (count " STR(PROTO_NEXT_MIN) ".." STR(PROTO_NEXT_MAX) ")", req_next },
        { PROTO_WHY, ACCESS_SELF, "ask why", 0, "malformed request", req_why },
        { PROTO_RUN, ACCESS_CRON, "run a job", 3, "malformed request", req_run },
        { PROTO_RELOAD, ACCESS_ROOT, "reload tockd", 0, "malformed request", req_reload },
        { PROTO_METRICS, ACCESS_ANYONE, "read the metrics", 0, "malformed request", req_metrics },
        { PROTO_REFUSED, ACCESS_SELF_OR_ALL, "ask for the refused tables", 0, "malformed request", req_refused },
        { PROTO_FLEET, ACCESS_ANYONE, "ask about the fleet", 0, "malformed request", req_fleet },
};

static const struct request *request_find(uint16_t type) {
        for (size_t i = 0; i < ELEMENTSOF(requests); i++)
                if (requests[i].type == type)
                        return &requests[i];
        return NULL;
}

void request_handle(struct daemon *d, struct client *c, uint16_t type, const void *body, size_t len) {
        const struct request *rq = request_find(type);
        const struct caller *by = control_caller(c);
        _cleanup_(proto_request_done) struct proto_request q = {};
        _cleanup_free_ char *msg = NULL;
        struct proto_reader rd;
        const char *user;
        const int *fds;
        size_t n_fds = control_fds(c, &fds);
        int r;

        if (!rq) {
                control_close_after_reply(c);
                return control_reply_error(d, c, -EBADMSG, "unknown request %u", type);
        }
        if (n_fds && !rq->n_fds) {
                control_close_after_reply(c);
                return control_reply_error(d, c, -EBADMSG, "unexpected file descriptors");
        }
        proto_reader_init(&rd, body, len);
        if (proto_get_request(&rd, type, &q) < 0)
                return control_reply_error(d, c, -EBADMSG, "%s", rq->malformed);
        if (n_fds != rq->n_fds)
                return control_reply_error(d, c, -EBADMSG, "run needs the caller's stdin, stdout and stderr");
        r = access_check(d, rq->access, rq->what, by, q.user, &user, &msg);
        if (r < 0)
                return control_reply_error(d, c, r, "%s", msg ? msg : "out of memory");
        rq->handle(&(struct request_ctx) { .d = d, .c = c, .by = by, .q = &q, .user = user });
}
