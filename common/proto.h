/* common/proto.h: the contract between tockd and tockctl, on a Unix stream socket.
 *
 * Every message is a 12-byte header (little-endian: u16 magic, u16 version, u16 type, u16 flags,
 * u32 body length) and then the body. The length is checked against PROTO_MAX_BODY before any
 * allocation. Bodies are sequences of fields packed by proto.c: u32, i32, i64 (little-endian)
 * and strings (u32 length, then the bytes; no NUL on the wire, a NUL inside is refused). A
 * client sends one request and reads replies until the last one for it (OK, ERROR, DIAGS, or
 * RUN_DONE for RUN). Who is asking comes from SO_PEERCRED, never from a body.
 *
 * Requests (body → replies):
 *   HELLO    ()                              → OK(str version, u32 uid, str user)
 *   LIST     (str user)                      → OK(str table text) | ERROR(-ENOENT: no table)
 *   INSTALL  (str user, str text)            → OK(str message) | DIAGS | ERROR
 *   REMOVE   (str user)                      → OK(str message) | ERROR(-ENOENT)
 *   RESTORE  (str user)                      → OK(str message) | ERROR(-ENOENT: nothing kept)
 *   STATUS   (str user)                      → STATUS
 *   NEXT     (str user, u32 count)           → NEXT
 *   WHY      (str user, str job)             → WHY | ERROR(-ENOENT: no such job)
 *   RUN      (str user, str job) + 3 fds     → RUN_STARTED(i32 pid) then RUN_DONE(i32 wstatus,
 *            (stdin, stdout, stderr for the     i64 duration_ms) | ERROR
 *            job, as SCM_RIGHTS)
 *   RELOAD   ()                              → OK(str message)       (root only)
 *   METRICS  ()                              → OK(str Prometheus text)
 * `user` is "" for the caller; naming another user needs root. `job` is "LINE" (in the user's
 * table), "TABLE:LINE" (a table's path, as `status` shows it), or a name given with [name:...].
 *
 * Replies:
 *   OK       (fields as above)
 *   ERROR    (i32 -errno, str message for a person)
 *   DIAGS    (str table text, u32 n, n × (u32 severity, u32 line, u32 col, str message))
 *   STATUS   (str version, i64 started_at, u32 tables, u32 jobs, u32 running, u32 n, n × JOB)
 *   NEXT     (u32 n, n × (i64 at, str zone, str table, u32 line, str user, str command))
 *   WHY      (JOB, str table state, str note, str output tail)
 *   JOB = (str table, u32 line, str name, str user, str schedule, str command, str zone,
 *          i64 next_at, i64 last_at, i32 last_wstatus, i64 last_duration_ms, i64 last_success_at,
 *          u32 runs, u32 failures, i32 running_pid, i64 running_since)
 *   Times are UTC seconds, PROTO_NO_TIME when absent; last_wstatus is -1 before the first run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crontab.h"

#define PROTO_MAGIC 0x4b54u /* "TK" little-endian */
#define PROTO_VERSION 1
#define PROTO_HDR_SIZE 12
#define PROTO_MAX_BODY (CRONTAB_MAX_BYTES + 65536u) /* a whole table, and its fields */
#define PROTO_NO_TIME INT64_MIN
#define PROTO_MAX_FDS 3

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
        _PROTO_REQUEST_END,

        PROTO_OK = 200,
        PROTO_ERROR,
        PROTO_DIAGS,
        PROTO_STATUS_REPLY,
        PROTO_NEXT_REPLY,
        PROTO_WHY_REPLY,
        PROTO_RUN_STARTED,
        PROTO_RUN_DONE,
};

struct proto_hdr {
        uint16_t magic, version, type, flags; /* flags: 0, reserved */
        uint32_t len;
};

/* Header to and from its 12 wire bytes. unpack returns 0, -EPROTO (bad magic), -EPROTONOSUPPORT
 * (another version: the header is still decoded, for the message), or -EMSGSIZE. */
void proto_hdr_pack(const struct proto_hdr *h, uint8_t out[static PROTO_HDR_SIZE]);
int proto_hdr_unpack(const uint8_t in[static PROTO_HDR_SIZE], struct proto_hdr *ret);

/* A message being built: header space first, then fields; proto_finish() fills the header. */
struct proto_buf {
        uint8_t *data;
        size_t len, cap;
        bool oom, too_big;
};

void proto_begin(struct proto_buf *b, enum proto_type type);
void proto_put_u32(struct proto_buf *b, uint32_t v);
void proto_put_i32(struct proto_buf *b, int32_t v);
void proto_put_i64(struct proto_buf *b, int64_t v);
void proto_put_str(struct proto_buf *b, const char *s); /* NULL is sent as "" */
void proto_put_strn(struct proto_buf *b, const char *s, size_t n);
/* Returns 0, -ENOMEM, or -EMSGSIZE when the body grew past PROTO_MAX_BODY. */
int proto_finish(struct proto_buf *b);
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
};

void proto_put_job(struct proto_buf *b, const struct proto_job *j);
int proto_get_job(struct proto_reader *r, struct proto_job *ret); /* 0 or -EBADMSG */
void proto_job_done(struct proto_job *j);

const char *proto_type_to_string(uint16_t type);
