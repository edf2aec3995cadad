/* ctl/ctl.h: what tockctl's files share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crontab.h"
#include "proto.h"
#include "timefmt.h"
#include "tz.h"
#include "tzdb.h"

/* Exit codes, documented in tockctl(1) and `tockctl help`. `tockctl run` exits with the job's
 * own status once the job has started. */
enum {
        EXIT_OK = 0,
        EXIT_INVALID = 1, /* the table has errors; or a query found nothing; or tockd said no */
        EXIT_USAGE = 2,   /* bad command line */
        EXIT_IO = 3,      /* a file or zone could not be read */
        EXIT_DAEMON = 4,  /* tockd is not running, or it could not be understood */
        EXIT_DENIED = 5,  /* permission denied: not root, cron.allow/cron.deny, socket mode */
};

struct command {
        const char *name;
        const char *usage;
        const char *summary;
        int (*run)(int argc, char **argv);
};

int cmd_check(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_fleet(int argc, char **argv);

/* compat.c: the crontab(1) command line, when tockctl is called as `crontab` */
int crontab_main(int argc, char **argv);

/* cmd-edit.c: `tockctl edit` and `crontab -e` share the loop; they differ in their words. */
enum edit_style {
        EDIT_TOCKCTL,
        EDIT_CRONTAB,
};
int edit_table(const char *user, const char *shown_user, enum edit_style style);

/* cmd-install.c: prints a DIAGS reply (every message with its source line and caret, the text
 * coming from the reply) and returns EXIT_INVALID, or EXIT_DAEMON when the reply is malformed.
 * `file` names the table in the messages. With `json`, a JSON document on stdout instead. */
struct reply;
int print_diags_reply(const char *cmd, struct reply *rep, const char *file, bool json);
/* The wire cannot carry a NUL inside a string: a table with one is shown with the parser's
 * messages (which say where) and not sent. Returns true when it had one. */
bool table_has_nul(const char *shown, const char *text, size_t len);
/* offline.c: with no tockd to ask (nothing listens on its socket) root installs into the spool
 * itself. offline_possible(): root, and tockd is not running. offline_install() checks the table
 * with tockd's parser and writes it as tockd would; `quiet` as crontab(1) is. Returns an EXIT_*. */
bool offline_possible(void);
int offline_install(const char *user, const char *text, size_t len, const char *shown, bool json, bool quiet);

/* ---- client.c: the socket ---- */

#define CLIENT_DEFAULT_SOCKET "/run/tock/tockd.sock"
#define CLIENT_TIMEOUT_S 60 /* for an answer; `run` waits for its job without a limit */
#define CLIENT_TRIES 5      /* asks for a reply tockd called off (its tables changed) again */

/* One reply. The body is owned; `r` reads it. An ERROR reply is decoded on arrival. */
struct reply {
        uint16_t type;
        uint8_t *body;
        size_t len;
        struct proto_reader r;
        int32_t error;     /* PROTO_ERROR: the negative errno */
        char *error_msg;   /* PROTO_ERROR: the message for a person */
};
void reply_done(struct reply *rep);

struct client {
        int fd;
        const char *path;
        uint16_t peer_version; /* of a reply in another protocol version */
        uint16_t last_type;    /* of the last reply, for messages about it */
};

/* --socket PATH; NULL: $TOCK_SOCKET, else CLIENT_DEFAULT_SOCKET */
void client_set_socket(const char *path);
const char *client_socket_path(void);

/* These return 0 or a negative errno and print nothing; client_error() says what went wrong. */
int client_connect(struct client *c);
/* Sends a finished message, with up to PROTO_MAX_FDS fds as SCM_RIGHTS. */
int client_send(struct client *c, const struct proto_buf *b, const int *fds, size_t n_fds);
/* Reads one whole reply. `wait` false: fail with -ETIMEDOUT after CLIENT_TIMEOUT_S. */
int client_recv(struct client *c, bool wait, struct reply *ret);
void client_close(struct client *c);
/* Prints why talking to tockd failed ("tockd is not running (no socket at ...)") and returns
 * the exit code for it. */
int client_error(const struct client *c, int r);

/* Connects, sends `req` (begun with proto_begin() and filled, not finished) and reads its one
 * reply. Returns EXIT_OK with *ret set, or prints what went wrong and returns the exit code. */
int client_request(struct proto_buf *req, struct reply *ret);

/* For a reply that is not the one expected: prints tockd's ERROR message (or "unexpected
 * reply") prefixed with "tockctl CMD: " and returns the exit code (EXIT_DENIED for -EPERM and
 * -EACCES, EXIT_DAEMON for a reply that makes no sense, EXIT_INVALID otherwise). */
int reply_fail(const char *cmd, const struct reply *rep);
/* Reads the single string of an OK reply (*ret_msg owned). Returns EXIT_OK, or fails as above. */
int reply_ok_string(const char *cmd, struct reply *rep, char **ret_msg);
/* The message for a malformed reply; returns EXIT_DAEMON. */
int reply_malformed(const char *cmd, const struct reply *rep);

/* A request whose answer is OK(str): sends it, prints the string (as a message; as is with
 * `raw`; as {"json_key": ...} with `json`) and returns the exit code. */
struct simple_request {
        const char *cmd;
        enum proto_type type;
        const char *user;        /* sent when the type carries a user (proto.c says); NULL: the caller */
        const char *enoent_user; /* non-NULL: -ENOENT means "no crontab for USER", exit 1 */
        bool json, raw, quiet;  /* quiet: print nothing on OK */
        const char *json_key;
};
int simple_request(const struct simple_request *s);

/* ---- refused.c: the tables tockd refused as they are on disk ---- */
/* Asks tockd (REFUSED) for the refused tables of `user` (NULL: the caller's; root: every one),
 * printing nothing. 0, or a negative errno (a tockd older than REFUSED: -ECONNRESET). */
int refused_fetch(const char *user, struct proto_refused *ret);
/* "your table on disk was refused: FILE:LINE:COL: ..." ("the table of USER" when `user` was
 * named), one line. */
int refused_print_one(FILE *f, const struct proto_refusal *u, const char *user);
/* All of x: for a user, each as refused_print_one(); `all` (root naming nobody), a heading and
 * one line a table. Nothing when there are none. */
int refused_print(FILE *f, const struct proto_refused *x, const char *user, bool all);
struct json;
void refused_json(struct json *j, const char *key, const struct proto_refused *x);
/* For list (crontab -l): the refusal of the table just listed, on stderr; silent when there is
 * none or tockd cannot say. */
void refused_note(const char *user);

/* ---- opts.c ---- */
enum {
        TAKES_USER = 1 << 0,     /* -u USER, --user USER */
        TAKES_JSON = 1 << 1,     /* --json */
        TAKES_ASK = 1 << 2,      /* -i, --interactive */
        TAKES_IN_ORDER = 1 << 3, /* options end at the operand */
};
struct cmd_spec {
        const char *name;         /* "install" */
        const char *usage;        /* what follows "usage: tockctl " */
        unsigned takes;           /* TAKES_* */
        const char *operand;      /* the one operand ("file", "job"), or NULL for none */
        const char *operand_hint; /* appended to "no OPERAND given" */
};
struct cmd_opts {
        const char *user;
        bool json, ask;
        const char *arg; /* the operand */
};
/* Parses a command's options and operand. Returns -1 to go on, else the exit code: EXIT_OK after
 * -h (usage printed), EXIT_USAGE after a message. */
int cmd_options(int argc, char **argv, const struct cmd_spec *spec, struct cmd_opts *o);

/* ---- out.c ---- */
/* Every table tockctl reads comes through read_input() (check, install, next --file, edit's read
 * back, `crontab FILE`): PATH is a regular file, or "-" for stdin. 0 with *ret_text (owned,
 * NUL-terminated) and *ret_len; or -errno, -EFBIG past CRONTAB_MAX_BYTES, -EISDIR, -INPUT_ENOTREG
 * for anything else that is not a regular file (a FIFO, a device, a socket), never blocking on it. */
enum {
        INPUT_OURS = 1 << 0, /* a file tockctl made: a symlink is not followed, and another owner gives -EPERM */
};
#define INPUT_ENOTREG 4096 /* no errno says "not a regular file"; this one is far above them */
int read_input(const char *path, unsigned flags, char **ret_text, size_t *ret_len);
/* The one message for read_input()'s failure r: "PATH: error: cannot read: WHY" (<stdin> for "-").
 * Returns EXIT_IO. */
int input_failed(const char *path, int r);
/* read_bounded() (common/readfile.h) reads a descriptor */
void print_diags(const struct diag_list *d, const char *file, const char *text, size_t len);
void usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new string, or NULL when out of memory (asprintf() leaves its pointer undefined then). */
char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The caller's user name (getpwuid), or its uid as a number; into buf. */
const char *caller_name(char *buf, size_t size);

/* Writes a string from tockd for a terminal: control characters other than tab (and newline
 * when `lines`) become '?', so a job's command or output cannot carry terminal escapes. */
void put_safe(FILE *f, const char *s, bool lines);

/* Asks a y/n question: the prompt goes to `out`, the answer comes from stdin; with `tty`, from
 * /dev/tty (prompt included) when stdin is not a terminal. Returns 1 yes, 0 no, -ENXIO when
 * there is no terminal, -ENODATA when input ended without an answer. */
int ask_yes_no(const char *prompt, FILE *out, bool tty);

/* "1.2s", "5m03s", "2h05m", "3d04h"; "-" for a negative duration. */
#define DURATION_MAX 32
void format_duration_ms(int64_t ms, char buf[static DURATION_MAX]);
/* "exit 0", "killed by SIGTERM", "killed by SIGSEGV (core dumped)"; "never ran" for -1. */
#define WSTATUS_MAX 64
void format_wstatus(int32_t wstatus, char buf[static WSTATUS_MAX]);

/* JSON for scripts: a pretty-printed document built element by element. Keys are NULL inside
 * arrays. Strings are escaped (json_escape); bytes that are not UTF-8 become U+FFFD. */
#define JSON_MAX_DEPTH 16
struct json {
        FILE *f;
        unsigned depth;
        bool has_items[JSON_MAX_DEPTH];
        char closer[JSON_MAX_DEPTH];
};
void json_open(struct json *j, const char *key, char bracket); /* '{' or '[' */
void json_close(struct json *j); /* the innermost open one; a newline after the outermost */
void json_string(struct json *j, const char *key, const char *s); /* NULL: null */
void json_int(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

/* ---- zones.c ---- */
int zone_load(const char *name, struct tz **ret_zone); /* NULL or "": the local zone */
int zone_check(const char *name, void *userdata);
uint64_t table_seed(const char *path);

/* Zones by name, each loaded once, for showing tockd's times in each job's zone. */
struct zone_cache {
        struct tzdb_cache zones;
        struct tz *local; /* "" */
        struct tz *utc;   /* for a zone this machine does not have */
};
/* The zone `name` ("": the local zone); UTC when it cannot be loaded; NULL only on OOM. */
const struct tz *zone_cache_get(struct zone_cache *zc, const char *name);
void zone_cache_done(struct zone_cache *zc);
/* `at` as ISO 8601 in zone `name`, or "-" for PROTO_NO_TIME. */
void zone_cache_iso(struct zone_cache *zc, const char *name, int64_t at, char buf[static TIMEFMT_ISO_MAX]);
/* The same as a JSON member: the ISO string, or null. */
void json_time(struct json *j, const char *key, struct zone_cache *zc, const char *zone, int64_t at);
/* A job of STATUS or WHY as a JSON object. */
void json_job(struct json *j, const char *key, const struct proto_job *job, struct zone_cache *zc);
