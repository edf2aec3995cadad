/* daemon/run.c: a run's life. What state a run is in, which events move it where (the table
 * below), the per-state lists and the pid -> run map. Nothing else changes a run's state or list
 * membership; what happens around a transition (logging, stats, answers) is the callers' (spawn.c,
 * reap.c). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"
#include "util.h"

/* ---- the transition table ---- */

#define X RUN_N_STATES /* the event cannot happen in this state */

/* next state, by [state][event]; a cell naming its own row is an event that changes nothing */
static const enum run_state run_next[RUN_N_STATES][RUN_N_EVENTS] = {
        /*                CAP         SUBMIT      SENT         ANSWERED     EXITED      OUTPUT_CLOSED */
        [RUN_NEW]     = { RUN_CAPPED, RUN_UNSENT, X,           X,           X,          X },
        [RUN_CAPPED]  = { X,          RUN_UNSENT, X,           X,           X,          X },
        /* ANSWERED unsent: the spawner died before the request went out */
        [RUN_UNSENT]  = { X,          X,          RUN_PENDING, RUN_RUNNING, X,          X },
        /* OUTPUT_CLOSED pending: a job may print and end before a PAM run's answer comes */
        [RUN_PENDING] = { X,          X,          X,           RUN_RUNNING, X,          RUN_PENDING },
        [RUN_RUNNING] = { X,          X,          X,           X,           RUN_EXITED, RUN_RUNNING },
        [RUN_EXITED]  = { X,          X,          X,           X,           X,          RUN_DEAD },
        [RUN_DEAD]    = { X,          X,          X,           X,           X,          X },
};

#undef X

static const char *const state_names[RUN_N_STATES] = {
        [RUN_NEW] = "new", [RUN_CAPPED] = "capped", [RUN_UNSENT] = "unsent", [RUN_PENDING] = "pending",
        [RUN_RUNNING] = "running", [RUN_EXITED] = "exited", [RUN_DEAD] = "dead",
};
static const char *const event_names[RUN_N_EVENTS] = {
        [RUN_EV_CAP] = "cap", [RUN_EV_SUBMIT] = "submit", [RUN_EV_SENT] = "sent",
        [RUN_EV_ANSWERED] = "answered", [RUN_EV_EXITED] = "exited", [RUN_EV_OUTPUT_CLOSED] = "output closed",
};

/* ---- pid -> run ---- */

static struct run *pid_map_get(const struct hmap *m, pid_t pid) {
        for (struct hmap_node *n = hmap_first(m, (uint64_t) pid); n; n = hmap_next(n)) {
                struct run *r = HMAP_ENTRY(n, struct run, pid_node);
                if (r->pid == pid)
                        return r;
        }
        return NULL;
}

/* ---- lists ---- */

static void list_append(struct run_list *l, struct run *r) {
        r->prev = l->tail;
        r->next = NULL;
        if (l->tail)
                l->tail->next = r;
        else
                l->head = r;
        l->tail = r;
}

static void list_remove(struct run_list *l, struct run *r) {
        if (r->prev)
                r->prev->next = r->next;
        else
                l->head = r->next;
        if (r->next)
                r->next->prev = r->prev;
        else
                l->tail = r->prev;
        r->prev = r->next = NULL;
}

/* ---- state changes ---- */

/* Counted in d->runs.n_running: on its way to the spawner or running */
static bool live(enum run_state s) {
        return s == RUN_UNSENT || s == RUN_PENDING || s == RUN_RUNNING;
}

/* The request and the job's ends of its pipes are the spawner's once sent; when the request is
 * never sent (the spawner died), they are closed all the same, so the output pipe ends. */
static void drop_request(struct run *r) {
        free(r->req);
        r->req = NULL;
        for (int i = 0; i < 3; i++)
                closep(&r->req_fds[i]);
        r->req_fds[0] = r->req_fds[1] = r->req_fds[2] = -1;
}

static void run_set_state(struct daemon *d, struct run *r, enum run_state to) {
        enum run_state from = r->state;

        if (from != RUN_NEW)
                list_remove(&d->runs.by_state[from], r);
        if (from == RUN_UNSENT)
                drop_request(r);
        if (from == RUN_RUNNING && r->pid > 0)
                hmap_del(&d->runs.pids, &r->pid_node);
        if (to == RUN_RUNNING && r->pid > 0)
                (void) hmap_add(&d->runs.pids, &r->pid_node, (uint64_t) r->pid); /* out of memory: its exit is not matched */
        d->runs.n_running += live(to) - live(from);
        r->state = to;
        list_append(&d->runs.by_state[to], r);
}

