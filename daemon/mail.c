/* daemon/mail.c: what a scheduled run's end sends out. Its output is mailed as cron(8) does (to
 * MAILTO, the owner by default), by sendmail run as the owner; when it failed, jobs.on_failure
 * runs, the way to alert without mail. Both are helper runs (RUN_MAIL, RUN_HOOK) started by
 * spawn.c. The mail's headers are built by a function of its inputs, mail_headers(). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "tockd.h"
#include "util.h"

static bool header_safe(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* jobs.sendmail is a program and optionally leading arguments: the program must be executable */
static bool sendmail_usable(const char *sendmail) {
        char prog[PATH_MAX];
        size_t n = strcspn(sendmail, " \t");

        if (n == 0 || n >= sizeof prog)
                return false;
        memcpy(prog, sendmail, n);
        prog[n] = 0;
        return access(prog, X_OK) == 0;
}

/* `from` NULL or "": cron's own. The subject has the command's first 200 bytes, control
 * characters blanked; environment entries with control characters are left out. */
char *mail_headers(const char *from, const char *to, const char *user, const char *host, const char *command,
                   char *const *envp, size_t n_env) {
        char *h = NULL;
        size_t hl = 0;
        FILE *f = open_memstream(&h, &hl);

        if (!f)
                return NULL;
        if (from && *from)
                fprintf(f, "From: %s\n", from);
        else
                fprintf(f, "From: root (Cron Daemon)\n");
        fprintf(f, "To: %s\nSubject: Cron <%s@%s> ", to, user, host);
        for (const char *c = command; *c && c - command < 200; c++)
                fputc((unsigned char) *c < 0x20 ? ' ' : *c, f);
        fprintf(f, "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
                   "Auto-Submitted: auto-generated\nPrecedence: bulk\n");
        for (size_t i = 0; i < n_env; i++)
                if (header_safe(envp[i]))
                        fprintf(f, "X-Cron-Env: <%s>\n", envp[i]);
        fputc('\n', f);
        if (fclose(f) != 0) {
                free(h);
                return NULL;
        }
        return h;
}

/* Decides whether the run's output is mailed, and prepares the headers while the job's
 * environment is at hand. No mail: MAILTO="" or no sendmail; then the output is logged. */
void mail_prepare(struct daemon *d, struct run *run, const struct job *j, const struct spawn_plan *p) {
        const char *to = crontab_env_get(j->table->ct, job_entry(j), "MAILTO");
        const char *from = crontab_env_get(j->table->ct, job_entry(j), "MAILFROM");
        char host[256] = "localhost";

        if (!to)
                to = p->user;
        if (!*to || !sendmail_usable(d->cfg.sendmail))
                return;
        if (!header_safe(to) || (from && !header_safe(from))) {
                log_warning("%s:%u: MAILTO or MAILFROM holds control characters; the output is logged instead",
                            j->table->name, job_entry(j)->line);
                return;
        }
        (void) gethostname(host, sizeof host - 1);
        run->mail_head = mail_headers(from, to, p->user, host, job_command(j), p->envp, p->n_env);
        if (run->mail_head)
                run->mail_to = strdup(to);
}

int mail_output(struct daemon *d, const struct run *jr) {
        struct spawn_plan p = {};
        _cleanup_free_ char *cmd = NULL, *what = NULL;
        int mfd = -1, r;

        r = spawn_plan_helper(d, jr, &p);
        if (r < 0)
                goto out;
        r = -ENOMEM;
        if (asprintf(&cmd, "exec %s -FCronDaemon -i -oem -oi -t", d->cfg.sendmail) < 0 ||
            asprintf(&what, "mail to %s", jr->mail_to) < 0)
                goto out;
        mfd = memfd_create("tock-mail", MFD_CLOEXEC);
        if (mfd < 0 || write(mfd, jr->mail_head, strlen(jr->mail_head)) < 0 || write(mfd, jr->mail_buf, jr->mail_len) < 0) {
                r = -errno;
                goto out;
        }
        if (jr->out_dropped) {
                char note[128];
                int n = snprintf(note, sizeof note, "\n[tock: %zu more bytes of output were dropped]\n", jr->out_dropped);
                if (write(mfd, note, (size_t) n) < 0) {
                        r = -errno;
                        goto out;
                }
        }
        if (lseek(mfd, 0, SEEK_SET) < 0) {
                r = -errno;
                goto out;
        }
        r = spawn_helper(d, jr, RUN_MAIL, &p, cmd, TAKE_FD(mfd), what, jr->mail_to);
out:
        if (r < 0)
                log_error("%s:%u: cannot mail the output to %s: %s; it is lost", jr->table, jr->line, jr->mail_to,
                          strerror(-r));
        closep(&mfd);
        spawn_plan_done(&p);
        return r;
}

/* jobs.on_failure: run as the job's owner when a run failed, with what is known of the run in
 * its environment, for alerting without mail. */
int mail_on_failure(struct daemon *d, const struct run *jr, int wstatus, int64_t duration_ms) {
        struct spawn_plan p = {};
        char num[32], job[PATH_MAX + 16];
        int r, in_fd;

        if (!*d->cfg.on_failure)
                return 0;
        r = spawn_plan_helper(d, jr, &p);
        if (r < 0)
                goto out;
        snprintf(job, sizeof job, "%s:%u", jr->table, jr->line);
        r = -ENOMEM;
        if (spawn_plan_setenv(&p, "TOCK_JOB", job) < 0 || spawn_plan_setenv(&p, "TOCK_TABLE", jr->table) < 0 ||
            spawn_plan_setenv(&p, "TOCK_COMMAND", jr->command) < 0 || spawn_plan_setenv(&p, "TOCK_USER", jr->user) < 0)
                goto out;
        snprintf(num, sizeof num, "%u", jr->line);
        if (spawn_plan_setenv(&p, "TOCK_LINE", num) < 0)
                goto out;
        snprintf(num, sizeof num, "%d", jr->exec_stage ? -1 : WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
        if (spawn_plan_setenv(&p, "TOCK_EXIT_STATUS", num) < 0)
                goto out;
        snprintf(num, sizeof num, "%d", !jr->exec_stage && WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        if (spawn_plan_setenv(&p, "TOCK_SIGNAL", num) < 0)
                goto out;
        snprintf(num, sizeof num, "%lld", (long long) duration_ms);
        if (spawn_plan_setenv(&p, "TOCK_DURATION_MS", num) < 0 || spawn_plan_setenv(&p, "TOCK_TIMED_OUT", jr->timed_out ? "1" : "0") < 0)
                goto out;
        if (jr->stats && jr->stats->tail) {
                /* the tail of the output, printable text only */
                char tail[JOB_TAIL_MAX + 1];
                size_t n = 0;
                for (size_t i = 0; i < jr->stats->tail_len; i++) {
                        char c = jr->stats->tail[i];
                        tail[n++] = c == '\n' || c == '\t' || ((unsigned char) c >= 0x20 && c != 0x7f) ? c : '?';
                }
                tail[n] = 0;
                if (spawn_plan_setenv(&p, "TOCK_OUTPUT_TAIL", tail) < 0)
                        goto out;
        }
        in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in_fd < 0) {
                r = -errno;
                goto out;
        }
        r = spawn_helper(d, jr, RUN_HOOK, &p, d->cfg.on_failure, in_fd, "on_failure", NULL);
out:
        if (r < 0)
                log_error("%s:%u: cannot run jobs.on_failure: %s", jr->table, jr->line, strerror(-r));
        spawn_plan_done(&p);
        return r;
}
