/* ctl/out.c: reading inputs; printing for people (diagnostics, durations, wait statuses, questions)
 * and for scripts (JSON, with its string escaper). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "json.h"
#include "readfile.h"
#include "util.h"

/* Only a regular file is read, or "-" (stdin, read as is: a pipe or a terminal is what a user
 * means there). Anything else is refused before the first read, which could block forever (a FIFO
 * without a writer, a terminal) or never end (/dev/urandom): O_NONBLOCK keeps the open of a FIFO
 * from waiting for a writer, and fstat() tells what was opened. */
int read_input(const char *path, unsigned flags, char **ret_text, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (streq(path, "-"))
                return read_bounded(STDIN_FILENO, CRONTAB_MAX_BYTES, ret_text, ret_len);
        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (flags & INPUT_OURS ? O_NOFOLLOW : 0));
        if (fd < 0)
                return errno == ELOOP && (flags & INPUT_OURS) ? -INPUT_ENOTREG : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -INPUT_ENOTREG;
        if ((flags & INPUT_OURS) && st.st_uid != getuid())
                return -EPERM;
        return read_bounded(fd, CRONTAB_MAX_BYTES, ret_text, ret_len);
}

int input_failed(const char *path, int r) {
        const char *shown = streq(path, "-") ? "<stdin>" : path;

        if (r == -EFBIG)
                fprintf(stderr, "%s: error: cannot read: larger than the %u-byte limit for a table\n", shown,
                        CRONTAB_MAX_BYTES);
        else if (r == -INPUT_ENOTREG)
                fprintf(stderr, "%s: error: cannot read: not a regular file\n", shown);
        else if (r == -EPERM)
                fprintf(stderr, "%s: error: cannot read: not your file\n", shown);
        else
                fprintf(stderr, "%s: error: cannot read: %s\n", shown, strerror(-r));
        return EXIT_IO;
}

void print_diags(const struct diag_list *d, const char *file, const char *text, size_t len) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = diag_format(&d->items[i], file, text, len);
                /* messages quote the table ("unknown option 'x'"): no terminal escapes from it */
                if (s)
                        put_safe(stderr, s, true);
        }
        if (d->n_dropped)
                fprintf(stderr, "%s: %zu more messages not shown\n", file, d->n_dropped);
}

void usage_error(const char *cmd, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "tockctl %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'tockctl help'.\n");
}

char *strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

const char *caller_name(char *buf, size_t size) {
        struct passwd *pw = getpwuid(getuid());

        if (pw && pw->pw_name && *pw->pw_name)
                snprintf(buf, size, "%s", pw->pw_name);
        else
                snprintf(buf, size, "%u", (unsigned) getuid());
        return buf;
}

void put_safe(FILE *f, const char *s, bool lines) {
        for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++) {
                bool ok = *p >= 0x20 ? *p != 0x7f : *p == '\t' || (lines && *p == '\n');
                fputc(ok ? *p : '?', f);
        }
}

/* Reads one answer line. Returns its first non-blank character, or -ENODATA at end of input. */
static int read_answer(FILE *in) {
        char line[128];
        size_t n;
        int c;

        if (!fgets(line, sizeof line, in))
                return -ENODATA;
        n = strlen(line);
        if (n > 0 && line[n - 1] != '\n')
                while ((c = fgetc(in)) != EOF && c != '\n')
                        ;
        c = (unsigned char) line[strspn(line, " \t")];
        return c;
}

int ask_yes_no(const char *prompt, FILE *out, bool tty) {
        _cleanup_(fclosep) FILE *term = NULL;
        FILE *in = stdin;

        if (tty && !isatty(STDIN_FILENO)) {
                term = fopen("/dev/tty", "r+e");
                if (!term)
                        return -ENXIO;
                in = out = term;
        }
        for (;;) {
                int c;

                fputs(prompt, out);
                fflush(out);
                c = read_answer(in);
                if (c < 0) {
                        fputc('\n', out);
                        return c;
                }
                if (c == 'y' || c == 'Y')
                        return 1;
                if (c == 'n' || c == 'N')
                        return 0;
                fputs("Please answer y or n.\n", out);
        }
}

