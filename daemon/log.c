/* daemon/log.c: logging to the journal, syslog, stderr or stdout, as text or JSON lines.
 *
 * "auto" picks the journal when stderr is connected to it (JOURNAL_STREAM names stderr's device
 * and inode, as systemd sets it), syslog when there is no terminal and /dev/log exists, and stderr
 * otherwise. sd_journal_send returns 0 even with no journald, so it is never used blind. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "sd.h"
#include "util.h"

static enum log_target target = LOG_TARGET_STDERR;
static enum log_format format = LOG_FORMAT_TEXT;
static int max_level = LOG_INFO;

static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(enum log_target t, int level, enum log_format f) {
        max_level = level;
        format = f;
        if (t == LOG_TARGET_AUTO && f == LOG_FORMAT_JSON)
                t = LOG_TARGET_STDOUT;
        if (t == LOG_TARGET_AUTO) {
                if (sd_available() && stderr_is_journal())
                        t = LOG_TARGET_JOURNAL;
                else if (!isatty(STDERR_FILENO) && access("/dev/log", W_OK) == 0 && getpid() != 1 &&
                         !getenv("TOCK_LOG_STDERR"))
                        t = LOG_TARGET_SYSLOG;
                else
                        t = LOG_TARGET_STDERR;
        }
        if (t == LOG_TARGET_JOURNAL && !sd_available())
                t = LOG_TARGET_STDERR;
        if (t == LOG_TARGET_SYSLOG)
                openlog("tockd", LOG_PID | LOG_NDELAY, LOG_CRON);
        target = t;
}

enum log_target log_target_in_use(void) {
        return target;
}

static const char *level_name(int level) {
        static const char *const names[] = { "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug" };
        return level >= 0 && level <= LOG_DEBUG ? names[level] : "?";
}

/* ---- JSON: one object a line, the fields documented in tockd(8) and the README ---- */

static void json_key_str(FILE *f, const char *key, const char *v, size_t n) {
        fprintf(f, ",\"%s\":", key);
        json_escape(f, v, n);
}

/* Writes one object: the time (UTC, ms), level and message, then what is known of the job. */
static void emit_json(int level, const char *msg, size_t msg_len, const struct log_job *j, const char *stream) {
        FILE *out = target == LOG_TARGET_STDOUT ? stdout : stderr, *f;
        _cleanup_free_ char *buf = NULL, *job = NULL;
        char when[40];
        struct timespec ts;
        struct tm tm;
        size_t len;

        f = open_memstream(&buf, &len);
        if (!f)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(f, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\"", when, ts.tv_nsec / 1000000, level_name(level));
        json_key_str(f, "message", msg, msg_len);
        if (j) {
                if (j->name)
                        json_key_str(f, "job", j->name, strlen(j->name));
                else if (j->table && asprintf(&job, "%s:%u", j->table, j->line) >= 0)
                        json_key_str(f, "job", job, strlen(job));
                if (j->table)
                        json_key_str(f, "table", j->table, strlen(j->table));
                if (j->line)
                        fprintf(f, ",\"line\":%u", j->line);
                if (j->user)
                        json_key_str(f, "user", j->user, strlen(j->user));
                if (j->pid > 0)
                        fprintf(f, ",\"pid\":%d", (int) j->pid);
                if (j->event)
                        fprintf(f, ",\"event\":\"%s\"", j->event);
                if (stream)
                        fprintf(f, ",\"stream\":\"%s\"", stream);
                if (j->exit_status >= 0)
                        fprintf(f, ",\"exit_status\":%d", j->exit_status);
                if (j->signal > 0)
                        fprintf(f, ",\"signal\":%d", j->signal);
                if (j->duration_ms >= 0)
                        fprintf(f, ",\"duration_ms\":%lld", (long long) j->duration_ms);
                if (j->command && j->event && streq(j->event, "started"))
                        json_key_str(f, "command", j->command, strlen(j->command));
        }
        fputs("}\n", f);
        if (fclose(f) != 0)
                return;
        fwrite(buf, 1, len, out);
        fflush(out);
}

