/* daemon/fleet-config.c: [fleet] of tockd.conf checked and taken, at start and at each reload
 * (issue 14): the endpoints, the fleet's name, TLS files, the libraries loaded, and this member's
 * etcd client made. A configuration that cannot be used is logged once and leaves fleet jobs to
 * fleet.unreachable until it is fixed. The claims themselves are fleet.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etcd.h"
#include "fleet-int.h"
#include "fleet-libs.h"
#include "log.h"
#include "tockd.h"
#include "util.h"

int fleet_config_check(const struct config *c) {
        (void) c;
        return 0;
}

static int parse_endpoints(const char *list, char ***ret, size_t *ret_n, char **ret_why) {
        _cleanup_free_ char *copy = strdup(list);
        char **v = NULL, *save = NULL;
        size_t n = 0;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
                const char *host = strncmp(w, "http://", 7) == 0 ? w + 7 : strncmp(w, "https://", 8) == 0 ? w + 8 : NULL;
                const char *colon = host ? strrchr(host, ':') : NULL;
                char *end, **nv;
                long port = colon ? strtol(colon + 1, &end, 10) : 0;

                if (!host || !colon || colon == host || end == colon + 1 || (*end && strcmp(end, "/")) || port < 1 ||
                    port > 65535) {
                        xasprintf(ret_why, "fleet.endpoints: '%s' is not an etcd client URL such as http://10.0.0.1:2379", w);
                        goto bad;
                }
                nv = reallocarray(v, n + 1, sizeof *v);
                if (!nv)
                        goto bad;
                v = nv;
                v[n] = strndup(w, strlen(w) - (*end == '/'));
                if (!v[n])
                        goto bad;
                n++;
        }
        if (n == 0) {
                xasprintf(ret_why, "fleet.endpoints: no URL in '%s'", list);
                goto bad;
        }
        *ret = v;
        *ret_n = n;
        return 0;
bad:
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
        return -EINVAL;
}

static char *tls_check(const struct config *c) {
        const char *files[] = { c->fleet_cacert, c->fleet_cert, c->fleet_key };
        const char *keys[] = { "cacert", "cert", "key" };
        char *why = NULL;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                int fd;
                if (!*files[i])
                        continue;
                fd = open(files[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        xasprintf(&why, "fleet.%s: cannot read %s: %s", keys[i], files[i], strerror(errno));
                        return why;
                }
                close(fd);
        }
        if (!*c->fleet_cert != !*c->fleet_key)
                xasprintf(&why, "fleet.cert and fleet.key go together: set both or neither");
        return why;
}

static char *name_check(const struct config *c) {
        char *why = NULL;

        if (!*c->fleet_name || strspn(c->fleet_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                                       strlen(c->fleet_name))
                xasprintf(&why, "fleet.name '%s': a name has only letters, digits, '_', '.' and '-'", c->fleet_name);
        else if (c->fleet_lease_ttl_s < 2)
                xasprintf(&why, "fleet.lease_ttl is %llds: it must be at least 2s", (long long) c->fleet_lease_ttl_s);
        return why;
}

/* The [fleet] keys as one string: a reload that leaves them alone leaves the fleet alone (its
 * claims in flight, its leases and connections) */
static char *config_sig(const struct config *c) {
        char *s = NULL;
        xasprintf(&s, "%s\n%s\n%s\n%lld\n%d\n%s\n%s\n%s", c->fleet_endpoints, c->fleet_name, c->fleet_host,
                  (long long) c->fleet_lease_ttl_s, (int) c->fleet_unreachable, c->fleet_cacert, c->fleet_cert, c->fleet_key);
        return s;
}

void fleet_configure(struct daemon *d) {
        struct fleet *f = d->fleet;
        const struct config *c = &d->cfg;
        char **endpoints = NULL, host[256] = "", *sig;
        size_t n = 0;
        int r;

        if (!f)
                return;
        sig = config_sig(c);
        if (sig && f->config && streq(sig, f->config) && !f->broken) {
                free(sig);
                return;
        }
        fleet_stop(f);
        free(f->config);
        f->config = sig;
        if (!*c->fleet_endpoints)
                return;
        f->broken = name_check(c);
        if (!f->broken)
                f->broken = tls_check(c);
        if (!f->broken) {
                const char *why;
                if (fleet_libs_load(&why) < 0)
                        xasprintf(&f->broken, "fleet: %s", why);
        }
        if (!f->broken && parse_endpoints(c->fleet_endpoints, &endpoints, &n, &f->broken) < 0 && !f->broken)
                f->broken = strdup("out of memory");
        if (f->broken) {
                log_error("%s; fleet jobs follow fleet.unreachable (%s) until the configuration is fixed", f->broken,
                          c->fleet_unreachable == FLEET_UNREACHABLE_LOCAL ? "run here" : "skipped");
                return;
        }
        if (*c->fleet_host)
                snprintf(host, sizeof host, "%s", c->fleet_host);
        else if (gethostname(host, sizeof host - 1) < 0)
                snprintf(host, sizeof host, "unknown");
        f->host = strdup(host);
        if (!f->host || asprintf(&f->prefix, "/tock/%s/", c->fleet_name) < 0) {
                f->prefix = NULL;
                goto oom;
        }
        f->ttl_s = c->fleet_lease_ttl_s;
        r = etcd_new(d, endpoints, n, c->fleet_cacert, c->fleet_cert, c->fleet_key, &f->etcd);
        if (r < 0)
                goto oom;
        log_info("fleet '%s': member %s, etcd at %s, lease %llds, when etcd is unreachable: %s", c->fleet_name, f->host,
                 c->fleet_endpoints, (long long) f->ttl_s, c->fleet_unreachable == FLEET_UNREACHABLE_LOCAL ? "run here" : "skip");
        (void) timer_set(d, &f->member_timer, now_mono_ns());
        return;
oom:
        for (size_t i = 0; i < n; i++)
                free(endpoints[i]);
        free(endpoints);
        f->broken = strdup("out of memory");
        log_error("fleet: out of memory; fleet jobs follow fleet.unreachable");
}

int fleet_init(struct daemon *d) {
        struct fleet *f = calloc(1, sizeof *f);

        if (!f)
                return -ENOMEM;
        f->d = d;
        timer_init(&f->member_timer, fleet_member_tick);
        d->fleet = f;
        return 0;
}

const char *fleet_refused_reason(void) {
        return NULL;
}
