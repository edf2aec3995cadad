/* daemon/fleet.c: a fleet of tockd that runs each fire time of a fleet job once (issue 14).
 *
 * When a fleet job ([fleet], or jobs.fleet) is due, this tockd claims the fire time in etcd with
 * one transaction: create the key /tock/FLEET/claims/TABLE/JOB/NOMINAL if it does not exist
 * (compare create_revision == 0), under a lease. The winner runs the job and later records its
 * exit status under the key; the others log where it ran. TABLE is a hash of the table's path and
 * text, the same on every host holding the same table; JOB its [name:...] or line.
 *
 * Timing: a claim is sent after a small delay drawn from the host and the key (so that the same
 * host does not always win), longer when this host is over its concurrency caps (so that others
 * take it). Claims live under a lease of twice fleet.lease_ttl plus 10 s, granted afresh every
 * lease_ttl: each key lives at least lease_ttl + 10 s. A fire time older than lease_ttl - 1 s is
 * not claimed (its winner's key might be gone); that bounds the clock skew the fleet tolerates.
 * The 10 s cover a transaction that etcd applies late (sent before quorum was lost, applied when
 * it is back).
 *
 * Membership (each tockd's key under /tock/FLEET/members/) is fleet-members.c; [fleet]'s
 * settings checked and taken (at start and each reload), fleet-config.c; the state they share,
 * fleet-int.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcd.h"
#include "fleet-int.h"
#include "hash.h"
#include "log.h"
#include "timefmt.h"
#include "tockd.h"
#include "util.h"

/* ---- per-job knowledge ---- */

static struct fleet_job *fjob_get(struct fleet *f, struct job_stats *s, bool create) {
        uint64_t h = hash_splitmix64((uint64_t) (uintptr_t) s);
        struct fleet_job *fj;

        for (struct hmap_node *n = hmap_first(&f->jobs, h); n; n = hmap_next(n))
                if (((struct fleet_job *) n)->stats == s)
                        return (struct fleet_job *) n;
        if (!create || !(fj = calloc(1, sizeof *fj)))
                return NULL;
        fj->stats = job_stats_ref(s);
        fj->last_nominal = INT64_MIN;
        if (hmap_add(&f->jobs, &fj->node, h) < 0) {
                job_stats_unref(s);
                free(fj);
                return NULL;
        }
        return fj;
}

static void fjob_free(struct fleet *f, struct fleet_job *fj) {
        hmap_del(&f->jobs, &fj->node);
        job_stats_unref(fj->stats);
        free(fj->won_key);
        free(fj->won_lease);
        free(fj);
}

/* jobs that are gone (their table changed or went): nobody else holds their stats */
void fleet_jobs_gc(struct fleet *f) {
        for (size_t b = 0; b < f->jobs.n_buckets; b++)
                for (struct hmap_node *n = f->jobs.buckets[b], *next; n; n = next) {
                        struct fleet_job *fj = (struct fleet_job *) n;
                        next = n->next;
                        if (fj->stats->refs == 1 && !fj->stats->job)
                                fjob_free(f, fj);
                }
}

bool fleet_job(const struct daemon *d, const struct job *j) {
        int o = job_opts(j)->fleet;
        return o >= 0 ? o == 1 : d->cfg.fleet;
}

/* ---- claims ---- */

static void recent_add(struct fleet *f, const struct claim *c, const char *host, bool won, int64_t latency_us) {
        struct fleet_recent *r = &f->recent[f->n_recent++ % FLEET_RECENT];

        *r = (struct fleet_recent) { .nominal = c->nominal, .at = now_real(), .won = won, .latency_us = latency_us };
        snprintf(r->key, sizeof r->key, "%s", c->key + strlen(f->prefix));
        snprintf(r->host, sizeof r->host, "%s", host);
}

/* Takes c off f->claims (it may be on no list) */
static void claims_unlink(struct fleet *f, struct claim *c) {
        if (c->prev)
                c->prev->next = c->next;
        else if (f->claims == c)
                f->claims = c->next;
        if (c->next)
                c->next->prev = c->prev;
}

static void claim_free(struct claim *c) {
        struct fleet *f = c->f;

        timer_cancel(f->d, &c->timer);
        claims_unlink(f, c);
        job_stats_unref(c->stats);
        free(c->key);
        free(c->lease);
        free(c);
}

/* The job of a claim, when it still exists (its table may have been reloaded meanwhile) */
static struct job *claim_job(const struct claim *c) {
        return c->stats->job;
}

