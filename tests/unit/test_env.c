/* tests/unit/test_env.c: the environment a job gets (spawn_plan_env() in daemon/spawn.c).
 *
 * cron's rule (crontab(5)): HOME, LOGNAME, USER, SHELL and PATH come from the owner and tockd's
 * defaults (jobs.shell, jobs.path); then the table's environment lines before the entry apply,
 * later ones winning, and may change all of them but LOGNAME and USER. The table's SHELL is the
 * shell that runs the job, its HOME the directory the job runs in. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "crontab.h"
#include "spawn.h"
#include "util.h"

#define SHELL_DEFAULT "/bin/sh"
#define PATH_DEFAULT  "/usr/bin:/bin"

static struct crontab *ct;
static struct spawn_plan p;

static void teardown(void) {
        spawn_plan_done(&p);
        crontab_free(ct);
}
TestSuite(spawn_plan_env, .fini = teardown);

/* Parses user table `text` and plans entry `k` (0-based) as alice, home /home/alice. */
static void plan(const char *text, size_t k) {
        struct crontab_opts o = { .mode = CRONTAB_USER };
        struct diag_list diags = {};

        cr_assert_eq(crontab_parse(text, strlen(text), &o, &ct, &diags), 0, "the table parses");
        diag_list_done(&diags);
        cr_assert_lt(k, ct->n_entries);
        p.user = strdup("alice");
        p.home = strdup("/home/alice");
        cr_assert(p.user && p.home);
        cr_assert_eq(spawn_plan_env(&p, SHELL_DEFAULT, PATH_DEFAULT, ct, &ct->entries[k]), 0);
}

/* The value of `name` in the plan's environment, or NULL; fails if it is there twice. */
static const char *env_of(const char *name) {
        size_t nl = strlen(name);
        const char *found = NULL;

        for (size_t i = 0; i < p.n_env; i++)
                if (strncmp(p.envp[i], name, nl) == 0 && p.envp[i][nl] == '=') {
                        cr_assert_null(found, "%s is in the environment once", name);
                        found = p.envp[i] + nl + 1;
                }
        return found;
}

struct var {
        const char *name, *value;
};

static void assert_env(const struct var *want, size_t n) {
        cr_assert_eq(p.n_env, n, "%zu variables, want %zu", p.n_env, n);
        for (size_t i = 0; i < n; i++) {
                const char *v = env_of(want[i].name);
                cr_assert_not_null(v, "%s is set", want[i].name);
                cr_assert_str_eq(v, want[i].value, "%s", want[i].name);
        }
}

Test(spawn_plan_env, a_table_without_environment_lines_gets_the_owners_and_the_defaults) {
        static const struct var want[] = {
                { "HOME", "/home/alice" }, { "LOGNAME", "alice" },     { "USER", "alice" },
                { "SHELL", SHELL_DEFAULT }, { "PATH", PATH_DEFAULT },
        };

        plan("* * * * * date\n", 0);
        assert_env(want, ELEMENTSOF(want));
        cr_assert_str_eq(p.shell, SHELL_DEFAULT, "the job's shell");
        cr_assert_str_eq(p.home, "/home/alice", "the job's directory");
}

Test(spawn_plan_env, the_table_may_change_home_shell_and_path_and_add_its_own) {
        static const struct var want[] = {
                { "HOME", "/srv/work" },    { "LOGNAME", "alice" }, { "USER", "alice" },
                { "SHELL", "/bin/bash" },   { "PATH", "/opt/bin:/usr/bin" },
                { "MAILTO", "ops@example.org" }, { "LANG", "C.UTF-8" },
        };

        plan("SHELL=/bin/bash\n"
             "PATH=/opt/bin:/usr/bin\n"
             "HOME=/srv/work\n"
             "MAILTO=ops@example.org\n"
             "LANG=C.UTF-8\n"
             "* * * * * date\n",
             0);
        assert_env(want, ELEMENTSOF(want));
        cr_assert_str_eq(p.shell, "/bin/bash", "the table's SHELL runs the job");
        cr_assert_str_eq(p.home, "/srv/work", "the job runs in the table's HOME");
}

Test(spawn_plan_env, the_table_cannot_change_logname_or_user) {
        plan("LOGNAME=root\n"
             "USER=root\n"
             "* * * * * id\n",
             0);
        cr_assert_str_eq(env_of("LOGNAME"), "alice");
        cr_assert_str_eq(env_of("USER"), "alice");
        cr_assert_eq(p.n_env, 5, "the lines left out add nothing either");
}

Test(spawn_plan_env, an_entry_sees_only_the_lines_before_it_the_later_of_two_winning) {
        static const char table[] = "A=1\n"
                                    "A=2\n"
                                    "* * * * * first\n"
                                    "A=3\n"
                                    "B=only-for-the-second\n"
                                    "SHELL=/bin/dash\n"
                                    "* * * * * second\n";

        plan(table, 0);
        cr_assert_str_eq(env_of("A"), "2");
        cr_assert_null(env_of("B"), "B comes after the first entry");
        cr_assert_str_eq(p.shell, SHELL_DEFAULT, "SHELL= comes after the first entry");
        teardown();
        p = (struct spawn_plan) {};
        ct = NULL;

        plan(table, 1);
        cr_assert_str_eq(env_of("A"), "3");
        cr_assert_str_eq(env_of("B"), "only-for-the-second");
        cr_assert_str_eq(env_of("SHELL"), "/bin/dash");
        cr_assert_str_eq(p.shell, "/bin/dash");
}

Test(spawn_plan_env, tockds_defaults_are_what_the_table_does_not_set) {
        /* other defaults than the usual ones, to see they come from the arguments */
        struct crontab_opts o = { .mode = CRONTAB_USER };
        struct diag_list diags = {};
        static const char text[] = "PATH=/x\n* * * * * date\n";

        cr_assert_eq(crontab_parse(text, strlen(text), &o, &ct, &diags), 0);
        diag_list_done(&diags);
        p.user = strdup("bob");
        p.home = strdup("/home/bob");
        cr_assert_eq(spawn_plan_env(&p, "/bin/zsh", "/usr/local/bin", ct, &ct->entries[0]), 0);
        cr_assert_str_eq(env_of("SHELL"), "/bin/zsh");
        cr_assert_str_eq(p.shell, "/bin/zsh");
        cr_assert_str_eq(env_of("PATH"), "/x", "the table's PATH over the default");
        cr_assert_str_eq(env_of("HOME"), "/home/bob");
        cr_assert_str_eq(env_of("USER"), "bob");
}
