/* ctl/export-write.c: the files of tockctl export. A CronJob is YAML whose every string is
 * double-quoted in JSON's escapes (valid YAML); a unit quotes with systemd's rules (C escapes in
 * "...", '%' specifiers, '$' in ExecStart=). The command runs as cron runs it: SHELL -c COMMAND,
 * the '%' input on standard input byte for byte, in cron's environment (SHELL, PATH) plus the
 * table's lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "export-ctx.h"
#include "json.h"
#include "util.h"

#define CRON_PATH "/usr/bin:/bin"
#define CRON_SHELL "/bin/sh"

static void yaml_str(FILE *f, const char *s) {
        json_escape(f, s, strlen(s));
}

/* 'text' for sh: single quotes, a quote written '\'' */
static void sh_quote(FILE *f, const char *s) {
        fputc('\'', f);
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*s, f);
        fputc('\'', f);
}

static const char *job_shell(const struct export_ctx *x, const struct export_job *j) {
        const char *sh = crontab_env_get_n(x->table, j->v.n_env, "SHELL");
        return sh && *sh ? sh : CRON_SHELL;
}

/* A here-document delimiter no line of `input` is */
static void heredoc_delim(const char *input, char buf[static 32]) {
        for (unsigned n = 0;; n++) {
                bool clash = false;
                snprintf(buf, 32, n ? "TOCK_INPUT_%u" : "TOCK_INPUT", n);
                size_t len = strlen(buf);
                for (const char *p = input; p && *p && !clash;) {
                        const char *nl = strchr(p, '\n');
                        size_t l = nl ? (size_t) (nl - p) : strlen(p);
                        clash = l == len && memcmp(p, buf, len) == 0;
                        p = nl ? nl + 1 : NULL;
                }
                if (!clash)
                        return;
        }
}

/* The script of a job with '%' input: the input through a here-document, exactly (a '.' after it
 * keeps its last newlines from the command substitution, and no newline is added), piped into
 * SHELL -c COMMAND as cron pipes it. */
static char *input_script(const char *shell, const char *command, const char *input) {
        char *s = NULL, delim[32];
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        if (!f)
                return NULL;
        heredoc_delim(input, delim);
        fprintf(f, "input=$(cat <<'%s'\n%s.\n%s\n)\nprintf '%%s' \"${input%%.}\" | ", delim, input, delim);
        sh_quote(f, shell);
        fputs(" -c ", f);
        sh_quote(f, command);
        if (fclose(f) != 0)
                return NULL;
        return s;
}

static void k8s_env(FILE *f, const struct export_ctx *x, const struct export_job *j) {
        bool has_path = false, has_shell = false;

        fprintf(f, "            env:\n");
        /* the entry sees env[0 .. n_env), later names winning: write each name once, its last value */
        for (size_t i = 0; i < j->v.n_env; i++) {
                const struct env_var *v = &x->table->env[i];
                bool later = false;
                for (size_t k = i + 1; k < j->v.n_env && !later; k++)
                        later = streq(x->table->env[k].name, v->name);
                if (later)
                        continue;
                has_path = has_path || streq(v->name, "PATH");
                has_shell = has_shell || streq(v->name, "SHELL");
                fprintf(f, "            - name: ");
                yaml_str(f, v->name);
                fprintf(f, "\n              value: ");
                yaml_str(f, v->value);
                fputc('\n', f);
        }
        if (!has_shell)
                fprintf(f, "            - name: \"SHELL\"\n              value: \"%s\"\n", CRON_SHELL);
        if (!has_path)
                fprintf(f, "            - name: \"PATH\"\n              value: \"%s\"\n", CRON_PATH);
}