/* A fire time that the fleet cannot decide: fleet.unreachable says what happens. */
static void unreachable(struct fleet *f, struct job *j, int64_t nominal, const char *why) {
        struct log_job lj = log_job_of(j);
        struct daemon *d = f->d;

        f->unreachable++;
        if (d->cfg.fleet_unreachable == FLEET_UNREACHABLE_LOCAL) {
                log_job(LOG_WARNING, &lj, "fleet: fire time %lld: %s; runs here (fleet.unreachable=local)", (long long) nominal, why);
                d->sched.firing_at = nominal;
                admit_fire(d, j);
                d->sched.firing_at = 0;
        } else
                job_event(LOG_WARNING, &lj, job_stats_get(j), "not run: fire time %lld not claimed: %s (fleet.unreachable=skip)",
                          (long long) nominal, why);
}

static void send_claim(struct claim *c);

static void claim_answer(struct daemon *d, void *userdata, int err, json_t *reply) {
        struct claim *c = userdata;
        struct fleet *f = c->f;
        struct job *j = claim_job(c);
        int64_t us = (now_mono_ns() - c->sent_ns) / 1000;
        const char *host = "?";

        if (err == -ECANCELED || !j) {
                claim_free(c);
                return;
        }
        if (err == -EPROTO && !c->retried && strstr(json_string_value(json_object_get(reply, "error")) ?: "", "lease")) {
                /* the claim lease expired (this tockd was stopped, or etcd lost it): a new one */
                free(f->claim_lease);
                f->claim_lease = NULL;
                c->retried = true;
                send_claim(c);
                return;
        }
        if (err < 0) {
                _cleanup_free_ char *why = NULL;
                xasprintf(&why, "etcd %s (%s)", err == -EHOSTUNREACH ? "unreachable at every endpoint" : "refused the claim",
                          fleet_answer_why(err, reply));
                recent_add(f, c, "", false, -1);
                unreachable(f, j, c->nominal, why ? why : "etcd failed");
                claim_free(c);
                return;
        }
        struct fleet_job *fj = fjob_get(f, c->stats, true);
        struct log_job lj = log_job_of(j);
        if (json_is_true(json_object_get(reply, "succeeded"))) {
                f->won++;
                recent_add(f, c, f->host, true, us);
                if (fj) {
                        fj->last_nominal = c->nominal;
                        snprintf(fj->host, sizeof fj->host, "%s", f->host);
                        free(fj->won_key);
                        free(fj->won_lease);
                        fj->won_key = strdup(c->key);
                        fj->won_lease = c->lease ? strdup(c->lease) : NULL;
                }
                log_job(LOG_INFO, &lj, "fleet: claimed fire time %lld in %lld us; runs here", (long long) c->nominal,
                        (long long) us);
                d->sched.firing_at = c->nominal;
                admit_fire(d, j);
                d->sched.firing_at = 0;
                claim_free(c);
                return;
        }
        /* taken: the failure branch read the key */
        json_t *kv = json_array_get(json_object_get(json_object_get(json_array_get(json_object_get(reply, "responses"), 0),
                                                                    "response_range"),
                                                    "kvs"),
                                    0);
        _cleanup_free_ char *value = NULL;
        json_t *v = NULL;
        if (json_string_value(json_object_get(kv, "value")) &&
            (value = etcd_unb64(json_string_value(json_object_get(kv, "value")), NULL)))
                v = json_loads(value, 0, NULL);
        if (json_string_value(json_object_get(v, "host")))
                host = json_string_value(json_object_get(v, "host"));
        f->lost++;
        recent_add(f, c, host, false, us);
        log_debug("%s:%u: fleet: fire time %lld taken by %s; answer in %lld us", j->table->name, job_entry(j)->line,
                  (long long) c->nominal, host, (long long) us);
        if (fj) {
                fj->last_nominal = c->nominal;
                snprintf(fj->host, sizeof fj->host, "%s", host);
                fj->taken_elsewhere++;
        }
        if (job_stats_get(j)) {
                job_stats_get(j)->last_due_at = c->nominal;
                job_event(LOG_INFO, &lj, j->stats, "not run: fire time %lld ran on %s (fleet)", (long long) c->nominal, host);
        }
        json_decref(v);
        claim_free(c);
}

json_t *fleet_b64_string(const char *s) {
        _cleanup_free_ char *b = etcd_b64(s, strlen(s));
        return b ? json_string(b) : NULL;
}

const char *fleet_answer_why(int err, json_t *reply) {
        return json_string_value(json_object_get(reply, "error")) ?: strerror(err < 0 ? -err : EBADMSG);
}

