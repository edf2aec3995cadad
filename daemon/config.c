/* daemon/config.c: tockd.conf (INI, read with inih) and its one table of keys.
 *
 * A new key is one row in `keys` plus its default in config_init(); `tockd --dump-config` prints
 * what is in force. Command-line flags go through config_set() too, after the file. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "tockd.h"
#include "util.h"

enum key_type { KEY_STRING, KEY_LOG_TARGET, KEY_LOG_LEVEL, KEY_LOG_FORMAT, KEY_JOB_OUTPUT, KEY_UMASK, KEY_ON_STOP, KEY_DURATION, KEY_SIZE, KEY_OVERLAP,
                KEY_INT, KEY_RLIMIT, KEY_BOOL, KEY_UNREACHABLE };

static const struct key {
        const char *section, *name;
        enum key_type type;
        size_t offset;
        const char *doc;
} keys[] = {
        { "paths", "crontab", KEY_STRING, offsetof(struct config, crontab), "the system table (\"\" disables it)" },
        { "paths", "cron_d", KEY_STRING, offsetof(struct config, cron_d), "directory of system tables (\"\" disables it)" },
        { "paths", "spool", KEY_STRING, offsetof(struct config, spool), "per-user tables, one file per user (cronie: /var/spool/cron)" },
        { "paths", "table", KEY_STRING, offsetof(struct config, table),
          "user-format tables run as tockd's own user: files or directories of them, separated by ':'" },
        { "paths", "state", KEY_STRING, offsetof(struct config, state_dir), "state directory (boot id for @reboot)" },
        { "paths", "zoneinfo", KEY_STRING, offsetof(struct config, zoneinfo), "time zone files" },
        { "paths", "localtime", KEY_STRING, offsetof(struct config, localtime), "the system time zone" },
        { "paths", "boot_id", KEY_STRING, offsetof(struct config, boot_id), "where this boot's id is read" },
        { "paths", "socket", KEY_STRING, offsetof(struct config, socket), "the control socket for tockctl (\"\" disables it)" },
        { "paths", "cron_allow", KEY_STRING, offsetof(struct config, cron_allow), "users who may use tockctl/crontab, if it exists" },
        { "paths", "cron_deny", KEY_STRING, offsetof(struct config, cron_deny), "users who may not, if cron_allow does not exist" },
        { "paths", "metrics_file", KEY_STRING, offsetof(struct config, metrics_file),
          "Prometheus metrics written here after runs, for node_exporter's textfile collector (\"\" disables)" },
        { "paths", "pam_dir", KEY_STRING, offsetof(struct config, pam_dir),
          "PAM's configuration directory (\"\": PAM's own, /etc/pam.d then /usr/lib/pam.d)" },
        { "log", "target", KEY_LOG_TARGET, offsetof(struct config, log_target), "auto, journal, syslog, stderr or stdout" },
        { "log", "level", KEY_LOG_LEVEL, offsetof(struct config, log_level), "error, warning, info or debug" },
        { "log", "format", KEY_LOG_FORMAT, offsetof(struct config, log_format),
          "on stdout or stderr: text, or json (one object a line, fields in tockd(8)); auto then means stdout" },
        { "log", "job_output", KEY_JOB_OUTPUT, offsetof(struct config, job_output),
          "a job's output lines logged as they come (lines) or together when the run ends (end)" },
        { "jobs", "shell", KEY_STRING, offsetof(struct config, shell), "SHELL when the table sets none" },
        { "jobs", "path", KEY_STRING, offsetof(struct config, path), "PATH when the table sets none (and, with inherit_env, tockd's environment has none)" },
        { "jobs", "inherit_env", KEY_BOOL, offsetof(struct config, inherit_env),
          "jobs start from tockd's environment, then cron's variables and the table's lines (the container mode's default)" },
        { "jobs", "umask", KEY_UMASK, offsetof(struct config, umask), "umask of jobs (octal)" },
        { "jobs", "on_stop", KEY_ON_STOP, offsetof(struct config, on_stop),
          "on SIGTERM: leave running jobs alone, term them, or wait for them (up to stop_timeout)" },
        { "jobs", "stop_timeout", KEY_DURATION, offsetof(struct config, stop_timeout_s), "how long term/wait give jobs before SIGKILL" },
        { "jobs", "max_output", KEY_SIZE, offsetof(struct config, max_output),
          "bytes of a run's output logged or mailed; the rest is counted and dropped" },
        { "jobs", "sendmail", KEY_STRING, offsetof(struct config, sendmail),
          "mail a job's output with this sendmail, to MAILTO or the owner (\"\" disables mail: output is logged)" },
        { "jobs", "pam_service", KEY_STRING, offsetof(struct config, pam_service),
          "jobs go through this PAM service's account and session steps, when it exists (\"\" disables PAM)" },
        { "jobs", "max_running", KEY_SIZE, offsetof(struct config, max_running),
          "at most this many scheduled runs at once (0: no cap); the others wait in order" },
        { "jobs", "max_running_per_user", KEY_SIZE, offsetof(struct config, max_running_per_user),
          "at most this many scheduled runs of one user at once (0: no cap)" },
        { "jobs", "max_manual_runs_per_user", KEY_SIZE, offsetof(struct config, max_manual_runs_per_user),
          "at most this many `tockctl run`s of one user (but root) going at once (0: no cap); the next is refused" },
        { "jobs", "nice", KEY_INT, offsetof(struct config, nice), "nice level of jobs (-20..19)" },
        { "jobs", "limit_nofile", KEY_RLIMIT, offsetof(struct config, rlimits[0]), "RLIMIT_NOFILE of jobs (inherit, infinity or a number)" },
        { "jobs", "limit_nproc", KEY_RLIMIT, offsetof(struct config, rlimits[1]), "RLIMIT_NPROC of jobs" },
        { "jobs", "limit_as", KEY_RLIMIT, offsetof(struct config, rlimits[2]), "RLIMIT_AS of jobs, bytes (K, M, G)" },
        { "jobs", "limit_cpu", KEY_RLIMIT, offsetof(struct config, rlimits[3]), "RLIMIT_CPU of jobs, seconds" },
        { "jobs", "limit_core", KEY_RLIMIT, offsetof(struct config, rlimits[4]), "RLIMIT_CORE of jobs, bytes" },
        { "jobs", "limit_fsize", KEY_RLIMIT, offsetof(struct config, rlimits[5]), "RLIMIT_FSIZE of jobs, bytes" },
        { "jobs", "on_failure", KEY_STRING, offsetof(struct config, on_failure),
          "a command run by the owner's shell when a run fails or times out, with TOCK_* variables (\"\" none)" },
        { "jobs", "timeout", KEY_DURATION, offsetof(struct config, timeout_s),
          "stop a run after this long (0: never); a job's [timeout:...] wins" },
        { "jobs", "kill_grace", KEY_DURATION, offsetof(struct config, kill_grace_s),
          "from SIGTERM at a timeout to SIGKILL of the run's process group" },
        { "jobs", "overlap", KEY_OVERLAP, offsetof(struct config, overlap),
          "when a run is still going at the next fire time: run (cron's way), skip or queue; [overlap:...] wins" },
        { "jobs", "jitter", KEY_DURATION, offsetof(struct config, jitter_s),
          "start each run up to this much late, at random (0: never); [jitter:...] wins" },
        { "jobs", "catchup", KEY_BOOL, offsetof(struct config, catchup),
          "run a job once at start when a fire time was missed while tockd or the machine was down; [catchup:...] wins" },
        { "jobs", "fleet", KEY_BOOL, offsetof(struct config, fleet),
          "every job is a fleet job (one host of the fleet runs each fire time); [fleet:no] or [fleet] wins" },
        { "fleet", "endpoints", KEY_STRING, offsetof(struct config, fleet_endpoints),
          "etcd client URLs (http:// or https://), ',' between them; \"\" means no fleet" },
        { "fleet", "name", KEY_STRING, offsetof(struct config, fleet_name),
          "the fleet's name: its keys live under /tock/NAME/ in etcd" },
        { "fleet", "host", KEY_STRING, offsetof(struct config, fleet_host),
          "this member's name in the fleet (\"\": the host name)" },
        { "fleet", "lease_ttl", KEY_DURATION, offsetof(struct config, fleet_lease_ttl_s),
          "TTL of the member's lease and the least a claim is kept; also the clock skew the fleet tolerates" },
        { "fleet", "unreachable", KEY_UNREACHABLE, offsetof(struct config, fleet_unreachable),
          "when no etcd endpoint answers a claim: skip the fire time (and log it), or run it here (local)" },
        { "fleet", "cacert", KEY_STRING, offsetof(struct config, fleet_cacert), "CA file for https endpoints (\"\": the system's)" },
        { "fleet", "cert", KEY_STRING, offsetof(struct config, fleet_cert), "client certificate for https endpoints (\"\": none)" },
        { "fleet", "key", KEY_STRING, offsetof(struct config, fleet_key), "the client certificate's key" },
};

static const char *const log_targets[] = { "auto", "journal", "syslog", "stderr", "stdout", NULL };
static const char *const log_levels[] = { [LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                                          [LOG_INFO] = "info", [LOG_DEBUG] = "debug" };
static const char *const on_stops[] = { "leave", "term", "wait", NULL };
static const char *const log_formats[] = { [LOG_FORMAT_TEXT] = "text", [LOG_FORMAT_JSON] = "json" };
static const char *const job_outputs[] = { [JOB_OUTPUT_LINES] = "lines", [JOB_OUTPUT_END] = "end" };
static const char *const overlaps[] = { [OVERLAP_RUN] = "run", [OVERLAP_SKIP] = "skip", [OVERLAP_QUEUE] = "queue" };
static const char *const unreachables[] = { [FLEET_UNREACHABLE_SKIP] = "skip", [FLEET_UNREACHABLE_LOCAL] = "local" };

static int set_string(char **dst, const char *v) {
        char *s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

void config_init(struct config *c) {
        *c = (struct config) {
                .log_target = LOG_TARGET_AUTO,
                .log_level = LOG_INFO,
                .umask = 022,
                .on_stop = ON_STOP_LEAVE,
                .stop_timeout_s = 30,
                .max_output = 64 * 1024,
                .max_manual_runs_per_user = 4,
                .kill_grace_s = 10,
                .rlimits = { -1, -1, -1, -1, -1, -1 },
                .overlap = OVERLAP_RUN,
                .fleet_lease_ttl_s = 10,
                .fleet_unreachable = FLEET_UNREACHABLE_SKIP,
        };
        (void) set_string(&c->config_file, "/etc/tock/tockd.conf");
        (void) set_string(&c->crontab, "/etc/crontab");
        (void) set_string(&c->cron_d, "/etc/cron.d");
        (void) set_string(&c->spool, "/var/spool/cron/crontabs");
        (void) set_string(&c->table, "");
        (void) set_string(&c->state_dir, "/var/lib/tock");
        (void) set_string(&c->zoneinfo, "/usr/share/zoneinfo");
        (void) set_string(&c->localtime, "/etc/localtime");
        (void) set_string(&c->boot_id, "/proc/sys/kernel/random/boot_id");
        (void) set_string(&c->socket, "/run/tock/tockd.sock");
        (void) set_string(&c->cron_allow, "/etc/cron.allow");
        (void) set_string(&c->cron_deny, "/etc/cron.deny");
        (void) set_string(&c->metrics_file, "");
        (void) set_string(&c->shell, "/bin/sh");
        (void) set_string(&c->path, "/usr/bin:/bin");
        (void) set_string(&c->sendmail, "/usr/sbin/sendmail");
        (void) set_string(&c->on_failure, "");
        (void) set_string(&c->pam_service, "cron");
        (void) set_string(&c->pam_dir, "");
        (void) set_string(&c->fleet_endpoints, "");
        (void) set_string(&c->fleet_name, "default");
        (void) set_string(&c->fleet_host, "");
        (void) set_string(&c->fleet_cacert, "");
        (void) set_string(&c->fleet_cert, "");
        (void) set_string(&c->fleet_key, "");
}

/* The container mode (tockd --table FILE and no system tables named): the defaults that make
 * the short form a whole command line, set before the configuration file and the flags, which
 * may change any of them. Nothing under /etc, /var or /run: the user may not be root and the
 * image may hold nothing but tockd. */