void format_duration_ms(int64_t ms, char buf[static DURATION_MAX]) {
        int64_t s = ms / 1000;

        if (ms < 0)
                snprintf(buf, DURATION_MAX, "-");
        else if (ms < 60000)
                snprintf(buf, DURATION_MAX, "%" PRId64 ".%" PRId64 "s", s, ms % 1000 / 100);
        else if (s < 3600)
                snprintf(buf, DURATION_MAX, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, DURATION_MAX, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, DURATION_MAX, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

#ifdef __GLIBC__
#define sig_abbrev sigabbrev_np
#else
/* musl (make static) has no sigabbrev_np(): the names of Linux's standard signals */
static const char *sig_abbrev(int sig) {
        static const char *const names[] = {
                [SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL", [SIGTRAP] = "TRAP",
                [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE", [SIGKILL] = "KILL", [SIGUSR1] = "USR1",
                [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2", [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM",
                [SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD", [SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
                [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU", [SIGXFSZ] = "XFSZ",
                [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH", [SIGIO] = "IO", [SIGPWR] = "PWR",
                [SIGSYS] = "SYS",
        };
        return sig > 0 && sig < (int) (sizeof names / sizeof *names) ? names[sig] : NULL;
}
#endif

static const char *signal_name(int sig, char buf[static 16]) {
        const char *abbrev = sig_abbrev(sig);

        if (abbrev)
                snprintf(buf, 16, "SIG%s", abbrev);
        else
                snprintf(buf, 16, "signal %d", sig);
        return buf;
}

void format_wstatus(int32_t wstatus, char buf[static WSTATUS_MAX]) {
        char sig[16];

        if (wstatus == -1)
                snprintf(buf, WSTATUS_MAX, "never ran");
        else if (WIFEXITED(wstatus))
                snprintf(buf, WSTATUS_MAX, "exit %d", WEXITSTATUS(wstatus));
        else if (WIFSIGNALED(wstatus))
                snprintf(buf, WSTATUS_MAX, "killed by %s%s", signal_name(WTERMSIG(wstatus), sig),
                         WCOREDUMP(wstatus) ? " (core dumped)" : "");
        else
                snprintf(buf, WSTATUS_MAX, "wait status 0x%x", (unsigned) wstatus);
}

/* ---- JSON ---- */

/* Starts a member (object) or an element (array): the comma, the line, the key. */
static void json_item(struct json *j, const char *key) {
        if (j->depth > 0) {
                fputs(j->has_items[j->depth - 1] ? ",\n" : "\n", j->f);
                j->has_items[j->depth - 1] = true;
                fprintf(j->f, "%*s", (int) (2 * j->depth), "");
        }
        if (key) {
                json_escape(j->f, key, strlen(key));
                fputs(": ", j->f);
        }
}

void json_open(struct json *j, const char *key, char bracket) {
        json_item(j, key);
        fputc(bracket, j->f);
        if (j->depth < JSON_MAX_DEPTH) {
                j->has_items[j->depth] = false;
                j->closer[j->depth] = bracket == '{' ? '}' : ']';
                j->depth++;
        }
}

void json_close(struct json *j) {
        if (j->depth == 0)
                return;
        j->depth--;
        if (j->has_items[j->depth])
                fprintf(j->f, "\n%*s", (int) (2 * j->depth), "");
        fputc(j->closer[j->depth], j->f);
        if (j->depth == 0)
                fputc('\n', j->f);
}

void json_string(struct json *j, const char *key, const char *s) {
        json_item(j, key);
        if (s)
                json_escape(j->f, s, strlen(s));
        else
                fputs("null", j->f);
}

void json_int(struct json *j, const char *key, int64_t v) {
        json_item(j, key);
        fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, const char *key, bool v) {
        json_item(j, key);
        fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key) {
        json_item(j, key);
        fputs("null", j->f);
}

void json_time(struct json *j, const char *key, struct zone_cache *zc, const char *zone, int64_t at) {
        char buf[TIMEFMT_ISO_MAX];

        if (at == PROTO_NO_TIME) {
                json_null(j, key);
                return;
        }
        zone_cache_iso(zc, zone, at, buf);
        json_string(j, key, buf);
}

void json_job(struct json *j, const char *key, const struct proto_job *job, struct zone_cache *zc) {
        json_open(j, key, '{');
        json_string(j, "table", job->table);
        json_int(j, "line", job->line);
        if (job->name && *job->name)
                json_string(j, "name", job->name);
        else
                json_null(j, "name");
        json_string(j, "user", job->user);
        json_string(j, "schedule", job->schedule);
        json_string(j, "command", job->command);
        json_string(j, "zone", job->zone);
        json_time(j, "next_run", zc, job->zone, job->next_at);
        json_time(j, "last_run", zc, job->zone, job->last_at);
        if (job->last_wstatus == -1) {
                json_null(j, "last_exit_status");
                json_null(j, "last_signal");
        } else if (WIFEXITED(job->last_wstatus)) {
                json_int(j, "last_exit_status", WEXITSTATUS(job->last_wstatus));
                json_null(j, "last_signal");
        } else {
                json_null(j, "last_exit_status");
                json_int(j, "last_signal", WIFSIGNALED(job->last_wstatus) ? WTERMSIG(job->last_wstatus) : 0);
        }
        if (job->last_duration_ms >= 0 && job->last_wstatus != -1)
                json_int(j, "last_duration_ms", job->last_duration_ms);
        else
                json_null(j, "last_duration_ms");
        json_time(j, "last_success", zc, job->zone, job->last_success_at);
        if (job->fleet_host && *job->fleet_host) {
                json_string(j, "fleet_last_host", job->fleet_host);
                json_time(j, "fleet_last_fire", zc, job->zone, job->fleet_at);
        } else {
                json_null(j, "fleet_last_host");
                json_null(j, "fleet_last_fire");
        }
        json_int(j, "runs", job->runs);
        json_int(j, "failures", job->failures);
        if (job->running_pid > 0) {
                json_int(j, "running_pid", job->running_pid);
                json_time(j, "running_since", zc, job->zone, job->running_since);
        } else {
                json_null(j, "running_pid");
                json_null(j, "running_since");
        }
        json_close(j);
}