static int k8s_job(FILE *f, const struct export_ctx *x, const struct export_job *j) {
        const struct job_opts *o = &j->v.opts;
        enum overlap ov = o->overlap == OVERLAP_UNSET ? OVERLAP_RUN : o->overlap;
        const char *shell = job_shell(x, j);
        _cleanup_free_ char *source = strdup_printf("%s:%u", x->shown, j->v.line);

        if (!source)
                return -ENOMEM;
        fprintf(f, "---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: %s\n", j->name);
        if (x->namespace) {
                fprintf(f, "  namespace: ");
                yaml_str(f, x->namespace);
                fputc('\n', f);
        }
        fprintf(f, "  annotations:\n    tock/source: ");
        yaml_str(f, source);
        fprintf(f, "\n    tock/schedule: ");
        yaml_str(f, j->v.schedule);
        fprintf(f, "\nspec:\n  schedule: \"%s\"\n", j->cron);
        if (j->zone_name) {
                fprintf(f, "  timeZone: ");
                yaml_str(f, j->zone_name);
                fputc('\n', f);
        }
        fprintf(f, "  concurrencyPolicy: %s\n", ov == OVERLAP_RUN ? "Allow" : "Forbid");
        /* without catchup a time missed is not run later: the controller gets a minute */
        if (o->catchup != 1)
                fprintf(f, "  startingDeadlineSeconds: 60\n");
        fprintf(f, "  jobTemplate:\n    spec:\n      backoffLimit: 0\n");
        if (o->timeout_s > 0)
                fprintf(f, "      activeDeadlineSeconds: %lld\n", (long long) o->timeout_s);
        fprintf(f, "      template:\n        spec:\n          restartPolicy: Never\n          containers:\n"
                   "          - name: job\n            image: ");
        yaml_str(f, x->image);
        /* with input, sh runs the here-document and SHELL the command */
        fprintf(f, "\n            command:\n            - ");
        yaml_str(f, j->v.input ? CRON_SHELL : shell);
        fprintf(f, "\n            - \"-c\"\n            - ");
        if (j->v.input) {
                _cleanup_free_ char *script = input_script(shell, j->v.command, j->v.input);
                if (!script)
                        return -ENOMEM;
                yaml_str(f, script);
        } else {
                yaml_str(f, j->v.command);
        }
        fputc('\n', f);
        k8s_env(f, x, j);
        return 0;
}