void config_container_defaults(struct config *c) {
        c->container = true;
        c->foreground = true;
        c->log_target = LOG_TARGET_STDOUT;
        c->on_stop = ON_STOP_TERM;
        c->stop_timeout_s = 8; /* under docker stop's and podman stop's 10 s */
        c->inherit_env = true;  /* supercronic's way: jobs see the container's environment */
        (void) set_string(&c->crontab, "");
        (void) set_string(&c->cron_d, "");
        (void) set_string(&c->spool, "");
        (void) set_string(&c->state_dir, "");
        (void) set_string(&c->socket, "");
        (void) set_string(&c->sendmail, "");
        (void) set_string(&c->pam_service, "");
}

void config_done(struct config *c) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].type == KEY_STRING)
                        free(*(char **) ((char *) c + keys[i].offset));
        free(c->config_file);
        *c = (struct config) {};
}

static int lookup(const char *const *names, size_t n, const char *v) {
        for (size_t i = 0; i < n; i++)
                if (names[i] && strcasecmp(names[i], v) == 0)
                        return (int) i;
        return -1;
}

/* A count of bytes up to 1 TiB, with an optional K, M or G. The bound is checked before the
 * suffix multiplies, and a sign is refused: strtoull() reads "-1" as ULLONG_MAX and
 * "-18446744073709551615" as 1, and "17179869184G" shifted wraps to 0 (issue 10). */
