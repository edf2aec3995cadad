/* tests/unit/test_access.c: who may see which job and who may use cron (daemon/access.c).
 *
 * Job lookup: a job is named by "LINE" (in the asker's own spool table), "TABLE:LINE" (a table's
 * path as status shows it) or its [name:...]; a user sees only the jobs that run as them, root
 * asking for everyone sees every job. The tables are real crontab text parsed by crontab_parse().
 *
 * cron.allow / cron.deny, Debian crontab(1)'s rule: root always may; when cron.allow exists only
 * the users it lists may; otherwise, when cron.deny exists, the users it lists may not; with
 * neither, everyone may. One name a line (blanks around it and what follows it ignored). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crontab.h"
#include "tockd.h"
#include "util.h"

/* ---- fixtures: tables as tockd loads them ---- */

#define SPOOL "/var/spool/cron/crontabs"

static const struct {
        const char *path, *owner; /* owner NULL: a system table, whose entries name their user */
        const char *text;
} table_texts[] = {
        { "/etc/crontab", NULL,
          "SHELL=/bin/sh\n"
          "17 * * * * root cd / && run-parts /etc/cron.hourly\n" /* line 2 */
          "[name:backup] 0 1 * * * alice /usr/local/bin/backup\n" /* line 3 */ },
        { "/etc/cron.d/odd:name", NULL,
          "0 3 * * * bob /usr/bin/for-bob\n" /* line 1: a path with a colon in it */ },
        { SPOOL "/alice", "alice",
          "MAILTO=alice@example.org\n"
          "*/5 * * * * alice-poll\n" /* line 2 */
          "[name:report] 0 9 * * 1-5 alice-report\n" /* line 3 */ },
        { SPOOL "/bob", "bob",
          "* * * * * bob-every-minute\n" /* line 1 */
          "\n"
          "[name:report] 0 18 * * * bob-report\n" /* line 3: the same name as alice's */ },
};
#define N_TABLES ELEMENTSOF(table_texts)
enum { T_CRONTAB, T_ODD, T_ALICE, T_BOB };

static struct table *tables[N_TABLES];

static struct table *table_new(const char *path, const char *owner, const char *text) {
        struct crontab_opts o = { .mode = owner ? CRONTAB_USER : CRONTAB_SYSTEM };
        struct diag_list diags = {};
        struct table *t = calloc(1, sizeof *t);

        cr_assert_not_null(t);
        cr_assert_eq(crontab_parse(text, strlen(text), &o, &t->ct, &diags), 0, "%s parses", path);
        diag_list_done(&diags);
        t->kind = owner ? TABLE_SPOOL : strncmp(path, "/etc/cron.d/", 12) == 0 ? TABLE_CROND : TABLE_SYSTEM;
        t->path = strdup(path);
        t->name = strdup(path);
        t->owner = owner ? strdup(owner) : NULL;
        t->n_jobs = t->ct->n_entries;
        t->jobs = calloc(t->n_jobs, sizeof *t->jobs);
        cr_assert(t->path && t->name && (!owner || t->owner) && t->jobs);
        for (size_t k = 0; k < t->n_jobs; k++)
                t->jobs[k] = (struct job) { .table = t, .node.idx = HEAP_NONE };
        return t;
}

static void table_free_fixture(struct table *t) {
        if (!t)
                return;
        crontab_free(t->ct);
        free(t->jobs);
        free(t->path);
        free(t->name);
        free(t->owner);
        free(t);
}

static void setup(void) {
        for (size_t i = 0; i < N_TABLES; i++)
                tables[i] = table_new(table_texts[i].path, table_texts[i].owner, table_texts[i].text);
}
static void teardown(void) {
        for (size_t i = 0; i < N_TABLES; i++)
                table_free_fixture(tables[i]);
}
TestSuite(access_find_job, .init = setup, .fini = teardown);

static const struct caller root = { .uid = 0, .gid = 0, .user = (char *) "root" };
static const struct caller alice = { .uid = 1000, .gid = 1000, .user = (char *) "alice" };
static const struct caller bob = { .uid = 1001, .gid = 1001, .user = (char *) "bob" };

