/* ctl/cmd-check.c: tockctl check [--system] FILE... */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static int check_one(const char *path, enum crontab_mode mode) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(crontab_freep) struct crontab *t = NULL;
        struct diag_list diags = {};
        const char *shown = streq(path, "-") ? "<stdin>" : path;
        size_t len;
        int r;

        r = read_input(path, 0, &text, &len);
        if (r < 0)
                return input_failed(path, r);
        const struct crontab_opts opts = {
                .mode = mode,
                .seed = table_seed(path),
                .zone_check = zone_check,
        };
        r = crontab_parse(text, len, &opts, &t, &diags);
        print_diags(&diags, shown, text, len);
        if (r == -ENOMEM) {
                fprintf(stderr, "%s: error: out of memory\n", shown);
                diag_list_done(&diags);
                return EXIT_IO;
        }
        if (r < 0)
                fprintf(stderr, "%s: %zu error%s, %zu warning%s; the table would be refused\n", shown, diags.n_errors,
                        diags.n_errors == 1 ? "" : "s", diags.n_warnings, diags.n_warnings == 1 ? "" : "s");
        else
                printf("%s: valid, %zu entr%s, %zu environment line%s, %zu warning%s\n", shown, t->n_entries,
                       t->n_entries == 1 ? "y" : "ies", t->n_env, t->n_env == 1 ? "" : "s", diags.n_warnings,
                       diags.n_warnings == 1 ? "" : "s");
        diag_list_done(&diags);
        return r < 0 ? EXIT_INVALID : EXIT_OK;
}

int cmd_check(int argc, char **argv) {
        static const struct option longopts[] = {
                { "system", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        enum crontab_mode mode = CRONTAB_USER;
        int c, worst = EXIT_OK;

        while ((c = getopt_long(argc, argv, "sh", longopts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        mode = CRONTAB_SYSTEM;
                        break;
                case 'h':
                        printf("usage: tockctl check [--system] FILE...   ('-' reads standard input)\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage_error("check", "no file given");
                return EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++) {
                int r = check_one(argv[i], mode);
                if (r > worst)
                        worst = r;
        }
        return worst;
}
