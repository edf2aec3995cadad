/* daemon/spawn.h: what spawn.c offers mail.c: a run's plan (identity and environment) and helper
 * runs (a mail, an on_failure command). */
#pragma once

#include "spawn-wire.h"
#include "tockd.h"

/* Who a run runs as and with what environment; freed with spawn_plan_done() */
struct spawn_plan {
        uid_t uid;
        gid_t gid;
        gid_t groups[SPAWN_MAX_GROUPS];
        int n_groups;
        bool drop, pam;
        char *home, *user, *shell;
        char **envp;
        size_t n_env;
};

void spawn_plan_done(struct spawn_plan *p);
/* cron's environment for entry `e` of table `ct` (crontab(5)): HOME, LOGNAME, USER, SHELL and
 * PATH from the owner (p->user, p->home, as set already) and the defaults (jobs.shell,
 * jobs.path), then the table's lines before the entry, which may change all but LOGNAME and USER.
 * The table's SHELL runs the job and its HOME is the job's directory: p->shell is set and p->home
 * replaced. 0 or -ENOMEM. */
int spawn_plan_env(struct spawn_plan *p, const char *shell_default, const char *path_default, const struct crontab *ct,
                   const struct entry *e);
/* Sets NAME=value in the plan's environment, replacing an earlier value. 0 or -ENOMEM. */
int spawn_plan_setenv(struct spawn_plan *p, const char *name, const char *value);
/* The plan of a helper run (a mail, an on_failure command) for the job run `jr`: its owner, in
 * a PAM session when `jr` had one, with a minimal environment. */
int spawn_plan_helper(struct daemon *d, const struct run *jr, struct spawn_plan *p);
/* Starts a helper run of `kind` for `jr`: `command` by /bin/sh as planned, stdin from `in_fd`
 * (taken), its output logged under `what`. */
int spawn_helper(struct daemon *d, const struct run *jr, enum run_kind kind, struct spawn_plan *p, const char *command,
                 int in_fd, const char *what, const char *mail_to);

/* mail.c: decides whether a scheduled run's output is mailed, and prepares the mail's headers
 * while the job's environment (the plan) is at hand. */
void mail_prepare(struct daemon *d, struct run *run, const struct job *j, const struct spawn_plan *p);
