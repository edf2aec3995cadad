/* daemon/etcd.h: an asynchronous client of etcd's v3 JSON gateway (etcd.c), for fleet.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet-libs.h"

struct daemon;
struct etcd;
struct io_source;

/* A request's end: err 0 and etcd's reply; -EPROTO and the reply when etcd refused the request
 * (reply's "error" says why); -EHOSTUNREACH when no endpoint answered; -EBADMSG when the answer
 * is not JSON; -ECANCELED when the client is freed first (reply NULL). `reply` is borrowed. */
typedef void (*etcd_done_fn)(struct daemon *d, void *userdata, int err, json_t *reply);

/* Takes `endpoints` (n URLs, owned). TLS files: "" none. */
int etcd_new(struct daemon *d, char **endpoints, size_t n, const char *cacert, const char *cert, const char *key,
             struct etcd **ret);
/* POSTs `body` (taken) to path ("/v3/kv/txn") on the endpoint that answered last, the others
 * after it when it cannot be reached; `done` is called once, later, never from inside this call. */
int etcd_call(struct etcd *e, const char *path, json_t *body, etcd_done_fn done, void *userdata);
/* Cancels every request (their callbacks run, with -ECANCELED) and closes the connections; the
 * memory goes at etcd_free_dead(e, true), after the loop's batch of events. */
void etcd_free(struct etcd *e);
void etcd_free_dead(struct etcd *e, bool whole);
void etcd_handle_io(struct io_source *io, uint32_t events);
const char *etcd_endpoint(const struct etcd *e);

/* base64 of s[0..n) and back (NUL-terminated, *ret_len without it); NULL: out of memory or, when
 * decoding, not base64 */
char *etcd_b64(const char *s, size_t n);
char *etcd_unb64(const char *s, size_t *ret_len);
