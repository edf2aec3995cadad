/* tests/unit/test_mail.c: the headers of a job's output mail (daemon/mail.c).
 *
 * cron(8)'s format (Debian cron, do_command.c): "From: root (Cron Daemon)" or MAILFROM, "To:",
 * "Subject: Cron <%s@%s> %s" (user, host, command), the MIME headers, then an "X-Cron-Env: <%s>"
 * for each variable of the job, and a blank line. tock adds Auto-Submitted (RFC 3834) and
 * Precedence: bulk, blanks control characters in the subject, cuts the command there at 200
 * bytes and leaves out variables with control characters. A MAILTO or MAILFROM with control
 * characters (a header injection) is refused: the output is logged, not mailed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "crontab.h"
#include "log.h"
#include "spawn.h"
#include "tockd.h"
#include "util.h"

/* The header line starting with `prefix` (up to its newline, left out), or NULL. */
static char *header_line(const char *h, const char *prefix) {
        for (const char *s = h; *s; s = strchr(s, '\n') + 1) {
                size_t n = strcspn(s, "\n");
                if (strncmp(s, prefix, strlen(prefix)) == 0)
                        return strndup(s, n);
                if (!s[n])
                        break;
        }
        return NULL;
}

Test(mail_headers, are_crons_headers_in_crons_order_ending_with_a_blank_line) {
        char *const envp[] = { (char *) "HOME=/home/alice", (char *) "LOGNAME=alice", (char *) "SHELL=/bin/sh" };
        _cleanup_free_ char *h = mail_headers(NULL, "alice", "alice", "pc1", "backup --quiet", envp, ELEMENTSOF(envp));

        cr_assert_not_null(h);
        cr_assert_str_eq(h, "From: root (Cron Daemon)\n"
                            "To: alice\n"
                            "Subject: Cron <alice@pc1> backup --quiet\n"
                            "MIME-Version: 1.0\n"
                            "Content-Type: text/plain; charset=UTF-8\n"
                            "Content-Transfer-Encoding: 8bit\n"
                            "Auto-Submitted: auto-generated\n"
                            "Precedence: bulk\n"
                            "X-Cron-Env: <HOME=/home/alice>\n"
                            "X-Cron-Env: <LOGNAME=alice>\n"
                            "X-Cron-Env: <SHELL=/bin/sh>\n"
                            "\n");
}

