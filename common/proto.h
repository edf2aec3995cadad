/* common/proto.h: the contract between tockd and tockctl, on a Unix stream socket.
 *
 * Every message is a 12-byte header (little-endian: u16 magic, u16 version, u16 type, u16 flags,
 * u32 body length) and then the body. The length is checked against PROTO_MAX_BODY before any
 * allocation. Bodies are sequences of fields packed by proto.c: u32, i32, i64 (little-endian)
 * and strings (u32 length, then the bytes; no NUL on the wire, a NUL inside is refused). A
 * client sends one request and reads replies until the last one for it (OK, ERROR, DIAGS, or
 * RUN_DONE for RUN). Who is asking comes from SO_PEERCRED, never from a body.
 *
 * A reply whose body is over PROTO_MAX_BODY (STATUS or NEXT of a big table) goes in parts, to a
 * client that said it takes them (PROTO_FLAG_PARTS in its request's header): several messages of
 * the reply's type, each body at most PROTO_MAX_BODY, every one but the last flagged
 * PROTO_FLAG_MORE; their bodies joined are the reply's body, at most PROTO_MAX_REPLY. A client
 * that did not say so gets ERROR(-EMSGSIZE) instead, so an older tockctl gets a sentence, not a
 * truncated list or a hang (PROTO_VERSION stays 1). tockd writes the parts as the client reads
 * them; should its tables change before the last, an ERROR(-EAGAIN) flagged PROTO_FLAG_ABORT
 * takes the place of the rest: the reply is void, and the client asks again.
 *
 * The RUN request's 3 fds are the job's standard streams; for another uid's job they must be
 * pipes (tockctl relays them), never the caller's own files or terminal.
 *
 * Requests (body → replies), each body one struct proto_request (see proto_get_request()):
 *   HELLO    ()                              → OK(str version, u32 uid, str user)  (struct proto_hello)
 *   LIST     (str user)                      → OK(str table text) | ERROR(-ENOENT: no table)
 *   INSTALL  (str user, str text)            → OK(str message) | DIAGS | ERROR
 *   REMOVE   (str user)                      → OK(str message) | ERROR(-ENOENT)
 *   RESTORE  (str user)                      → OK(str message) | DIAGS | ERROR(-ENOENT: nothing kept)
 *   STATUS   (str user)                      → STATUS
 *   NEXT     (str user, u32 count)           → NEXT   (count PROTO_NEXT_MIN..PROTO_NEXT_MAX)
 *   WHY      (str user, str job)             → WHY | ERROR(-ENOENT: no such job)
 *   RUN      (str user, str job) + 3 fds     → RUN_STARTED(i32 pid) then RUN_DONE(i32 wstatus,
 *            (stdin, stdout, stderr for the     i64 duration_ms) | ERROR
 *            job, as SCM_RIGHTS)
 *   RELOAD   ()                              → OK(str message)       (root only)
 *   METRICS  ()                              → OK(str Prometheus text)
 *   FLEET    ()                              → OK(str the fleet's members and recent claims, text)
 *   REFUSED  (str user)                      → REFUSED   (the tables tockd refused as they are on
 *                                              disk: root naming nobody gets every one, anyone
 *                                              else the user's own table's; a tockd older than
 *                                              REFUSED closes the connection without an answer)
 * `user` is "" for the caller; naming another user needs root. `job` is "LINE" (in the user's
 * table), "TABLE:LINE" (a table's path, as `status` shows it), or a name given with [name:...].
 *
 * Replies (body → its struct and put/get pair below):
 *   OK       (str text), or HELLO's (str version, u32 uid, str user)   proto_put_ok, proto_put_hello
 *   ERROR    (i32 -errno, str message for a person)                    struct proto_error
 *   DIAGS    (str table text, u32 n, n × (u32 severity, u32 line, u32 col, str message))
 *                                                                      struct proto_diags
 *   STATUS   (str version, i64 started_at, u32 tables, u32 jobs, u32 running, u32 n, n × JOB)
 *                                                                      struct proto_status
 *   NEXT     (u32 n, n × (i64 at, str zone, str table, u32 line, str user, str command))
 *                                                                      struct proto_next
 *   WHY      (JOB, str table state, str note, str output tail)         struct proto_why
 *   RUN_STARTED (i32 pid)                                              proto_put_run_started
 *   RUN_DONE (i32 wstatus, i64 duration_ms)                            struct proto_run_done
 *   REFUSED  (u32 total, u32 n, n × (str table, str user, u32 line, u32 col, str reason,
 *            u32 more, u32 in_force, u32 jobs))                        struct proto_refused
 *   JOB = (str table, u32 line, str name, str user, str schedule, str command, str zone,
 *          i64 next_at, i64 last_at, i32 last_wstatus, i64 last_duration_ms, i64 last_success_at,
 *          u32 runs, u32 failures, i32 running_pid, i64 running_since)  struct proto_job
 *   Times are UTC seconds, PROTO_NO_TIME when absent; last_wstatus is -1 before the first run.
 *
 * Every proto_put_BODY() begins the message (proto_begin() with its type) and packs the body;
 * proto_finish() is still the caller's. Every proto_get_BODY() reads the whole body: 0, or
 * -EBADMSG (short, trailing bytes, a NUL in a string) or -ENOMEM; *ret is written only on
 * success, and its strings are then owned (free them with the matching _done()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crontab.h"
#include "diag.h"

#define PROTO_MAGIC 0x4b54u /* "TK" little-endian */
#define PROTO_VERSION 2 /* 2: a job carries where its last fleet fire time ran (issue 14) */
#define PROTO_HDR_SIZE 12
#define PROTO_MAX_BODY (CRONTAB_MAX_BYTES + 65536u) /* a whole table, and its fields */
#define PROTO_NO_TIME INT64_MIN
#define PROTO_MAX_FDS 3
#define PROTO_MAX_REPLY (256u << 20) /* a reply sent in parts, all of them */
#define PROTO_FLAG_PARTS 1u /* request: the client joins a reply sent in parts */
#define PROTO_FLAG_MORE 2u  /* reply: another part of this reply follows */
#define PROTO_FLAG_ABORT 4u /* an ERROR in place of a reply's remaining parts: the parts before it
                             * are void (tockd's tables changed while it sent them, -EAGAIN) */
#define PROTO_NEXT_MIN 1      /* NEXT: how many runs may be asked for */
#define PROTO_NEXT_MAX 100000

enum proto_type {
        /* a retired number stays here as a comment, never reused */
        PROTO_HELLO = 100,
        PROTO_LIST,
        PROTO_INSTALL,
        PROTO_REMOVE,
        PROTO_RESTORE,
        PROTO_STATUS,
        PROTO_NEXT,
        PROTO_WHY,
        PROTO_RUN,
        PROTO_RELOAD,
        PROTO_METRICS,
        PROTO_REFUSED,
        PROTO_FLEET,
        _PROTO_REQUEST_END,

        PROTO_OK = 200,
        PROTO_ERROR,
        PROTO_DIAGS,
        PROTO_STATUS_REPLY,
        PROTO_NEXT_REPLY,
        PROTO_WHY_REPLY,
        PROTO_RUN_STARTED,
        PROTO_RUN_DONE,
        PROTO_REFUSED_REPLY,
};

struct proto_hdr {
        uint16_t magic, version, type, flags; /* flags: PROTO_FLAG_*, the other bits 0 */
        uint32_t len;
};

/* Header to and from its 12 wire bytes. unpack returns 0, -EPROTO (bad magic), -EPROTONOSUPPORT
 * (another version: the header is still decoded, for the message), or -EMSGSIZE. */
void proto_hdr_pack(const struct proto_hdr *h, uint8_t out[static PROTO_HDR_SIZE]);
int proto_hdr_unpack(const uint8_t in[static PROTO_HDR_SIZE], struct proto_hdr *ret);

/* A message being built: header space first, then fields; proto_finish() fills the header.
 * max_body: how big the body may grow (0: PROTO_MAX_BODY; more only for a reply in parts, up to
 * PROTO_MAX_REPLY); flags: the header's flags (a request's PROTO_FLAG_PARTS). */
struct proto_buf {
        uint8_t *data;
        size_t len, cap;
        bool oom, too_big;
        size_t max_body;
        uint16_t flags;
};

void proto_begin(struct proto_buf *b, enum proto_type type);
void proto_put_u32(struct proto_buf *b, uint32_t v);
void proto_put_i32(struct proto_buf *b, int32_t v);
void proto_put_i64(struct proto_buf *b, int64_t v);
void proto_put_str(struct proto_buf *b, const char *s); /* NULL is sent as "" */
void proto_put_strn(struct proto_buf *b, const char *s, size_t n);
/* Returns 0, -ENOMEM, or -EMSGSIZE when the body grew past b->max_body. */
int proto_finish(struct proto_buf *b);
/* A finished message as it goes on the wire: one message, or parts when its body is over
 * PROTO_MAX_BODY. proto_wire_len() says how many bytes; proto_wire() writes them to out. */
size_t proto_wire_len(const struct proto_buf *b);
void proto_wire(const struct proto_buf *b, uint8_t *out);
void proto_buf_done(struct proto_buf *b);

/* Reading a body: every getter fails once the body runs short, and stays failed. */
struct proto_reader {
        const uint8_t *p, *end;
        bool bad;
};

void proto_reader_init(struct proto_reader *r, const void *body, size_t len);
uint32_t proto_get_u32(struct proto_reader *r);
int32_t proto_get_i32(struct proto_reader *r);
int64_t proto_get_i64(struct proto_reader *r);
/* A new NUL-terminated copy (NULL and r->bad on failure, or on a NUL inside). */
char *proto_get_str(struct proto_reader *r);
/* 0 when everything was read and nothing is left over, -EBADMSG otherwise. */
int proto_reader_end(const struct proto_reader *r);

/* A job as STATUS and WHY carry it. Strings are owned. */
struct proto_job {
        char *table;
        uint32_t line;
        char *name, *user, *schedule, *command, *zone;
        int64_t next_at, last_at;
        int32_t last_wstatus;
        int64_t last_duration_ms, last_success_at;
        uint32_t runs, failures;
        int32_t running_pid;
        int64_t running_since;
        char *fleet_host;     /* a fleet job whose last fire time ran on another host: that host, else "" */
        int64_t fleet_at;     /* ... and that fire time, else PROTO_NO_TIME */
};

void proto_put_job(struct proto_buf *b, const struct proto_job *j);
int proto_get_job(struct proto_reader *r, struct proto_job *ret); /* 0 or -EBADMSG */
void proto_job_done(struct proto_job *j);

/* ---- message bodies ---- */

/* A request's body. Which fields a type carries is the list above; the others stay 0/NULL. */
struct proto_request {
        char *user;      /* all but HELLO, RELOAD, METRICS; "" for the caller */
        char *job;       /* WHY, RUN */
        char *text;      /* INSTALL: the table (no NUL inside) */
        size_t text_len;
        uint32_t count;  /* NEXT: PROTO_NEXT_MIN..PROTO_NEXT_MAX (a count outside is malformed) */
};
void proto_put_request(struct proto_buf *b, enum proto_type type, const struct proto_request *q);
/* As every getter below; -EINVAL for a type that is not a request. */
int proto_get_request(struct proto_reader *r, enum proto_type type, struct proto_request *ret);
void proto_request_done(struct proto_request *q);

/* OK with one string: a message, a table's text, the metrics. `len` bytes of `text` are sent. */
void proto_put_ok(struct proto_buf *b, const char *text, size_t len);
int proto_get_ok(struct proto_reader *r, char **ret_text);

/* HELLO's OK. */
struct proto_hello {
        char *version;
        uint32_t uid;
        char *user; /* "" when the uid has no name */
};
void proto_put_hello(struct proto_buf *b, const struct proto_hello *h);
int proto_get_hello(struct proto_reader *r, struct proto_hello *ret);
void proto_hello_done(struct proto_hello *h);

struct proto_error {
        int32_t err; /* -errno as sent (tockd sends it negative) */
        char *msg;
};
void proto_put_error(struct proto_buf *b, const struct proto_error *e);
int proto_get_error(struct proto_reader *r, struct proto_error *ret);
void proto_error_done(struct proto_error *e);

/* A refused table and why. Severities other than error and warning come back as notes; past
 * DIAG_MAX only the counters grow (diag_add()). */
struct proto_diags {
        char *text;
        struct diag_list list;
};
void proto_put_diags(struct proto_buf *b, const struct proto_diags *g);
int proto_get_diags(struct proto_reader *r, struct proto_diags *ret);
void proto_diags_done(struct proto_diags *g);

struct proto_status {
        char *version;
        int64_t started_at;
        uint32_t tables, jobs, running; /* what the caller may know of: every job, or theirs */
        struct proto_job *job;          /* the jobs listed; grown as they are read, so a lying
                                         * count costs nothing */
        size_t n;
};
void proto_put_status(struct proto_buf *b, const struct proto_status *s);
/* The same in pieces, for a reply written as it is sent: the fields before the records (s->n
 * says how many follow), then proto_put_job() for each. */
void proto_put_status_head(struct proto_buf *b, const struct proto_status *s);
int proto_get_status(struct proto_reader *r, struct proto_status *ret);
void proto_status_done(struct proto_status *s);

struct proto_next_run {
        int64_t at;
        char *zone, *table;
        uint32_t line;
        char *user, *command;
};
struct proto_next {
        struct proto_next_run *runs; /* in order of time */
        size_t n;
};
void proto_put_next(struct proto_buf *b, const struct proto_next *x);
/* In pieces: how many runs follow, then each run. */
void proto_put_next_head(struct proto_buf *b, size_t n);
void proto_put_next_run(struct proto_buf *b, const struct proto_next_run *u);
int proto_get_next(struct proto_reader *r, struct proto_next *ret);
void proto_next_done(struct proto_next *x);

struct proto_why {
        struct proto_job job;
        char *state, *note;
        char *output;      /* the end of the last run's output */
        size_t output_len; /* put: bytes of output sent as they are; get: strlen(output) */
};
void proto_put_why(struct proto_buf *b, const struct proto_why *w);
int proto_get_why(struct proto_reader *r, struct proto_why *ret);
void proto_why_done(struct proto_why *w);

void proto_put_run_started(struct proto_buf *b, int32_t pid);
int proto_get_run_started(struct proto_reader *r, int32_t *ret_pid);

struct proto_run_done {
        int32_t wstatus;
        int64_t duration_ms;
};
void proto_put_run_done(struct proto_buf *b, const struct proto_run_done *x);
int proto_get_run_done(struct proto_reader *r, struct proto_run_done *ret);

/* A table tockd refused as it is on disk, and what runs instead. */
struct proto_refusal {
        char *table;       /* its path */
        char *user;        /* whose table it is: a user's table's owner; "" for a system table */
        uint32_t line, col; /* of its first error; 0 when the refusal is about the file, not a line */
        char *reason;      /* the first error's message, or why the file itself was refused */
        uint32_t more;     /* errors after the first */
        uint32_t in_force; /* 1: the version read before it still runs; 0: no version of it runs */
        uint32_t jobs;     /* the jobs of the version in force */
};
struct proto_refused {
        uint32_t total;    /* refused tables the caller may know of; more than n when they did not fit */
        struct proto_refusal *v;
        size_t n;
};
void proto_put_refused(struct proto_buf *b, const struct proto_refused *x);
int proto_get_refused(struct proto_reader *r, struct proto_refused *ret);
void proto_refused_done(struct proto_refused *x);
/* The one sentence tockd and tockctl say about a refusal: "LEAD: FILE:LINE:COL: REASON (and N
 * more errors); the previous version is in force (N jobs)" ("...; no version of it is in
 * force"); LEAD NULL leaves "LEAD: " out. NULL when out of memory. */
char *proto_refusal_text(const struct proto_refusal *x, const char *lead);

const char *proto_type_to_string(uint16_t type);