/* What a lookup should find: a table and a line, or nothing (table -1). */
struct want {
        int table;
        unsigned line;
};
#define NONE ((struct want) { -1, 0 })
#define AT(t, l) ((struct want) { (t), (l) })

struct lookup {
        const struct caller *by;
        const char *user; /* whom the request is about; "" root asking for everyone */
        bool any;         /* root named nobody */
        const char *spec;
        struct want want;
};

static void check_lookups(const struct lookup *rows, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct lookup *q = &rows[i];
                _cleanup_free_ char *spool = NULL;
                struct job *j;

                cr_assert_geq(asprintf(&spool, SPOOL "/%s", q->user), 0); /* as request.c: spool_path() */
                j = access_find_job(tables, N_TABLES, spool, q->by, q->user, q->spec, q->any);
                if (q->want.table < 0) {
                        cr_assert_null(j, "%s asking about '%s' for '%s' finds nothing, not %s:%u", q->by->user, q->user,
                                       q->spec, j ? j->table->name : "", j ? job_entry(j)->line : 0);
                        continue;
                }
                cr_assert_not_null(j, "%s asking about '%s' for '%s' finds a job", q->by->user, q->user, q->spec);
                cr_assert_eq(j->table, tables[q->want.table], "%s for '%s': table %s, want %s", q->by->user, q->spec,
                             j->table->name, tables[q->want.table]->name);
                cr_assert_eq(job_entry(j)->line, q->want.line, "%s for '%s': line %u, want %u", q->by->user, q->spec, job_entry(j)->line,
                             q->want.line);
        }
}

Test(access_find_job, a_bare_line_is_in_the_askers_own_spool_table) {
        static const struct lookup rows[] = {
                { &alice, "alice", false, "2", AT(T_ALICE, 2) },
                { &alice, "alice", false, "3", AT(T_ALICE, 3) },
                { &bob, "bob", false, "3", AT(T_BOB, 3) },
                /* line 1 of alice's table is MAILTO=, no job; line 9 is past the end */
                { &alice, "alice", false, "1", NONE },
                { &alice, "alice", false, "9", NONE },
                /* line 2 of /etc/crontab runs as root, but a bare line never looks outside the spool */
                { &root, "root", false, "2", NONE },
                /* root naming bob: bob's spool table */
                { &root, "bob", false, "1", AT(T_BOB, 1) },
        };
        check_lookups(rows, ELEMENTSOF(rows));
}

Test(access_find_job, table_colon_line_names_a_line_in_any_table_by_its_path) {
        static const struct lookup rows[] = {
                { &alice, "alice", false, SPOOL "/alice:2", AT(T_ALICE, 2) },
                /* a system table's line that runs as alice */
                { &alice, "alice", false, "/etc/crontab:3", AT(T_CRONTAB, 3) },
                { &bob, "bob", false, "/etc/cron.d/odd:name:1", AT(T_ODD, 1) },
                /* the whole path must match: not a prefix of it, nor a longer one */
                { &alice, "alice", false, "/etc/cron:3", NONE },
                { &alice, "alice", false, "/etc/crontab2:3", NONE },
                { &bob, "bob", false, "/etc/cron.d/odd:1", NONE },
                /* a line with no job */
                { &alice, "alice", false, "/etc/crontab:1", NONE },
                { &root, "", true, SPOOL "/bob:2", NONE },
        };
        check_lookups(rows, ELEMENTSOF(rows));
}

Test(access_find_job, a_name_finds_the_job_of_that_name_the_asker_may_see) {
        static const struct lookup rows[] = {
                { &alice, "alice", false, "backup", AT(T_CRONTAB, 3) },
                /* two users' jobs share a name: each finds their own */
                { &alice, "alice", false, "report", AT(T_ALICE, 3) },
                { &bob, "bob", false, "report", AT(T_BOB, 3) },
                { &root, "bob", false, "report", AT(T_BOB, 3) },
                { &alice, "alice", false, "nosuch", NONE },
                /* a spec that is not TABLE:LINE is a name, colon and all */
                { &alice, "alice", false, SPOOL "/alice:x", NONE },
        };
        check_lookups(rows, ELEMENTSOF(rows));
}