static int parse_size(const char *v, size_t *ret) {
        char *end;
        unsigned long long n;
        unsigned shift = 0;

        if (!isdigit((unsigned char) *v))
                return -EINVAL;
        errno = 0;
        n = strtoull(v, &end, 10);
        if (errno || end == v)
                return -EINVAL;
        if (*end == 'K' || *end == 'k')
                shift = 10, end++;
        else if (*end == 'M' || *end == 'm')
                shift = 20, end++;
        else if (*end == 'G' || *end == 'g')
                shift = 30, end++;
        if (*end || n > (1ULL << 40) >> shift)
                return -EINVAL;
        *ret = (size_t) (n << shift);
        return 0;
}

/* Seconds up to a week, with an optional s, m or h; the bound is checked before the unit
 * multiplies, which overflowed: "9223372036854775807h" was -3600 seconds (issue 10). */
static int parse_seconds(const char *v, int64_t *ret) {
        char *end;
        long long n, unit = 1;

        errno = 0;
        n = strtoll(v, &end, 10);
        if (errno || end == v || n < 0)
                return -EINVAL;
        if (*end == 'm')
                unit = 60, end++;
        else if (*end == 'h')
                unit = 3600, end++;
        else if (*end == 's')
                end++;
        if (*end || n > 86400 * 7 / unit)
                return -EINVAL;
        *ret = n * unit;
        return 0;
}

