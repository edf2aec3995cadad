/* ctl/compat.c: the crontab(1) command line, when tockctl is called as `crontab`.
 *
 * Takes the forms of POSIX, Debian's cron 3.0pl1 and cronie:
 *     crontab [-u user] file | -          install (no file and stdin not a terminal: stdin)
 *     crontab [-u user] -n file | -       Debian: dry run, check the syntax, install nothing
 *     crontab -T file | -                 cronie: the same
 *     crontab [-u user] -l | -e | -r [-i]
 * Messages and exit codes that scripts rely on are cron's: "no crontab for USER" and 1 from -l,
 * "must be privileged to use -u", cron's usage text and 1 for a bad command line, 1 for a table
 * with errors. Failures cron cannot have (tockd not running, or speaking another protocol) exit
 * 4 as in tockctl, so that a script (Ansible's cron module) does not take them for "no crontab".
 * Nothing is setuid: tockd knows the caller from SO_PEERCRED and checks -u and cron.allow. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

/* Debian's text (crontab -h of cron 3.0pl1-162), with cronie's -T added. */
static const char usage_text[] =
        "usage:\tcrontab [-u user] [-n] file\n"
        "\tcrontab [ -u user ] [ -i ] { -e | -l | -r }\n"
        "\n"
        "\t-h\t(displays this help message)\n"
        "\n"
        "\tfile\t(default operation is replace, per 1003.2)\n"
        "\t-n\t(dry run: checks the syntax, then bails out)\n"
        "\t-T\t(the same, as cronie spells it)\n"
        "\t-u user\t(choose the user whose crontab is touched)\n"
        "\n"
        "\t-e\t(edit user's crontab)\n"
        "\t-l\t(list user's crontab)\n"
        "\t-r\t(delete user's crontab)\n"
        "\n"
        "\t-i\t(prompt before deleting user's crontab)\n";

enum op {
        OP_NONE,
        OP_REPLACE,
        OP_LIST,
        OP_EDIT,
        OP_REMOVE,
        OP_TEST, /* -T, or -n with a file */
};

struct crontab_args {
        enum op op;
        bool dry_run, test, ask;
        const char *file;
        const char *user;  /* as sent to tockd: NULL for the caller */
        const char *shown; /* the user's name in messages */
        char me[256];
};

static int usage(const char *msg) {
        fprintf(stderr, "crontab: usage error: %s\n", msg);
        fputs(usage_text, stderr);
        return EXIT_INVALID;
}

/* cron exits 1 for everything; only "cannot reach tockd" keeps its own code. */
static int cron_exit(int r) {
        return r == EXIT_OK ? EXIT_OK : r == EXIT_DAEMON ? EXIT_DAEMON : EXIT_INVALID;
}

/* -u: root may name anyone; anyone may name themselves (as Debian allows). tockd checks again. */
static int set_user(struct crontab_args *a, const char *name) {
        if (getuid() != 0 && !streq(name, a->me)) {
                fprintf(stderr, "must be privileged to use -u\n");
                return EXIT_INVALID;
        }
        if (!getpwnam(name)) {
                fprintf(stderr, "crontab:  user `%s' unknown\n", name);
                return EXIT_INVALID;
        }
        a->shown = name;
        a->user = streq(name, a->me) ? NULL : name;
        return EXIT_OK;
}

static int set_op(struct crontab_args *a, enum op op) {
        if (a->op != OP_NONE)
                return usage("only one operation permitted");
        a->op = op;
        return EXIT_OK;
}

/* Returns -1 when the arguments are fine, or the exit code to leave with. */
static int parse_args(int argc, char **argv, struct crontab_args *a) {
        int c, r = EXIT_OK;

        caller_name(a->me, sizeof a->me);
        a->shown = a->me;
        while (r == EXIT_OK && (c = getopt(argc, argv, "u:lerinThV")) >= 0) {
                switch (c) {
                case 'u':
                        r = set_user(a, optarg);
                        break;
                case 'l':
                        r = set_op(a, OP_LIST);
                        break;
                case 'e':
                        r = set_op(a, OP_EDIT);
                        break;
                case 'r':
                        r = set_op(a, OP_REMOVE);
                        break;
                case 'T':
                        r = set_op(a, OP_TEST);
                        a->test = true;
                        break;
                case 'n':
                        a->dry_run = true;
                        break;
                case 'i':
                        a->ask = true;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return EXIT_OK;
                case 'V':
                        printf("tockctl %s (crontab)\n", TOCK_VERSION);
                        return EXIT_OK;
                default:
                        return usage("unrecognized option");
                }
        }
        if (r != EXIT_OK)
                return r;
        if (a->dry_run) {
                if (a->op != OP_NONE && a->op != OP_TEST)
                        return usage("only one operation permitted");
                a->op = OP_TEST;
        }
        if (a->op == OP_NONE)
                a->op = OP_REPLACE;
        if (a->op == OP_REPLACE || a->op == OP_TEST) {
                if (optind < argc)
                        a->file = argv[optind++];
                else if (isatty(STDIN_FILENO)) /* cronie's rule: a bare `crontab` would wait on the terminal */
                        return usage("file name must be specified for replace");
                else
                        a->file = "-";
        }
        if (optind < argc)
                return usage("no arguments permitted after this option");
        return -1;
}