Test(access_find_job, a_user_never_finds_a_job_that_does_not_run_as_them) {
        static const struct lookup rows[] = {
                { &alice, "alice", false, SPOOL "/bob:1", NONE },
                { &alice, "alice", false, "/etc/crontab:2", NONE },  /* root's */
                { &bob, "bob", false, "backup", NONE },              /* alice's, in /etc/crontab */
                { &alice, "alice", false, "/etc/cron.d/odd:name:1", NONE },
                /* asking "for everyone" gives a user nothing more */
                { &alice, "", true, SPOOL "/bob:1", NONE },
                { &alice, "alice", true, "/etc/crontab:2", NONE },
                /* nor does naming another user (access_check refuses that earlier, too) */
                { &alice, "bob", false, "1", NONE },
                { &alice, "bob", false, SPOOL "/bob:1", NONE },
        };
        check_lookups(rows, ELEMENTSOF(rows));
}

Test(access_find_job, root_asking_for_everyone_sees_every_job) {
        static const struct lookup rows[] = {
                { &root, "", true, "/etc/crontab:2", AT(T_CRONTAB, 2) },
                { &root, "", true, SPOOL "/bob:1", AT(T_BOB, 1) },
                { &root, "", true, SPOOL "/alice:2", AT(T_ALICE, 2) },
                { &root, "", true, "backup", AT(T_CRONTAB, 3) },
                { &root, "", true, "/etc/cron.d/odd:name:1", AT(T_ODD, 1) },
        };
        check_lookups(rows, ELEMENTSOF(rows));
}

Test(access_find_job, root_naming_a_user_sees_that_users_jobs_only) {
        static const struct lookup rows[] = {
                { &root, "bob", false, SPOOL "/bob:1", AT(T_BOB, 1) },
                { &root, "bob", false, "/etc/cron.d/odd:name:1", AT(T_ODD, 1) },
                { &root, "bob", false, SPOOL "/alice:2", NONE },
                { &root, "bob", false, "backup", NONE },
                { &root, "root", false, "/etc/crontab:2", AT(T_CRONTAB, 2) },
                { &root, "root", false, "/etc/crontab:3", NONE },
        };
        check_lookups(rows, ELEMENTSOF(rows));
}

/* ---- cron.allow and cron.deny ---- */

static char dir[64], allow[96], deny[96];

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f, "%s: %m", path);
        cr_assert_eq(fputs(text, f) >= 0, true);
        cr_assert_eq(fclose(f), 0);
}

static struct access_lists lists;

