/* ctl/main.c: tockctl's command table and dispatch. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
        { "check", "check [--system] FILE...", "validate tables; every problem as FILE:LINE:COL", cmd_check },
        { "next", "next [--from T] [--tz ZONE] [--count N] (EXPR | [--system] --file FILE)",
          "when a schedule or a table will run next", cmd_next },
        { "help", "help", "this list", cmd_help },
};

static int cmd_help(int argc, char **argv) {
        (void) argc;
        (void) argv;
        printf("usage: tockctl COMMAND [ARGS]\n\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                printf("  tockctl %-72s\n      %s\n", commands[i].usage, commands[i].summary);
        printf("\nExit status: 0 ok, 1 invalid table or nothing found, 2 usage error, 3 file or zone unreadable.\n");
        return EXIT_OK;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                cmd_help(0, NULL);
                return EXIT_USAGE;
        }
        if (streq(argv[1], "--version") || streq(argv[1], "version")) {
                printf("tockctl %s\n", TOCK_VERSION);
                return EXIT_OK;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h"))
                return cmd_help(0, NULL);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);
        usage_error(argv[1], "unknown command");
        return EXIT_USAGE;
}