static int read_table(const char *file, char **ret_text, size_t *ret_len) {
        int r = read_input(file, 0, ret_text, ret_len);
        return r < 0 ? input_failed(file, r) : EXIT_OK;
}

/* -n, -T: the syntax offline, with tock's messages, then cron's verdict. Nothing is sent. */
static int test_table(const struct crontab_args *a) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(crontab_freep) struct crontab *t = NULL;
        struct diag_list diags = {};
        const char *shown = streq(a->file, "-") ? "<stdin>" : a->file;
        const struct crontab_opts opts = { .mode = CRONTAB_USER, .seed = table_seed(NULL), .zone_check = zone_check };
        size_t len;
        int r;

        r = read_table(a->file, &text, &len);
        if (r != EXIT_OK)
                return r;
        r = crontab_parse(text, len, &opts, &t, &diags);
        print_diags(&diags, shown, text, len);
        diag_list_done(&diags);
        if (r == -ENOMEM) {
                fprintf(stderr, "crontab: out of memory\n");
                return EXIT_INVALID;
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", a->test ? "Invalid crontab file. Syntax issues were found." :
                                                  "errors in crontab file, can't install.");
                return EXIT_INVALID;
        }
        fprintf(stderr, "%s\n", a->test ? "No syntax issues were found in the crontab file." :
                                          "The syntax of the crontab file was successfully checked.");
        return EXIT_OK;
}

/* `crontab file`: silent when installed, as cron is. */
static int replace(const struct crontab_args *a) {
        _cleanup_free_ char *text = NULL, *msg = NULL;
        const char *shown = streq(a->file, "-") ? "<stdin>" : a->file;
        struct proto_buf req = {};
        struct reply rep = {};
        size_t len;
        int r;

        r = read_table(a->file, &text, &len);
        if (r != EXIT_OK)
                return r;
        if (table_has_nul(shown, text, len)) {
                fprintf(stderr, "errors in crontab file, can't install.\n");
                return EXIT_INVALID;
        }
        if (offline_possible()) {
                r = offline_install(a->user, text, len, shown, false, true);
                if (r == EXIT_INVALID)
                        fprintf(stderr, "errors in crontab file, can't install.\n");
                return r;
        }
        proto_put_request(&req, PROTO_INSTALL, &(struct proto_request) { .user = (char *) a->user, .text = text, .text_len = len });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type == PROTO_DIAGS) {
                r = print_diags_reply(NULL, &rep, shown, false);
                if (r == EXIT_INVALID)
                        fprintf(stderr, "errors in crontab file, can't install.\n");
        } else {
                r = reply_ok_string(NULL, &rep, &msg);
        }
        reply_done(&rep);
        return r;
}

/* LIST. With `out`, the table is printed as is; without, only whether there is one matters. */
static int list(const struct crontab_args *a, bool out) {
        _cleanup_free_ char *text = NULL;
        struct proto_buf req = {};
        struct reply rep = {};
        int r;

        proto_put_request(&req, PROTO_LIST, &(struct proto_request) { .user = (char *) a->user });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type == PROTO_ERROR && rep.error == -ENOENT) {
                fprintf(stderr, "no crontab for %s\n", a->shown);
                r = EXIT_INVALID;
        } else {
                r = reply_ok_string(NULL, &rep, &text);
        }
        reply_done(&rep);
        if (r == EXIT_OK && out) {
                fputs(text, stdout);
                if (fflush(stdout) != 0)
                        r = EXIT_IO;
                else
                        refused_note(a->user);
        }
        return r;
}

static int remove_table(const struct crontab_args *a) {
        struct simple_request s = { .type = PROTO_REMOVE, .user = a->user, .enoent_user = a->shown };
        _cleanup_free_ char *question = NULL;
        int r;

        if (a->ask) {
                /* as cron: "no crontab" before the question, which goes to stdout, answered on stdin */
                r = list(a, false);
                if (r != EXIT_OK)
                        return r;
                question = strdup_printf("crontab: really delete %s's crontab? (y/n) ", a->shown);
                if (!question)
                        return EXIT_IO;
                r = ask_yes_no(question, stdout, false);
                if (r <= 0) /* cronie: no answer keeps the table, and is not an error */
                        return EXIT_OK;
        }
        /* silent, as cron is: the OK message is not printed */
        s.quiet = true;
        return simple_request(&s);
}

int crontab_main(int argc, char **argv) {
        struct crontab_args a = {};
        int r;

        r = parse_args(argc, argv, &a);
        if (r >= 0)
                return r;
        switch (a.op) {
        case OP_TEST:
                return cron_exit(test_table(&a));
        case OP_REPLACE:
                return cron_exit(replace(&a));
        case OP_LIST:
                return cron_exit(list(&a, true));
        case OP_EDIT:
                return cron_exit(edit_table(a.user, a.shown, EDIT_CRONTAB));
        case OP_REMOVE:
                return cron_exit(remove_table(&a));
        case OP_NONE:
                break;
        }
        return usage("unknown option specified");
}
