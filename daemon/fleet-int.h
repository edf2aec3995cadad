/* daemon/fleet-int.h: the state of a fleet (fleet.c: configuration, claims, status, teardown),
 * shared with its membership (fleet-members.c). Not for the rest of tockd: tockd.h has the fleet's
 * interface. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "etcd.h"
#include "hmap.h"
#include "tockd.h"

#define CLAIM_JITTER_MS 200  /* a claim waits 0-200 ms, drawn from the host and the key */
#define CLAIM_LOADED_MS 400  /* ... and this more when this host is over its caps */
#define FLEET_RECENT 32      /* claims kept for tockctl fleet */
#define FLEET_MAX_MEMBERS 256
/* A claim's key outlives lease_ttl by this much more: a transaction sent in time may be applied
 * later, when etcd had no leader (etcd 3.4 gives up on a request after 5 s plus two election
 * timeouts, 7 s by default); it must still find the key of a winner applied before it. */
#define CLAIM_SERVER_SLACK_S 10

struct fleet_job {           /* a fleet job this host claimed for, by its stats */
        struct hmap_node node;
        struct job_stats *stats; /* a reference */
        int64_t last_nominal;    /* its last fire time claimed, by anyone */
        char host[64];           /* where that one ran ("" unknown) */
        int64_t taken_elsewhere;
        char *won_key;           /* the key of the last claim won here, until its status is put */
        char *won_lease;
};

struct claim {
        struct timer timer;      /* first: the claim's delay */
        struct fleet *f;
        struct claim *prev, *next;
        struct job_stats *stats; /* a reference */
        int64_t nominal;
        char *key;
        int64_t sent_ns;
        char *lease;             /* the lease it was sent under */
        bool retried;            /* sent again after its lease was gone */
};

struct fleet_recent {
        int64_t nominal, at;
        char key[160];
        char host[64];
        int64_t latency_us;      /* -1: no answer */
        bool won;
};

struct fleet {
        struct daemon *d;
        struct etcd *etcd;       /* NULL: no fleet, or a configuration it cannot use */
        struct etcd *retired;    /* a former client, freed after the loop's batch */
        char *broken;            /* why the configuration cannot be used, or NULL */
        char *prefix;            /* "/tock/NAME/" */
        char *host;
        int64_t ttl_s;
        struct claim *claims;    /* waiting for their delay, a lease, or etcd's answer */
        struct claim *want_lease; /* claims waiting for the claim lease */
        char *claim_lease;       /* ID as etcd writes it, or NULL */
        int64_t claim_lease_ns;  /* CLOCK_MONOTONIC when granted */
        bool claim_lease_asked;
        char *member_lease;
        bool member_asked;
        struct timer member_timer;
        struct hmap jobs;        /* struct fleet_job by stats */
        struct fleet_recent recent[FLEET_RECENT];
        size_t n_recent;         /* total; recent[n % FLEET_RECENT] is the next slot */
        char *members;           /* the members seen at the last look, one "HOST since T" a line */
        char *config;            /* the [fleet] section in force, as config_sig() writes it */
        uint64_t won, lost, unreachable, skipped_late;
};

/* a string as etcd's JSON gateway takes it: base64, in a JSON string (NULL: out of memory) */
json_t *fleet_b64_string(const char *s);
/* Why an etcd request failed: etcd's own "error" of the reply, else strerror(-err) (EBADMSG when
 * err is 0: an answer without what was asked) */
const char *fleet_answer_why(int err, json_t *reply);
/* forgets the jobs that are gone (their table changed or went) */
void fleet_jobs_gc(struct fleet *f);
/* fleet-members.c: the member key and the others', every third of lease_ttl (f->member_timer) */
void fleet_member_tick(struct daemon *d, struct timer *t);
/* fleet.c: the etcd client, claims and leases let go (a reconfiguration, the end) */
void fleet_stop(struct fleet *f);