Test(mail_headers, mailfrom_is_the_sender_when_set_and_not_empty) {
        static const struct {
                const char *from, *want;
        } rows[] = {
                { "Backups <backup@example.org>", "From: Backups <backup@example.org>" },
                { "", "From: root (Cron Daemon)" },
                { NULL, "From: root (Cron Daemon)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_free_ char *h = mail_headers(rows[i].from, "ops@example.org", "bob", "db1", "true", NULL, 0);
                _cleanup_free_ char *from = h ? header_line(h, "From:") : NULL;
                _cleanup_free_ char *to = h ? header_line(h, "To:") : NULL;

                cr_assert_not_null(from, "row %zu", i);
                cr_assert_str_eq(from, rows[i].want);
                cr_assert_str_eq(to, "To: ops@example.org");
        }
}

Test(mail_headers, the_subject_shows_control_characters_as_spaces) {
        static const struct {
                const char *command, *want;
        } rows[] = {
                { "a\tb", "Subject: Cron <u@h> a b" },
                { "a\rb", "Subject: Cron <u@h> a b" },
                { "\x1b[31mred", "Subject: Cron <u@h>  [31mred" },
                { "a\nBcc: x@example.org", "Subject: Cron <u@h> a Bcc: x@example.org" },
                { "caf\xc3\xa9 ok", "Subject: Cron <u@h> caf\xc3\xa9 ok" }, /* UTF-8 is not a control character */
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_free_ char *h = mail_headers(NULL, "u", "u", "h", rows[i].command, NULL, 0);
                _cleanup_free_ char *subject = h ? header_line(h, "Subject:") : NULL;

                cr_assert_not_null(subject, "row %zu", i);
                cr_assert_str_eq(subject, rows[i].want, "row %zu", i);
                cr_assert_null(strstr(h, "\nBcc:"), "no header of the command's own");
        }
}

Test(mail_headers, the_subject_has_the_commands_first_200_bytes) {
        static const size_t lengths[] = { 1, 199, 200, 201, 5000 };
        static const char prefix[] = "Subject: Cron <u@h> ";

        for (size_t i = 0; i < ELEMENTSOF(lengths); i++) {
                _cleanup_free_ char *command = malloc(lengths[i] + 1);
                cr_assert_not_null(command);
                for (size_t k = 0; k < lengths[i]; k++)
                        command[k] = (char) ('a' + k % 26);
                command[lengths[i]] = 0;

                _cleanup_free_ char *h = mail_headers(NULL, "u", "u", "h", command, NULL, 0);
                _cleanup_free_ char *subject = h ? header_line(h, "Subject:") : NULL;
                size_t want = lengths[i] < 200 ? lengths[i] : 200;

                cr_assert_not_null(subject);
                cr_assert_eq(strlen(subject), strlen(prefix) + want, "a %zu-byte command", lengths[i]);
                cr_assert_eq(strncmp(subject + strlen(prefix), command, want), 0, "its first bytes, in order");
        }
}

Test(mail_headers, variables_with_control_characters_are_left_out) {
        char *const envp[] = {
                (char *) "A=1",
                (char *) "B=x\nBcc: x@example.org",
                (char *) "C=tab\there",
                (char *) "D=del\x7f",
                (char *) "E=2",
        };
        _cleanup_free_ char *h = mail_headers(NULL, "u", "u", "h", "true", envp, ELEMENTSOF(envp));

        cr_assert_not_null(h);
        cr_assert_not_null(strstr(h, "\nPrecedence: bulk\nX-Cron-Env: <A=1>\nX-Cron-Env: <E=2>\n\n"), "%s", h);
        cr_assert_null(strstr(h, "Bcc"));
        cr_assert_null(strstr(h, "tab"));
        cr_assert_null(strstr(h, "del"));
}

/* ---- MAILTO and MAILFROM with control characters: refused by mail_prepare() ---- */

static struct daemon *d;
static struct crontab *ct;
static struct table table = { .name = (char *) "/var/spool/cron/crontabs/alice", .owner = (char *) "alice" };
static struct run run;

static void prepare_setup(void) {
        log_setup(LOG_TARGET_STDERR, LOG_EMERG, LOG_FORMAT_TEXT); /* the refusal's warning stays quiet */
        d = calloc(1, sizeof *d);
        cr_assert_not_null(d);
        config_init(&d->cfg);
        cr_assert_eq(config_set(&d->cfg, "jobs", "sendmail", "/bin/true"), 0, "a sendmail that exists");
}
static void prepare_teardown(void) {
        free(run.mail_head);
        free(run.mail_to);
        crontab_free(ct);
        config_done(&d->cfg);
        free(d);
}
TestSuite(mail_prepare, .init = prepare_setup, .fini = prepare_teardown);

/* mail_prepare() for the first entry of user table `text`, run as alice; `mailto`/`mailfrom`
 * (non-NULL) replace the table's MAILTO=/MAILFROM= values, as the parser cannot give a newline. */
static void prepare(const char *text, const char *mailto, const char *mailfrom) {
        struct crontab_opts o = { .mode = CRONTAB_USER };
        struct diag_list diags = {};
        char *const envp[] = { (char *) "HOME=/home/alice" };
        struct spawn_plan p = { .user = (char *) "alice", .envp = (char **) envp, .n_env = 1 };

        cr_assert_eq(crontab_parse(text, strlen(text), &o, &ct, &diags), 0);
        diag_list_done(&diags);
        for (size_t i = 0; i < ct->n_env; i++) {
                if (mailto && streq(ct->env[i].name, "MAILTO"))
                        ct->env[i].value = (char *) mailto;
                if (mailfrom && streq(ct->env[i].name, "MAILFROM"))
                        ct->env[i].value = (char *) mailfrom;
        }
        table.ct = ct;
        struct job j = { .table = &table, .node.idx = HEAP_NONE };
        table.jobs = &j;
        mail_prepare(d, &run, &j, &p);
}

Test(mail_prepare, a_plain_mailto_is_mailed_to) {
        prepare("MAILTO=ops@example.org\n* * * * * date\n", NULL, NULL);
        cr_assert_str_eq(run.mail_to, "ops@example.org");
        cr_assert_not_null(run.mail_head);
        cr_assert_not_null(strstr(run.mail_head, "\nTo: ops@example.org\n"));
}

Test(mail_prepare, a_mailto_with_a_newline_is_refused) {
        prepare("MAILTO=x\n* * * * * date\n", "ops@example.org\nBcc: victim@example.org", NULL);
        cr_assert_null(run.mail_to, "not mailed");
        cr_assert_null(run.mail_head);
}

Test(mail_prepare, a_mailfrom_with_a_newline_is_refused) {
        prepare("MAILFROM=x\n* * * * * date\n", NULL, "cron@example.org\r\nBcc: victim@example.org");
        cr_assert_null(run.mail_to, "not mailed");
        cr_assert_null(run.mail_head);
}

Test(mail_prepare, a_mailto_with_a_control_character_from_the_table_is_refused) {
        /* what a table can hold: a tab */
        prepare("MAILTO=ops@example.org\tx\n* * * * * date\n", NULL, NULL);
        cr_assert_null(run.mail_to, "not mailed");
        cr_assert_null(run.mail_head);
}