void run_event(struct daemon *d, struct run *r, enum run_event ev) {
        enum run_state to = run_next[r->state][ev];

        if (to == RUN_N_STATES) {
                log_error("%s:%u: internal error: a run in state %s cannot take event '%s'; ignored", r->table, r->line,
                          state_names[r->state], event_names[ev]);
                return;
        }
        if (to != r->state)
                run_set_state(d, r, to);
}

/* ---- lookups ---- */

struct run *run_by_pid(struct daemon *d, pid_t pid) {
        return pid_map_get(&d->runs.pids, pid);
}

/* A PAM job's parent is its session holder, which ends as the job did */
struct run *run_by_holder(struct daemon *d, pid_t holder) {
        for (struct run *r = d->runs.by_state[RUN_RUNNING].head; r; r = r->next)
                if (r->holder_pid == holder)
                        return r;
        return NULL;
}

/* The run whose request carried `spawn_id`: answers come in request order but for PAM runs, which
 * answer when their session is open, so the first pending run is nearly always it. */
struct run *run_pending(struct daemon *d, uint32_t spawn_id) {
        for (struct run *r = d->runs.by_state[RUN_PENDING].head; r; r = r->next)
                if (r->spawn_id == spawn_id)
                        return r;
        return NULL;
}

/* ---- birth and death ---- */

struct run *run_new(enum run_kind kind, const char *table, unsigned line, const char *user, const char *command,
                    struct job_stats *stats) {
        struct run *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->kind = kind;
        r->state = RUN_NEW;
        r->line = line;
        r->output = (struct io_source) { .kind = IO_RUN_OUTPUT, .fd = -1, .run = r };
        r->errput = (struct io_source) { .kind = IO_RUN_OUTPUT, .fd = -1, .run = r };
        r->req_fds[0] = r->req_fds[1] = r->req_fds[2] = -1;
        r->table = strdup(table);
        r->user = strdup(user);
        r->command = strdup(command);
        if (!r->table || !r->user || !r->command) {
                free(r->table);
                free(r->user);
                free(r->command);
                free(r);
                return NULL;
        }
        r->stats = stats ? job_stats_ref(stats) : NULL;
        return r;
}

static void run_destroy(struct run *r) {
        job_stats_unref(r->stats);
        free(r->mail_to);
        free(r->mail_head);
        free(r->mail_buf);
        free(r->kept);
        free(r->name);
        drop_request(r);
        free(r->table);
        free(r->user);
        free(r->command);
        free(r);
}

/* Frees a run in any state at once: one never submitted, or every one when tockd ends. */
void run_free(struct daemon *d, struct run *r) {
        if (r->output.fd >= 0) {
                loop_del(d, &r->output);
                closep(&r->output.fd);
        }
        if (r->errput.fd >= 0) {
                loop_del(d, &r->errput);
                closep(&r->errput.fd);
        }
        if (r->state == RUN_RUNNING && r->pid > 0)
                hmap_del(&d->runs.pids, &r->pid_node);
        run_timeout_stop(d, r);
        if (r->state != RUN_NEW)
                list_remove(&d->runs.by_state[r->state], r);
        d->runs.n_running -= live(r->state);
        run_destroy(r);
}

/* Dead runs are freed here, after the loop iteration: events already fetched may point at them. */
void runs_free_dead(struct daemon *d) {
        while (d->runs.by_state[RUN_DEAD].head)
                run_free(d, d->runs.by_state[RUN_DEAD].head);
}

void runs_done(struct daemon *d) {
        runs_free_all(d);
        hmap_done(&d->runs.pids);
}

void runs_free_all(struct daemon *d) {
        for (int s = 0; s < RUN_N_STATES; s++)
                while (d->runs.by_state[s].head)
                        run_free(d, d->runs.by_state[s].head);
}

/* The tockctl run client went away: its run goes on, nobody waits for it. */
void runs_client_gone(struct daemon *d, const struct client *c) {
        for (int s = 0; s < RUN_N_STATES; s++)
                for (struct run *r = d->runs.by_state[s].head; r; r = r->next)
                        if (r->client == c)
                                r->client = NULL;
}

void runs_signal_all(struct daemon *d, int sig) {
        for (struct run *r = d->runs.by_state[RUN_RUNNING].head; r; r = r->next)
                if (r->pid > 0)
                        (void) kill(-r->pid, sig); /* its whole process group: the job made its own session */
}
