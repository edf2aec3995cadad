/* ctl/main.c: tockctl's command table and dispatch. Called as `crontab` (a link), it hands over
 * to compat.c, which speaks crontab(1)'s command line. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
        { "check", "check [--system] [--cron-compat] FILE...", "validate tables offline; every problem as FILE:LINE:COL", cmd_check },
        { "next", "next [--from T] [--tz ZONE] [--count N] [--json] (EXPR | [--system] --file FILE)",
          "when a schedule or a table will run next, computed offline", cmd_next },
        { "next", "next [-u USER] [--tz ZONE] [--count N] [--json]",
          "the upcoming runs of all your jobs, from tockd, in time order", cmd_next },
        { "export", "export --to kubernetes|systemd [--system] [--strict] [-o DIR] FILE",
          "write a table as Kubernetes CronJobs or systemd timers, offline; what cannot move is said per line", cmd_export },
        { "list", "list [-u USER] [--json]", "print your table as tockd keeps it (crontab -l)", cmd_list },
        { "install", "install [-u USER] [--json] FILE|-", "install a table, or show why tockd refuses it", cmd_install },
        { "edit", "edit [-u USER]", "edit your table in $VISUAL or $EDITOR, then install it (crontab -e)", cmd_edit },
        { "remove", "remove [-u USER] [-i] [--json]", "remove your table; -i asks first (crontab -r)", cmd_remove },
        { "restore", "restore [-u USER] [--json]", "bring back the table as it was before the last install or remove",
          cmd_restore },
        { "status", "status [-u USER] [--json]", "tockd and every job: next run, last run and how it ended, running",
          cmd_status },
        { "why", "why [-u USER] [--json] JOB", "why a job ran or did not, how it ended, the end of its output", cmd_why },
        { "run", "run [-u USER] [--json] JOB", "run a job now, here: its output in this terminal, its exit status",
          cmd_run },
        { "reload", "reload [--json]", "make tockd reread its configuration and tables (root)", cmd_reload },
        { "metrics", "metrics [--json]", "tockd's counters in the Prometheus text format", cmd_metrics },
        { "fleet", "fleet [--json]", "the fleet's members seen and the recent claims", cmd_fleet },
        { "help", "help", "this list", cmd_help },
};

static int cmd_help(int argc, char **argv) {
        (void) argc;
        (void) argv;
        printf("usage: tockctl [--socket PATH] COMMAND [ARGS]\n\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                printf("  tockctl %s\n      %s\n", commands[i].usage, commands[i].summary);
        printf("\n"
               "JOB is LINE (in your table), TABLE:LINE (as status shows it) or a name given with [name:...].\n"
               "-u USER names another user's table: root only (tockd checks). --json prints one JSON document\n"
               "on standard output for scripts (run --json sends the job's output to standard error).\n"
               "The socket is --socket PATH, else $TOCK_SOCKET, else %s.\n"
               "Called as 'crontab' (a link to tockctl), it takes crontab(1)'s command line.\n"
               "\n"
               "Exit status:\n"
               "  0  ok\n"
               "  1  invalid table, nothing found (no such job, no crontab for USER), or tockd said no\n"
               "  2  usage error\n"
               "  3  a file or time zone cannot be read\n"
               "  4  tockd is not running or cannot be understood (other protocol version, no answer)\n"
               "  5  permission denied (not root for -u or reload, cron.allow/cron.deny, the socket's mode)\n"
               "  run exits with the job's exit status, or 128+N when signal N killed it.\n",
               CLIENT_DEFAULT_SOCKET);
        return EXIT_OK;
}

/* Global options come before the command: --socket PATH (or --socket=PATH). Returns the index of
 * the command in argv, or -1 after a usage error. */
static int global_options(int argc, char **argv) {
        int i = 1;

        while (i < argc && strncmp(argv[i], "--socket", 8) == 0) {
                if (argv[i][8] == '=') {
                        client_set_socket(argv[i] + 9);
                        i++;
                } else if (argv[i][8] == 0 && i + 1 < argc) {
                        client_set_socket(argv[i + 1]);
                        i += 2;
                } else {
                        usage_error("--socket", "needs a path: tockctl --socket PATH COMMAND");
                        return -1;
                }
        }
        return i;
}

int main(int argc, char **argv) {
        int i;

        if (streq(program_invocation_short_name, "crontab"))
                return crontab_main(argc, argv);
        i = global_options(argc, argv);
        if (i < 0)
                return EXIT_USAGE;
        if (i >= argc) {
                cmd_help(0, NULL);
                return EXIT_USAGE;
        }
        if (streq(argv[i], "--version") || streq(argv[i], "version")) {
                printf("tockctl %s\n", TOCK_VERSION);
                return EXIT_OK;
        }
        if (streq(argv[i], "--help") || streq(argv[i], "-h"))
                return cmd_help(0, NULL);
        for (size_t k = 0; k < ELEMENTSOF(commands); k++)
                if (streq(argv[i], commands[k].name))
                        return commands[k].run(argc - i, argv + i);
        usage_error(argv[i], "unknown command");
        return EXIT_USAGE;
}