int config_set(struct config *c, const char *section, const char *name, const char *v) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const struct key *k = &keys[i];
                void *dst = (char *) c + k->offset;
                int x;

                if (!streq(k->section, section) || !streq(k->name, name))
                        continue;
                switch (k->type) {
                case KEY_STRING:
                        return set_string(dst, v);
                case KEY_LOG_TARGET:
                        if ((x = lookup(log_targets, 5, v)) < 0)
                                return -EINVAL;
                        *(enum log_target *) dst = (enum log_target) x;
                        return 0;
                case KEY_LOG_LEVEL:
                        if ((x = lookup(log_levels, ELEMENTSOF(log_levels), v)) < 0)
                                return -EINVAL;
                        *(int *) dst = x;
                        return 0;
                case KEY_ON_STOP:
                        if ((x = lookup(on_stops, 3, v)) < 0)
                                return -EINVAL;
                        *(enum on_stop *) dst = (enum on_stop) x;
                        return 0;
                case KEY_LOG_FORMAT:
                        if ((x = lookup(log_formats, ELEMENTSOF(log_formats), v)) < 0)
                                return -EINVAL;
                        *(enum log_format *) dst = (enum log_format) x;
                        return 0;
                case KEY_JOB_OUTPUT:
                        if ((x = lookup(job_outputs, ELEMENTSOF(job_outputs), v)) < 0)
                                return -EINVAL;
                        *(enum job_output *) dst = (enum job_output) x;
                        return 0;
                case KEY_INT: {
                        char *end;
                        long n = strtol(v, &end, 10);
                        if (end == v || *end || n < -20 || n > 19)
                                return -EINVAL;
                        *(int *) dst = (int) n;
                        return 0;
                }
                case KEY_RLIMIT: {
                        size_t n;
                        if (!*v || strcasecmp(v, "inherit") == 0)
                                *(int64_t *) dst = -1;
                        else if (strcasecmp(v, "infinity") == 0 || strcasecmp(v, "unlimited") == 0)
                                *(int64_t *) dst = -2;
                        else if (parse_size(v, &n) == 0)
                                *(int64_t *) dst = (int64_t) n;
                        else
                                return -EINVAL;
                        return 0;
                }
                case KEY_BOOL:
                        if (streq(v, "yes") || streq(v, "true") || streq(v, "1") || streq(v, "on"))
                                *(bool *) dst = true;
                        else if (streq(v, "no") || streq(v, "false") || streq(v, "0") || streq(v, "off"))
                                *(bool *) dst = false;
                        else
                                return -EINVAL;
                        return 0;
                case KEY_OVERLAP:
                        if ((x = lookup(overlaps, ELEMENTSOF(overlaps), v)) < 1)
                                return -EINVAL;
                        *(enum overlap *) dst = (enum overlap) x;
                        return 0;
                case KEY_UNREACHABLE:
                        if ((x = lookup(unreachables, ELEMENTSOF(unreachables), v)) < 0)
                                return -EINVAL;
                        *(enum fleet_unreachable *) dst = (enum fleet_unreachable) x;
                        return 0;
                case KEY_UMASK: {
                        char *end;
                        unsigned long m = strtoul(v, &end, 8);
                        /* no sign: strtoul() reads "-1777777777777777777777" as 1 (issue 10) */
                        if (!isdigit((unsigned char) *v) || end == v || *end || m > 0777)
                                return -EINVAL;
                        *(unsigned *) dst = (unsigned) m;
                        return 0;
                }
                case KEY_DURATION:
                        return parse_seconds(v, dst);
                case KEY_SIZE:
                        return parse_size(v, dst);
                }
        }
        return -ENOENT;
}