/* Writes one message; `fields` are extra journal fields ("KEY=value"), `n_fields` of them. */
static void emit(int level, const char *msg, char **fields, size_t n_fields) {
        switch (target) {
        case LOG_TARGET_JOURNAL: {
                struct iovec iov[20];
                char prio[16];
                _cleanup_free_ char *m = NULL;
                size_t n = 0;

                if (asprintf(&m, "MESSAGE=%s", msg) < 0)
                        return;
                snprintf(prio, sizeof prio, "PRIORITY=%d", level);
                iov[n++] = (struct iovec) { m, strlen(m) };
                iov[n++] = (struct iovec) { prio, strlen(prio) };
                iov[n++] = (struct iovec) { (char *) "SYSLOG_IDENTIFIER=tockd", 23 };
                iov[n++] = (struct iovec) { (char *) "SYSLOG_FACILITY=9", 17 }; /* cron, as syslog(3) LOG_CRON */
                for (size_t i = 0; i < n_fields && n < ELEMENTSOF(iov); i++)
                        iov[n++] = (struct iovec) { fields[i], strlen(fields[i]) };
                sd_journal_sendv_wrap(iov, (int) n);
                return;
        }
        case LOG_TARGET_SYSLOG:
                syslog(level, "%s", msg);
                return;
        default: {
                FILE *f = target == LOG_TARGET_STDOUT ? stdout : stderr;
                if (format == LOG_FORMAT_JSON) {
                        emit_json(level, msg, strlen(msg), NULL, NULL);
                        return;
                }
                struct timespec ts;
                struct tm tm;
                char when[32];

                clock_gettime(CLOCK_REALTIME, &ts);
                localtime_r(&ts.tv_sec, &tm);
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
                fprintf(f, "%s.%03ld tockd[%d] %s: %s\n", when, ts.tv_nsec / 1000000, (int) getpid(), level_name(level), msg);
                fflush(f);
        }
        }
}

int log_full(int level, int err, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *full = NULL;
        va_list ap;
        int e = err < 0 ? -err : err;

        if (level > max_level)
                return -e;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return -e;
        if (e && asprintf(&full, "%s: %s", msg, strerror(e)) < 0)
                full = NULL;
        emit(level, full ? full : msg, NULL, 0);
        return -e;
}

int log_job(int level, const struct log_job *j, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *full = NULL;
        char *fields[8] = {};
        size_t n = 0;
        va_list ap;
        int r;

        if (level > max_level)
                return 0;
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (format == LOG_FORMAT_JSON && (target == LOG_TARGET_STDOUT || target == LOG_TARGET_STDERR)) {
                emit_json(level, msg, strlen(msg), j, NULL);
                return 0;
        }
        /* the plain-text form carries the job's identity too: "table:line (user)" */
        if (asprintf(&full, "%s:%u%s%s%s %s", j->table ? j->table : "?", j->line, j->user ? " (" : "",
                     j->user ? j->user : "", j->user ? ")" : "", msg) < 0)
                return -ENOMEM;
        if (target == LOG_TARGET_JOURNAL) {
                if (j->table && asprintf(&fields[n], "TOCK_TABLE=%s", j->table) >= 0)
                        n++;
                if (asprintf(&fields[n], "TOCK_LINE=%u", j->line) >= 0)
                        n++;
                if (j->user && asprintf(&fields[n], "TOCK_USER=%s", j->user) >= 0)
                        n++;
                if (j->pid > 0 && asprintf(&fields[n], "TOCK_PID=%d", (int) j->pid) >= 0)
                        n++;
                if (j->exit_status >= 0 && asprintf(&fields[n], "TOCK_EXIT_STATUS=%d", j->exit_status) >= 0)
                        n++;
                if (j->signal > 0 && asprintf(&fields[n], "TOCK_SIGNAL=%d", j->signal) >= 0)
                        n++;
                if (j->duration_ms >= 0 && asprintf(&fields[n], "TOCK_DURATION_MS=%lld", (long long) j->duration_ms) >= 0)
                        n++;
                if (j->command && asprintf(&fields[n], "TOCK_COMMAND=%s", j->command) >= 0)
                        n++;
        }
        emit(level, full, fields, n);
        for (size_t i = 0; i < n; i++)
                free(fields[i]);
        return 0;
}

void log_job_output(const struct log_job *j, const char *stream, const char *line, size_t len) {
        if (LOG_INFO > max_level)
                return;
        if (format == LOG_FORMAT_JSON && (target == LOG_TARGET_STDOUT || target == LOG_TARGET_STDERR)) {
                struct log_job o = *j;
                o.event = "output";
                emit_json(LOG_INFO, line, len, &o, stream);
                return;
        }
        log_job(LOG_INFO, j, "output: %.*s", (int) len, line);
}
