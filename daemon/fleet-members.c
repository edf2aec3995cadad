/* daemon/fleet-members.c: a fleet's membership (fleet-int.h). Each tockd keeps
 * /tock/FLEET/members/HOST under a lease of lease_ttl, kept alive every third of it, and reads the
 * others' keys at the same pace for tockctl fleet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet-int.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

static void members_answer(struct daemon *d, void *userdata, int err, json_t *reply) {
        struct fleet *f = userdata;
        json_t *kvs = json_object_get(reply, "kvs"), *kv;
        size_t i;
        char *text = NULL;
        size_t len = 0;
        FILE *m;

        (void) d;
        if (err < 0)
                return;
        m = open_memstream(&text, &len);
        if (!m)
                return;
        json_array_foreach(kvs, i, kv) {
                _cleanup_free_ char *value = NULL;
                json_t *v;
                if (i >= FLEET_MAX_MEMBERS || !json_string_value(json_object_get(kv, "value")) ||
                    !(value = etcd_unb64(json_string_value(json_object_get(kv, "value")), NULL)))
                        continue;
                v = json_loads(value, 0, NULL);
                fprintf(m, "%s\tsince %lld\n", json_string_value(json_object_get(v, "host")) ?: "?",
                        (long long) json_integer_value(json_object_get(v, "since")));
                json_decref(v);
        }
        fclose(m);
        free(f->members);
        f->members = text;
}

static void member_put_answer(struct daemon *d, void *userdata, int err, json_t *reply) {
        (void) d;
        (void) userdata;
        if (err < 0 && err != -ECANCELED)
                log_warning("fleet: cannot write this member's key: %s", fleet_answer_why(err, reply));
}

static void member_lease_answer(struct daemon *d, void *userdata, int err, json_t *reply) {
        struct fleet *f = userdata;
        const char *id = json_string_value(json_object_get(reply, "ID"));
        _cleanup_free_ char *key = NULL, *value = NULL;
        json_t *body;

        f->member_asked = false;
        if (err < 0 || !id) {
                if (err != -ECANCELED)
                        log_warning("fleet: no member lease from etcd: %s", fleet_answer_why(err, reply));
                return;
        }
        free(f->member_lease);
        f->member_lease = strdup(id);
        xasprintf(&key, "%smembers/%s", f->prefix, f->host);
        xasprintf(&value, "{\"host\":\"%s\",\"pid\":%d,\"since\":%lld}", f->host, (int) getpid(), (long long) d->started_at);
        if (!key || !value || !f->member_lease)
                return;
        body = json_pack("{s:o,s:o,s:s}", "key", fleet_b64_string(key), "value", fleet_b64_string(value), "lease", f->member_lease);
        if (body)
                (void) etcd_call(f->etcd, "/v3/kv/put", body, member_put_answer, f);
}

static void keepalive_answer(struct daemon *d, void *userdata, int err, json_t *reply) {
        struct fleet *f = userdata;
        json_t *res = json_object_get(reply, "result");
        const char *ttl = json_string_value(json_object_get(res, "TTL"));

        (void) d;
        if (err == -ECANCELED)
                return;
        if (err == 0 && (!ttl || atoll(ttl) <= 0)) { /* the lease is gone: a new one, and the key again */
                free(f->member_lease);
                f->member_lease = NULL;
        }
}

void fleet_member_tick(struct daemon *d, struct timer *t) {
        struct fleet *f = d->fleet;
        _cleanup_free_ char *from = NULL, *to = NULL;
        json_t *body;

        (void) t;
        if (!f->etcd)
                return;
        if (!f->member_lease && !f->member_asked) {
                body = json_pack("{s:I}", "TTL", (json_int_t) f->ttl_s);
                f->member_asked = true;
                if (!body || etcd_call(f->etcd, "/v3/lease/grant", body, member_lease_answer, f) < 0)
                        f->member_asked = false;
        } else if (f->member_lease) {
                body = json_pack("{s:s}", "ID", f->member_lease);
                if (body)
                        (void) etcd_call(f->etcd, "/v3/lease/keepalive", body, keepalive_answer, f);
        }
        xasprintf(&from, "%smembers/", f->prefix);
        xasprintf(&to, "%smembers0", f->prefix); /* '0' follows '/': the end of the prefix's range */
        if (from && to && (body = json_pack("{s:o,s:o}", "key", fleet_b64_string(from), "range_end", fleet_b64_string(to))))
                (void) etcd_call(f->etcd, "/v3/kv/range", body, members_answer, f);
        fleet_jobs_gc(f);
        (void) timer_set(d, &f->member_timer, now_mono_ns() + f->ttl_s * 1000000000LL / 3);
}