/* Debian's inih passes no line numbers to handlers (INI_HANDLER_LINENO is 0) */
static int config_ini_handler(void *user, const char *section, const char *name, const char *value) {
        struct config *c = user;
        _cleanup_free_ char *v = strdup(value);
        size_t n = v ? strlen(v) : 0;
        int r;

        if (!v)
                return 0;
        /* inih keeps quotes: 'crontab = ""' is an empty value, as the documentation says */
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = 0;
                memmove(v, v + 1, n - 1);
        }
        r = config_set(c, section, name, v);

        if (r == -ENOENT)
                log_warning("%s: unknown key '%s' in section [%s], ignored", c->config_file, name, section);
        else if (r < 0)
                log_error("%s: bad value '%s' for %s.%s", c->config_file, value, section, name);
        return r == -ENOENT || r == 0 ? 1 : 0;
}

/* Parses the INI text in `f` into `c`; `c->config_file` names it in messages. Logs the errors. */
static int config_parse_file(struct config *c, FILE *f) {
        int r = ini_parse_file(f, config_ini_handler, c);

        if (r != 0)
                return log_error("%s: invalid configuration, first error on line %d", c->config_file, r), -EINVAL;
        return 0;
}

int config_load(struct config *c, const char *path, bool explicit) {
        FILE *f;
        int r;

        if (set_string(&c->config_file, path) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT && !explicit)
                        return 0;
                return log_errno(errno, "cannot read config file %s", path);
        }
        r = config_parse_file(c, f);
        fclose(f);
        return r;
}