/* A value in "..." for a unit file: C escapes, '%' doubled (specifiers), '$' doubled in ExecStart= */
static void unit_str(FILE *f, const char *s, bool exec) {
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '\\' || c == '"')
                        fprintf(f, "\\%c", c);
                else if (c == '%')
                        fputs("%%", f);
                else if (c == '$' && exec)
                        fputs("$$", f);
                else if (c == '\t')
                        fputs("\\t", f);
                else if (c == '\n')
                        fputs("\\n", f);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(f, "\\x%02x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

static void base64(FILE *f, const char *s) {
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t n = strlen(s);
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16 | (i + 1 < n ? (uint32_t) p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
                fputc(tab[v >> 18 & 63], f);
                fputc(tab[v >> 12 & 63], f);
                fputc(i + 1 < n ? tab[v >> 6 & 63] : '=', f);
                fputc(i + 2 < n ? tab[v & 63] : '=', f);
        }
}

/* A comment line: control characters made '?' so that it stays one line */
static void unit_comment(FILE *f, const char *s) {
        for (; *s; s++)
                fputc((unsigned char) *s < 0x20 ? '?' : *s, f);
}

static void unit_service(FILE *f, const struct export_ctx *x, const struct export_job *j) {
        bool has_path = false;

        fprintf(f, "# tockctl export: %s:%u: ", x->shown, j->v.line);
        unit_comment(f, j->v.schedule);
        fprintf(f, "\n[Unit]\nDescription=");
        unit_comment(f, j->name);
        fprintf(f, " (%s line %u, exported by tockctl)\n\n[Service]\nType=simple\n", x->shown, j->v.line);
        if (j->v.user)
                fprintf(f, "User=%s\n", j->v.user);
        fprintf(f, "WorkingDirectory=~\n");
        for (size_t i = 0; i < j->v.n_env; i++) {
                const struct env_var *v = &x->table->env[i];
                _cleanup_free_ char *kv = strdup_printf("%s=%s", v->name, v->value);
                has_path = has_path || streq(v->name, "PATH");
                fprintf(f, "Environment=");
                unit_str(f, kv ? kv : "", false);
                fputc('\n', f);
        }
        if (!crontab_env_get_n(x->table, j->v.n_env, "SHELL"))
                fprintf(f, "Environment=\"SHELL=%s\"\n", CRON_SHELL);
        if (!has_path)
                fprintf(f, "Environment=\"PATH=%s\"\n", CRON_PATH);
        fprintf(f, "ExecStart=");
        unit_str(f, job_shell(x, j), true);
        fprintf(f, " -c ");
        unit_str(f, j->v.command, true);
        fputc('\n', f);
        if (j->v.input && *j->v.input) { /* an empty input is an empty pipe: the same as none */
                fprintf(f, "# standard input, cron's '%%' text:\n");
                for (const char *p = j->v.input; p;) {
                        const char *nl = strchr(p, '\n');
                        _cleanup_free_ char *line = strndup(p, nl ? (size_t) (nl - p) : strlen(p));
                        fprintf(f, "#   ");
                        unit_comment(f, line ? line : "");
                        fputc('\n', f);
                        p = nl ? nl + 1 : NULL;
                }
                fprintf(f, "StandardInput=data\nStandardInputData=");
                base64(f, j->v.input);
                fputc('\n', f);
        }
        if (j->v.opts.timeout_s > 0)
                fprintf(f, "RuntimeMaxSec=%lld\n", (long long) j->v.opts.timeout_s);
}

static void unit_timer(FILE *f, const struct export_ctx *x, const struct export_job *j) {
        fprintf(f, "# tockctl export: %s:%u: ", x->shown, j->v.line);
        unit_comment(f, j->v.schedule);
        fprintf(f, "\n[Unit]\nDescription=");
        unit_comment(f, j->name);
        fprintf(f, " (%s line %u, exported by tockctl)\n\n[Timer]\n", x->shown, j->v.line);
        if (j->v.sched.flags & SCHED_REBOOT)
                fprintf(f, "OnBootSec=0\n");
        for (int i = 0; i < j->n_calendar; i++)
                fprintf(f, "OnCalendar=%s\n", j->calendar[i]);
        fprintf(f, "AccuracySec=1s\n");
        if (j->v.opts.jitter_s > 0)
                fprintf(f, "RandomizedDelaySec=%lld\n", (long long) j->v.opts.jitter_s);
        if (j->v.opts.catchup == 1)
                fprintf(f, "Persistent=true\n");
        fprintf(f, "\n[Install]\nWantedBy=timers.target\n");
}

/* One file: DIR/NAME.EXT, or on stdout after a "### NAME.EXT" line (systemd) */
static int emit(const struct export_ctx *x, const struct export_job *j, const char *ext,
                void (*write)(FILE *, const struct export_ctx *, const struct export_job *)) {
        _cleanup_free_ char *path = NULL;
        FILE *f = stdout;

        if (x->dir) {
                path = strdup_printf("%s/%s.%s", x->dir, j->name, ext);
                if (!path)
                        return -ENOMEM;
                f = fopen(path, "we");
                if (!f) {
                        int r = -errno;
                        fprintf(stderr, "tockctl export: cannot write %s: %s\n", path, strerror(-r));
                        return r;
                }
        } else if (x->target == EXPORT_SYSTEMD) {
                printf("### %s.%s\n", j->name, ext);
        }
        write(f, x, j);
        if (f == stdout) {
                if (x->target == EXPORT_SYSTEMD)
                        putchar('\n');
                return 0;
        }
        if (fclose(f) != 0) {
                int r = -errno;
                fprintf(stderr, "tockctl export: cannot write %s: %s\n", path, strerror(-r));
                return r;
        }
        return 0;
}

static void k8s_write(FILE *f, const struct export_ctx *x, const struct export_job *j) {
        (void) k8s_job(f, x, j);
}

int export_write(const struct export_ctx *x) {
        int n = 0, r;

        if (x->dir && mkdir(x->dir, 0755) < 0 && errno != EEXIST) {
                r = -errno;
                fprintf(stderr, "tockctl export: cannot create %s: %s\n", x->dir, strerror(-r));
                return r;
        }
        for (size_t i = 0; i < x->n_jobs; i++) {
                const struct export_job *j = &x->jobs[i];
                if (!j->exported)
                        continue;
                if (x->target == EXPORT_K8S)
                        r = emit(x, j, "yaml", k8s_write);
                else if ((r = emit(x, j, "service", unit_service)) >= 0)
                        r = emit(x, j, "timer", unit_timer);
                if (r < 0)
                        return r;
                n++;
        }
        if (fflush(stdout) != 0)
                return -EIO;
        return n;
}
