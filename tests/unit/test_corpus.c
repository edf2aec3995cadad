/* tests/unit/test_corpus.c: real-world crontab lines against Debian's verdicts.
 *
 * ../shared/corpus/crontab-lines (or $TOCK_CORPUS) holds 996 one-line tables and expected.tsv
 * with what Debian's cron says of each. tock must agree with every counted verdict, except the
 * deviations listed here and in README.md ("Where tock differs"). For the "quirk" cases, which
 * Debian accepts by accident, tock must give the intended verdict, again apart from the list. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "crontab.h"
#include "util.h"

struct deviation {
        const char *category; /* substring of the category column, or the case's file name */
        const char *tock;     /* tock's verdict */
        const char *why;
};

static const struct deviation deviations[] = {
        { "no-newline-at-eof", "valid",
          "Debian's crontab refuses a last line without a newline; tock reads it and warns" },
        { "cronie random '~'", "valid", "'~' is cronie's and OpenBSD's random value; Debian lacks it" },
        { "reversed range ending at 0", "valid", "'5-0' in day-of-week is Friday to Sunday, as in cronie" },
        /* Debian accepts a reversed range and never runs it; cronie and tock refuse it. These two
         * carry "23-7/2" (from dcron's manual, where ranges wrap) and so are refused. */
        { "u0061.cron", "invalid", "reversed range 23-7 refused, as cronie does" },
        { "u0770.cron", "invalid", "reversed range 23-7 refused, as cronie does" },
};

static const char *corpus_dir(void) {
        const char *d = getenv("TOCK_CORPUS");
        return d && *d ? d : "../shared/corpus/crontab-lines";
}

static char *read_file(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t cap = 0, len = 0, k;

        if (!f)
                return NULL;
        do {
                if (len + 4096 > cap) {
                        cap = (cap + 4096) * 2;
                        buf = realloc(buf, cap);
                        cr_assert_not_null(buf);
                }
                k = fread(buf + len, 1, cap - len - 1, f);
                len += k;
        } while (k > 0);
        fclose(f);
        buf[len] = 0;
        *ret_len = len;
        return buf;
}

static const struct deviation *deviation_for(const char *file, const char *category) {
        for (size_t i = 0; i < ELEMENTSOF(deviations); i++)
                if (streq(file, deviations[i].category))
                        return &deviations[i];
        for (size_t i = 0; i < ELEMENTSOF(deviations); i++)
                if (strstr(category, deviations[i].category))
                        return &deviations[i];
        return NULL;
}

Test(corpus, agrees_with_every_counted_debian_verdict) {
        char path[4096], line[8192];
        size_t checked = 0, deviated = 0, failures = 0;
        FILE *tsv;

        snprintf(path, sizeof path, "%s/expected.tsv", corpus_dir());
        tsv = fopen(path, "re");
        if (!tsv) {
                if (getenv("CI"))
                        cr_assert_fail("corpus not found at %s (set TOCK_CORPUS)", path);
                cr_skip_test("corpus not found at %s (set TOCK_CORPUS to run this test)", path);
        }
        while (fgets(line, sizeof line, tsv)) {
                char *cols[8] = {}, *save = NULL, *p = line;
                int n = 0;

                if (line[0] == '#')
                        continue;
                line[strcspn(line, "\n")] = 0;
                /* strsep keeps empty columns */
                while (n < 8 && (cols[n] = strsep(&p, "\t")))
                        n++;
                (void) save;
                cr_assert_geq(n, 7, "short row in expected.tsv: %s", line);
                const char *file = cols[0], *mode = cols[1], *debian = cols[2], *intended = cols[3],
                           *counted = cols[4], *category = cols[5];
                const char *want;
                const struct deviation *dev = deviation_for(file, category);

                if (streq(counted, "yes"))
                        want = debian;
                else if (streq(counted, "quirk"))
                        want = intended;
                else
                        continue; /* ambiguous: depends on the checking machine's users */
                if (dev && !streq(want, dev->tock)) {
                        want = dev->tock;
                        deviated++;
                }

                size_t len;
                char fpath[4096];
                snprintf(fpath, sizeof fpath, "%s/cases/%s", corpus_dir(), file);
                char *text = read_file(fpath, &len);
                cr_assert_not_null(text, "cannot read %s", fpath);

                struct crontab_opts opts = { .mode = streq(mode, "system") ? CRONTAB_SYSTEM : CRONTAB_USER, .seed = 1 };
                struct crontab *t = NULL;
                struct diag_list diags = {};
                int r = crontab_parse(text, len, &opts, &t, &diags);
                const char *got = r == 0 ? "valid" : "invalid";

                cr_assert(r == 0 || r == -EINVAL, "%s: parse returned %d", file, r);
                if (!streq(got, want)) {
                        failures++;
                        cr_log_error("%s (%s, %s): tock says %s, expected %s; first message: %s", file, mode, category, got,
                                     want, diags.n ? diags.items[0].msg : "(none)");
                }
                /* an invalid table always says why, with a position */
                if (r < 0)
                        cr_expect(diags.n_errors > 0 && diags.items[0].line > 0, "%s: refused without a message", file);
                checked++;
                crontab_free(t);
                diag_list_done(&diags);
                free(text);
        }
        fclose(tsv);
        cr_log_info("corpus: %zu cases checked, %zu by a documented deviation", checked, deviated);
        cr_assert_gt(checked, 900, "only %zu corpus cases were checked", checked);
        cr_assert_eq(failures, 0, "%zu corpus cases disagree (see above)", failures);
}