int config_load_text(struct config *c, const char *name, const char *text, size_t len) {
        FILE *f;
        int r;

        if (set_string(&c->config_file, name) < 0)
                return -ENOMEM;
        /* a FILE over the bytes, NULs included, so inih reads them as it reads a file */
        f = fmemopen((void *) text, len, "r");
        if (!f)
                return -errno;
        r = config_parse_file(c, f);
        fclose(f);
        return r;
}

int config_set_override(struct config *c, const char *s) {
        _cleanup_free_ char *copy = strdup(s);
        char *dot, *eq;

        if (!copy)
                return -ENOMEM;
        dot = strchr(copy, '.');
        eq = strchr(copy, '=');
        if (!dot || !eq || dot > eq)
                return -EBADMSG;
        *dot = *eq = 0;
        return config_set(c, copy, dot + 1, eq + 1);
}

void config_dump(const struct config *c, FILE *f) {
        const char *section = "";

        if (c->config_file && *c->config_file)
                fprintf(f, "# tockd configuration in force (from %s and the command line)\n", c->config_file);
        else
                fprintf(f, "# tockd configuration in force (no configuration file: the defaults%s and the command line)\n",
                        c->container ? " of the container mode" : "");
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const struct key *k = &keys[i];
                const void *src = (const char *) c + k->offset;

                if (!streq(section, k->section))
                        fprintf(f, "%s[%s]\n", i ? "\n" : "", section = k->section);
                fprintf(f, "# %s\n%s = ", k->doc, k->name);
                switch (k->type) {
                case KEY_STRING:
                        fprintf(f, "%s\n", *(char *const *) src);
                        break;
                case KEY_LOG_TARGET:
                        fprintf(f, "%s\n", log_targets[*(const enum log_target *) src]);
                        break;
                case KEY_LOG_LEVEL:
                        fprintf(f, "%s\n", log_levels[*(const int *) src]);
                        break;
                case KEY_ON_STOP:
                        fprintf(f, "%s\n", on_stops[*(const enum on_stop *) src]);
                        break;
                case KEY_LOG_FORMAT:
                        fprintf(f, "%s\n", log_formats[*(const enum log_format *) src]);
                        break;
                case KEY_JOB_OUTPUT:
                        fprintf(f, "%s\n", job_outputs[*(const enum job_output *) src]);
                        break;
                case KEY_UMASK:
                        fprintf(f, "%03o\n", *(const unsigned *) src);
                        break;
                case KEY_DURATION:
                        fprintf(f, "%llds\n", (long long) *(const int64_t *) src);
                        break;
                case KEY_SIZE:
                        fprintf(f, "%zu\n", *(const size_t *) src);
                        break;
                case KEY_OVERLAP:
                        fprintf(f, "%s\n", overlaps[*(const enum overlap *) src]);
                        break;
                case KEY_UNREACHABLE:
                        fprintf(f, "%s\n", unreachables[*(const enum fleet_unreachable *) src]);
                        break;
                case KEY_BOOL:
                        fprintf(f, "%s\n", *(const bool *) src ? "yes" : "no");
                        break;
                case KEY_INT:
                        fprintf(f, "%d\n", *(const int *) src);
                        break;
                case KEY_RLIMIT: {
                        int64_t l = *(const int64_t *) src;
                        if (l == -1)
                                fprintf(f, "inherit\n");
                        else if (l == -2)
                                fprintf(f, "infinity\n");
                        else
                                fprintf(f, "%lld\n", (long long) l);
                        break;
                }
                }
        }
}