/* A claim is not sent once its fire time is older than lease_ttl - 1 s by this host's clock: the
 * key another host created for it may be gone (this tockd was stopped, or waited for a lease
 * while etcd had no quorum). Skips it, logged; true when it did. */
static bool claim_too_late(struct claim *c) {
        struct job *j = claim_job(c);
        int64_t late = now_real() - c->nominal;

        if (late <= c->f->ttl_s - 1)
                return false;
        if (j) {
                struct log_job lj = log_job_of(j);
                c->f->skipped_late++;
                job_event(LOG_WARNING, &lj, job_stats_get(j),
                          "not run: fire time %lld not claimed: %llds late, past what the fleet's claims are sure to be kept (fleet.lease_ttl)",
                          (long long) c->nominal, (long long) late);
        }
        claim_free(c);
        return true;
}

/* create the key if absent (create_revision == 0), under lease; else read it */
static void send_txn(struct claim *c) {
        struct fleet *f = c->f;
        _cleanup_free_ char *value = NULL;
        json_t *body;
        int r;

        if (claim_too_late(c))
                return;
        xasprintf(&value, "{\"host\":\"%s\",\"claimed_at\":%lld}", f->host, (long long) now_real());
        if (!value)
                return claim_answer(f->d, c, -ENOMEM, NULL);
        free(c->lease);
        c->lease = strdup(f->claim_lease);
        body = json_pack("{s:[{s:s,s:o,s:s,s:s}],s:[{s:{s:o,s:o,s:s}}],s:[{s:{s:o}}]}", "compare", "target", "CREATE", "key",
                         fleet_b64_string(c->key), "result", "EQUAL", "create_revision", "0", "success", "request_put", "key",
                         fleet_b64_string(c->key), "value", fleet_b64_string(value), "lease", f->claim_lease, "failure",
                         "request_range", "key", fleet_b64_string(c->key));
        if (!body)
                return claim_answer(f->d, c, -ENOMEM, NULL);
        c->sent_ns = now_mono_ns();
        r = etcd_call(f->etcd, "/v3/kv/txn", body, claim_answer, c);
        if (r < 0)
                claim_answer(f->d, c, r, NULL);
}

static void lease_answer(struct daemon *d, void *userdata, int err, json_t *reply) {
        struct fleet *f = userdata;
        const char *id = json_string_value(json_object_get(reply, "ID"));

        (void) d;
        f->claim_lease_asked = false;
        if (err == -ECANCELED)
                return;
        if (err == 0 && id) {
                free(f->claim_lease);
                f->claim_lease = strdup(id);
                f->claim_lease_ns = now_mono_ns();
        }
        while (f->want_lease) {
                struct claim *c = f->want_lease;
                f->want_lease = c->next;
                c->next = c->prev = NULL;
                if (f->claims)
                        f->claims->prev = c;
                c->next = f->claims;
                f->claims = c;
                if (f->claim_lease)
                        send_txn(c);
                else
                        claim_answer(f->d, c, err < 0 ? err : -EBADMSG, reply);
        }
}

/* A claim lease lives 2 TTL + 10 s and is used for claims during the first TTL: every key lives
 * >= TTL + 10 s */
static bool lease_fresh(const struct fleet *f) {
        return f->claim_lease && now_mono_ns() - f->claim_lease_ns < f->ttl_s * 1000000000LL;
}

static void send_claim(struct claim *c) {
        struct fleet *f = c->f;

        if (lease_fresh(f))
                return send_txn(c);
        /* park it until the lease comes: off the claims list, onto want_lease */
        claims_unlink(f, c);
        c->prev = NULL;
        c->next = f->want_lease;
        f->want_lease = c;
        if (!f->claim_lease_asked) {
                json_t *body = json_pack("{s:I}", "TTL", (json_int_t) (2 * f->ttl_s + CLAIM_SERVER_SLACK_S));
                f->claim_lease_asked = true;
                if (etcd_call(f->etcd, "/v3/lease/grant", body, lease_answer, f) < 0)
                        lease_answer(f->d, f, -ENOMEM, NULL);
        }
}

static void claim_timer(struct daemon *d, struct timer *t) {
        struct claim *c = (struct claim *) t;
        struct job *j = claim_job(c);

        (void) d;
        if (!j) {
                claim_free(c);
                return;
        }
        /* a tockd stopped (SIGSTOP, a VM paused) between the fire time and now must not claim a
         * fire time whose winner's key may have expired */
        if (claim_too_late(c))
                return;
        send_claim(c);
}