static void files_setup(void) {
        strcpy(dir, "/tmp/tock-test-access.XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(allow, sizeof allow, "%s/cron.allow", dir);
        snprintf(deny, sizeof deny, "%s/cron.deny", dir);
}
static void files_teardown(void) {
        access_lists_done(&lists);
        (void) unlink(allow);
        (void) unlink(deny);
        (void) rmdir(dir);
}
TestSuite(access_cron, .init = files_setup, .fini = files_teardown);

Test(access_cron, a_name_is_listed_when_a_line_holds_it_whole) {
        write_file(allow, "# who may use cron\n"
                          "\n"
                          "#frank\n"          /* a name commented out */
                          "alice\n"
                          "  bob\t \n"         /* blanks around the name */
                          "carol\r\n"          /* a CRLF file */
                          "dave # the DBA\n"   /* what follows the name on its line */
                          "erin"               /* no final newline */);
        static const struct {
                const char *user;
                int want;
        } rows[] = {
                { "alice", 1 }, { "bob", 1 }, { "carol", 1 }, { "dave", 1 }, { "erin", 1 },
                { "al", 0 },     /* a prefix of a listed name */
                { "alicex", 0 }, /* a listed name is a prefix of it */
                { "Alice", 0 },  /* names are case-sensitive */
                { "frank", 0 },  /* commented out */
                { "who", 0 },    /* the words of a comment list nobody */
                { "the", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                cr_assert_eq(access_listed_in(&lists.allow, allow, rows[i].user), rows[i].want, "'%s'", rows[i].user);
}

Test(access_cron, a_missing_list_says_enoent) {
        cr_assert_eq(access_listed_in(&lists.allow, allow, "alice"), -ENOENT);
}

Test(access_cron, root_always_may) {
        write_file(allow, "alice\n");
        write_file(deny, "root\n");
        cr_assert(access_cron_allowed(&lists, allow, deny, "root"));
        cr_assert(access_cron_allowed(&lists, "", deny, "root"));
}

Test(access_cron, with_cron_allow_only_the_users_it_lists_may) {
        write_file(allow, "alice\n");
        write_file(deny, "alice\nbob\n");
        cr_assert(access_cron_allowed(&lists, allow, deny, "alice"), "listed in cron.allow; cron.deny is not read then");
        cr_assert_not(access_cron_allowed(&lists, allow, deny, "carol"), "not listed in cron.allow, nor in cron.deny");
        cr_assert_not(access_cron_allowed(&lists, allow, "", "carol"), "no cron.deny at all");
}

Test(access_cron, an_empty_cron_allow_lets_nobody_but_root) {
        write_file(allow, "");
        cr_assert_not(access_cron_allowed(&lists, allow, deny, "alice"));
        cr_assert(access_cron_allowed(&lists, allow, deny, "root"));
}

Test(access_cron, without_cron_allow_the_users_cron_deny_lists_may_not) {
        write_file(deny, "bob\n");
        cr_assert_not(access_cron_allowed(&lists, allow, deny, "bob"), "cron.allow does not exist");
        cr_assert_not(access_cron_allowed(&lists, "", deny, "bob"), "cron.allow is not configured");
        cr_assert(access_cron_allowed(&lists, allow, deny, "alice"));
}

Test(access_cron, with_neither_file_everyone_may) {
        cr_assert(access_cron_allowed(&lists, allow, deny, "alice"), "both configured, neither exists");
        cr_assert(access_cron_allowed(&lists, "", "", "alice"), "neither configured");
}

Test(access_cron, a_cron_allow_that_cannot_be_read_lets_nobody_but_root) {
        /* it exists for all tockd knows: failing open would let everyone in */
        char unreadable[128];

        write_file(allow, "alice\n");
        snprintf(unreadable, sizeof unreadable, "%s/cron.allow", allow); /* ENOTDIR */
        cr_assert_lt(access_listed_in(&lists.allow, unreadable, "alice"), 0);
        cr_assert_neq(access_listed_in(&lists.allow, unreadable, "alice"), -ENOENT);
        cr_assert_not(access_cron_allowed(&lists, unreadable, "", "alice"));
        cr_assert(access_cron_allowed(&lists, unreadable, "", "root"));
}

Test(access_cron, a_list_is_read_again_once_it_changes_and_only_then) {
        char moved[160];

        write_file(allow, "alice\n");
        cr_assert(access_cron_allowed(&lists, allow, deny, "alice"));
        char *first = lists.allow.text;
        cr_assert(access_cron_allowed(&lists, allow, deny, "alice"));
        cr_assert_eq(lists.allow.text, first, "an unchanged file is not read again");
        write_file(allow, "bob\ncarol\n"); /* rewritten in place */
        cr_assert_not(access_cron_allowed(&lists, allow, deny, "alice"), "the new text counts");
        cr_assert(access_cron_allowed(&lists, allow, deny, "carol"));
        snprintf(moved, sizeof moved, "%s/cron.allow.new", dir);
        write_file(moved, "alice\n");
        cr_assert_eq(rename(moved, allow), 0); /* replaced, as editors do */
        cr_assert(access_cron_allowed(&lists, allow, deny, "alice"));
        cr_assert_not(access_cron_allowed(&lists, allow, deny, "carol"));
        cr_assert_eq(unlink(allow), 0);
        cr_assert(access_cron_allowed(&lists, allow, deny, "carol"), "gone: neither file, everyone may");
}

/* ---- the rule of each request (access_check), issue 10 item 7 ---- */

/* A daemon with only what access_check() reads: the spool and cron.allow / cron.deny. */
static void rule_daemon(struct daemon *d, const char *spool) {
        memset(d, 0, sizeof *d);
        d->cfg.spool = (char *) spool;
        d->cfg.cron_allow = allow;
        d->cfg.cron_deny = deny;
}

static int rule(struct daemon *d, enum access_rule r, uid_t uid, const char *user, const char *asked,
                const char **ret_user, char **ret_msg) {
        const struct caller by = { .uid = uid, .user = (char *) user, .pid = 1 };
        return access_check(d, r, "do it", &by, asked, ret_user, ret_msg);
}

Test(access_cron, tockctl_run_is_refused_to_a_user_cron_deny_lists) {
        struct daemon d;
        const char *user = NULL;
        char *msg = NULL, want[256];

        rule_daemon(&d, "");
        write_file(deny, "bob\n");
        cr_assert_eq(rule(&d, ACCESS_CRON, 1001, "bob", "", &user, &msg), -EACCES);
        snprintf(want, sizeof want, "you (bob) are not allowed to use cron (%s / %s)", allow, deny);
        cr_assert_str_eq(msg, want, "the words list and install use");
        free(msg);
        msg = NULL;
        write_file(allow, "alice\n");
        cr_assert_eq(rule(&d, ACCESS_CRON, 1002, "carol", "", &user, &msg), -EACCES, "not in an existing cron.allow");
        free(msg);
        users_flush(&d.users);
        access_lists_done(&d.access);
}

Test(access_cron, root_may_run_the_job_of_a_denied_user) {
        struct daemon d;
        const char *user = NULL;
        char *msg = NULL;

        rule_daemon(&d, "");
        write_file(deny, "root\n");
        write_file(allow, ""); /* nobody but root */
        cr_assert_eq(rule(&d, ACCESS_CRON, 0, "root", "", &user, &msg), 0, "%s", msg ? msg : "");
        cr_assert_str_eq(user, "root");
        users_flush(&d.users);
        access_lists_done(&d.access);
}

Test(access_cron, a_denied_user_may_still_ask_why) {
        struct daemon d;
        const char *user = NULL;
        char *msg = NULL;

        rule_daemon(&d, "");
        write_file(deny, "bob\n");
        /* ACCESS_SELF does not read cron.allow / cron.deny: it gets as far as the user lookup */
        cr_assert_neq(rule(&d, ACCESS_SELF, 1001, "bob", "", &user, &msg), -EACCES);
        free(msg);
        users_flush(&d.users);
        access_lists_done(&d.access);
}

/* ---- whose a file is (issue 10 item 6) ---- */

Test(access_file_owner, as_root_tockd_gives_a_users_files_to_the_user) {
        cr_assert_eq(access_file_owner(0, 1001), 1001);
        cr_assert_eq(access_file_owner(0, 0), 0);
}

Test(access_file_owner, as_an_ordinary_user_tockd_keeps_them_its_own) {
        cr_assert_eq(access_file_owner(1000, 1000), 1000);
        cr_assert_eq(access_file_owner(1000, 1001), 1000, "write_atomic() cannot give files away");
}

Test(access_cron, a_list_that_exists_but_cannot_be_read_lets_nobody_but_root) {
        /* a directory where the file should be: read() fails with EISDIR, as root or not */
        cr_assert_eq(mkdir(deny, 0755), 0, "%s: %m", deny);
        cr_assert_not(access_cron_allowed(&lists, allow, deny, "alice"), "cron.deny unreadable: Debian's cron refuses");
        cr_assert(access_cron_allowed(&lists, allow, deny, "root"));
        cr_assert_eq(rmdir(deny), 0);
        cr_assert_eq(mkdir(allow, 0755), 0, "%s: %m", allow);
        cr_assert_not(access_cron_allowed(&lists, allow, deny, "alice"), "cron.allow unreadable");
        cr_assert_eq(rmdir(allow), 0);
}
