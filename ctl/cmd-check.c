/* ctl/cmd-check.c: tockctl check [--system] [--cron-compat] FILE... */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

/* The offset of line `line` (1-based) in text, or len when the text is shorter. */
static size_t line_offset(const char *text, size_t len, unsigned line) {
        size_t off = 0;

        for (unsigned n = 1; n < line && off < len; n++) {
                const char *nl = memchr(text + off, '\n', len - off);
                off = nl ? (size_t) (nl - text) + 1 : len;
        }
        return off;
}

/* --cron-compat: what Debian's cron (3.0pl1, bookworm) would not read as tock does, as found in a
 * table tock accepts. That cron ignores a whole table at its first syntax error ("Syntax error,
 * this crontab file will be ignored", also for a missing final newline), and has no CRON_TZ.
 * An entry's schedule is its text as written, from the first non-blank of its line, so a column
 * is found from it. Returns the number of findings. */
static size_t cron_compat(const struct crontab *t, const char *text, size_t len, struct diag_list *diags) {
        size_t before = diags->n_errors + diags->n_warnings;

        for (size_t i = 0; i < t->n_env; i++)
                if (streq(t->env[i].name, "CRON_TZ"))
                        diag_add(diags, DIAG_WARNING, t->env[i].line, 0,
                                 "Debian's cron has no CRON_TZ: it would run the jobs below in the system's time zone");
        for (size_t i = 0; i < t->n_entries; i++) {
                const struct entry *e = &t->entries[i];
                const char *schedule = entry_schedule(t, e);
                size_t off = line_offset(text, len, e->line);
                unsigned col = 1;
                const char *tilde;

                while (off < len && (text[off] == ' ' || text[off] == '\t')) {
                        off++;
                        col++;
                }
                if (schedule[0] == '[')
                        diag_add(diags, DIAG_ERROR, e->line, col,
                                 "tock's per-job options: Debian's cron refuses this line, and so ignores the whole table");
                else if ((tilde = strchr(schedule, '~')))
                        diag_add(diags, DIAG_ERROR, e->line, col + (unsigned) (tilde - schedule),
                                 "a random value ('~'): Debian's cron refuses '~' alone (and ignores the whole table) "
                                 "and reads 'a~b' as 'a'");
        }
        if (len > 0 && text[len - 1] != '\n')
                diag_add(diags, DIAG_ERROR, 0, 0,
                         "no newline at the end: Debian's cron ignores the whole table");
        return diags->n_errors + diags->n_warnings - before;
}

static int check_one(const char *path, enum crontab_mode mode, bool compat) {
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
        if (r >= 0 && compat) {
                /* the parser's own warnings are not Debian's concern here: only the findings count */
                diag_list_done(&diags);
                diags = (struct diag_list) {};
                size_t n = cron_compat(t, text, len, &diags);
                print_diags(&diags, shown, text, len);
                if (n > 0)
                        fprintf(stderr, "%s: valid for tock, but Debian's cron would not run it as tock does (%zu problem%s)\n",
                                shown, n, n == 1 ? "" : "s");
                else
                        printf("%s: valid, and Debian's cron reads it as tock does\n", shown);
                diag_list_done(&diags);
                return n > 0 ? EXIT_INVALID : EXIT_OK;
        }
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
                { "cron-compat", no_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        enum crontab_mode mode = CRONTAB_USER;
        bool compat = false;
        int c, worst = EXIT_OK;

        while ((c = getopt_long(argc, argv, "sh", longopts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        mode = CRONTAB_SYSTEM;
                        break;
                case 'c':
                        compat = true;
                        break;
                case 'h':
                        printf("usage: tockctl check [--system] [--cron-compat] FILE...   ('-' reads standard input)\n"
                               "  --cron-compat  for a valid table, report instead what Debian's cron would not read as\n"
                               "                 tock does (per-job options, '~', CRON_TZ, no final newline); exit 1 if any\n");
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
                int r = check_one(argv[i], mode, compat);
                if (r > worst)
                        worst = r;
        }
        return worst;
}