static char *claim_key(struct fleet *f, const struct job *j, int64_t nominal) {
        const struct table *t = j->table;
        uint64_t h = hash_splitmix64(hash_fnv1a_field(HASH_FNV_OFFSET, t->path) ^ t->text_hash);
        char *k = NULL;

        if (job_opts(j)->name)
                xasprintf(&k, "%sclaims/%016llx/%s/%lld", f->prefix, (unsigned long long) h, job_opts(j)->name, (long long) nominal);
        else
                xasprintf(&k, "%sclaims/%016llx/%u/%lld", f->prefix, (unsigned long long) h, job_entry(j)->line, (long long) nominal);
        return k;
}

void fleet_fire(struct daemon *d, struct job *j, int64_t nominal) {
        struct fleet *f = d->fleet;
        struct job_stats *s = job_stats_get(j);
        struct claim *c;
        int64_t delay_ms;

        if (!f || !f->etcd)
                return unreachable(f, j, nominal, f && f->broken ? f->broken : "this tockd is in no fleet (fleet.endpoints is empty)");
        if (!s || !(c = calloc(1, sizeof *c))) {
                struct log_job lj = log_job_of(j);
                log_job(LOG_ERR, &lj, "not run: out of memory");
                return;
        }
        *c = (struct claim) { .f = f, .stats = job_stats_ref(s), .nominal = nominal, .key = claim_key(f, j, nominal) };
        timer_init(&c->timer, claim_timer);
        c->next = f->claims;
        if (f->claims)
                f->claims->prev = c;
        f->claims = c;
        if (!c->key) {
                claim_free(c);
                return;
        }
        delay_ms = (int64_t) (hash_splitmix64(hash_fnv1a(hash_fnv1a(HASH_FNV_OFFSET, f->host), c->key)) % CLAIM_JITTER_MS);
        if (admit_job_capped(d, j))
                delay_ms += CLAIM_LOADED_MS;
        (void) timer_set(d, &c->timer, now_mono_ns() + delay_ms * 1000000);
}

/* ---- a run's end: its status under the key ---- */

static void put_answer(struct daemon *d, void *userdata, int err, json_t *reply) {
        (void) d;
        (void) userdata;
        if (err < 0 && err != -ECANCELED)
                log_debug("fleet: recording a run's status failed: %s", fleet_answer_why(err, reply));
}

void fleet_run_ended(struct daemon *d, struct job_stats *s, int wstatus) {
        struct fleet *f = d->fleet;
        struct fleet_job *fj;
        _cleanup_free_ char *value = NULL;
        json_t *body;

        if (!f || !f->etcd || !s || !(fj = fjob_get(f, s, false)) || !fj->won_key)
                return;
        xasprintf(&value, "{\"host\":\"%s\",\"ended_at\":%lld,\"wstatus\":%d}", f->host, (long long) now_real(), wstatus);
        if (!value)
                return;
        body = json_pack("{s:o,s:o}", "key", fleet_b64_string(fj->won_key), "value", fleet_b64_string(value));
        if (body && fj->won_lease)
                json_object_set_new(body, "lease", json_string(fj->won_lease));
        if (body)
                (void) etcd_call(f->etcd, "/v3/kv/put", body, put_answer, NULL);
        free(fj->won_key);
        fj->won_key = NULL;
}

/* ---- status ---- */

/* Where j's last fire time claimed by the fleet ran, for status and why ("" when unknown) */
void fleet_where(struct daemon *d, const struct job *j, char *buf, size_t size) {
        struct fleet_job *fj = d->fleet && j->stats ? fjob_get(d->fleet, j->stats, false) : NULL;
        char when[TIMEFMT_ISO_MAX] = "";

        buf[0] = 0;
        if (!fj || fj->last_nominal == INT64_MIN)
                return;
        timefmt_iso(d->tables.local_zone, fj->last_nominal, when);
        snprintf(buf, size, "fleet: its fire time %s ran on %s%s; %lld fire time%s taken by other hosts", when, fj->host,
                 streq(fj->host, d->fleet->host) ? " (this host)" : "", (long long) fj->taken_elsewhere,
                 fj->taken_elsewhere == 1 ? "" : "s");
}

const char *fleet_elsewhere(const struct daemon *d, const struct job *j, int64_t *ret_at) {
        struct fleet_job *fj = d->fleet && d->fleet->host && j->stats ? fjob_get(d->fleet, j->stats, false) : NULL;

        if (!fj || fj->last_nominal == INT64_MIN || streq(fj->host, d->fleet->host))
                return "";
        *ret_at = fj->last_nominal;
        return fj->host;
}

char *fleet_status_text(struct daemon *d) {
        struct fleet *f = d->fleet;
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);

        if (!m)
                return NULL;
        if (!f || (!f->etcd && !f->broken))
                fprintf(m, "this tockd is in no fleet (fleet.endpoints is empty)\n");
        else if (f->broken)
                fprintf(m, "the fleet configuration cannot be used: %s\n", f->broken);
        else {
                fprintf(m, "fleet %s, this member %s, etcd %s (last answered), lease %llds, unreachable: %s\n",
                        d->cfg.fleet_name, f->host, etcd_endpoint(f->etcd), (long long) f->ttl_s,
                        d->cfg.fleet_unreachable == FLEET_UNREACHABLE_LOCAL ? "local" : "skip");
                fprintf(m, "claims: %llu won, %llu taken elsewhere, %llu unreachable, %llu too late\n\nMEMBERS\n%s",
                        (unsigned long long) f->won, (unsigned long long) f->lost, (unsigned long long) f->unreachable,
                        (unsigned long long) f->skipped_late, f->members ? f->members : "(not read yet)\n");
                fprintf(m, "\nRECENT CLAIMS (newest first)\n");
                for (size_t i = 0; i < MIN(f->n_recent, (size_t) FLEET_RECENT); i++) {
                        const struct fleet_recent *r = &f->recent[(f->n_recent - 1 - i) % FLEET_RECENT];
                        char when[TIMEFMT_ISO_MAX];
                        timefmt_iso(d->tables.local_zone, r->nominal, when);
                        fprintf(m, "%s\t%s\t%s\t", when, r->key, r->latency_us < 0 ? "unreachable" : r->won ? "won" : "taken");
                        if (r->latency_us >= 0)
                                fprintf(m, "ran on %s\t%lld us\n", r->host, (long long) r->latency_us);
                        else
                                fprintf(m, "-\t-\n");
                }
        }
        fclose(m);
        return text;
}

void fleet_metrics(struct daemon *d, FILE *m) {
        struct fleet *f = d->fleet;

        if (!f || !f->etcd)
                return;
        fprintf(m, "# HELP tock_fleet_claims_total Fleet claims by outcome\n# TYPE tock_fleet_claims_total counter\n");
        fprintf(m, "tock_fleet_claims_total{outcome=\"won\"} %llu\n", (unsigned long long) f->won);
        fprintf(m, "tock_fleet_claims_total{outcome=\"taken_elsewhere\"} %llu\n", (unsigned long long) f->lost);
        fprintf(m, "tock_fleet_claims_total{outcome=\"unreachable\"} %llu\n", (unsigned long long) f->unreachable);
        fprintf(m, "tock_fleet_claims_total{outcome=\"too_late\"} %llu\n", (unsigned long long) f->skipped_late);
}

/* ---- teardown ---- */

void fleet_stop(struct fleet *f) {
        timer_cancel(f->d, &f->member_timer);
        if (f->etcd) {
                etcd_free(f->etcd); /* cancels the claims in flight: they free themselves */
                if (f->retired)
                        etcd_free_dead(f->retired, true);
                f->retired = f->etcd;
                f->etcd = NULL;
        }
        while (f->want_lease) {
                struct claim *c = f->want_lease;
                f->want_lease = c->next;
                c->next = c->prev = NULL;
                job_stats_unref(c->stats);
                free(c->key);
                free(c->lease);
                free(c);
        }
        while (f->claims)
                claim_free(f->claims);
        free(f->broken);
        free(f->prefix);
        free(f->host);
        free(f->claim_lease);
        free(f->member_lease);
        f->broken = f->prefix = f->host = f->claim_lease = f->member_lease = NULL;
        f->claim_lease_asked = f->member_asked = false;
}

void fleet_free_dead(struct daemon *d) {
        struct fleet *f = d->fleet;

        if (!f)
                return;
        if (f->etcd)
                etcd_free_dead(f->etcd, false);
        if (f->retired) {
                etcd_free_dead(f->retired, true);
                f->retired = NULL;
        }
}

void fleet_handle_io(struct daemon *d, struct io_source *io, uint32_t events) {
        (void) d;
        etcd_handle_io(io, events);
}

void fleet_done(struct daemon *d) {
        struct fleet *f = d->fleet;

        if (!f)
                return;
        fleet_stop(f);
        fleet_free_dead(d);
        for (size_t b = 0; b < f->jobs.n_buckets; b++)
                while (f->jobs.buckets[b])
                        fjob_free(f, (struct fleet_job *) f->jobs.buckets[b]);
        hmap_done(&f->jobs);
        free(f->members);
        free(f->config);
        free(f);
        d->fleet = NULL;
}
