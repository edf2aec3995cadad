/* tests/unit/test_diag.c: collecting diagnostics and formatting them the way compilers do. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "util.h"

static void diag_list_donep(struct diag_list *l) {
        diag_list_done(l);
}
#define _cleanup_diags_ _cleanup_(diag_list_donep)

/* ---- diag_add ------------------------------------------------------------------------------ */

Test(diag, add_keeps_each_message_with_its_position_and_counts_it_by_severity) {
        _cleanup_diags_ struct diag_list l = {};

        cr_assert_eq(diag_add(&l, DIAG_ERROR, 3, 7, "minute %d is out of range %s", 61, "0-59"), 0);
        cr_assert_eq(diag_add(&l, DIAG_WARNING, 4, 0, "w"), 0);
        cr_assert_eq(diag_add(&l, DIAG_NOTE, 0, 0, "n"), 0);
        cr_assert_eq(l.n, 3);
        cr_assert_eq(l.n_errors, 1);
        cr_assert_eq(l.n_warnings, 1);
        cr_assert_eq(l.n_dropped, 0);
        cr_assert_eq(l.items[0].severity, DIAG_ERROR);
        cr_assert_eq(l.items[0].line, 3);
        cr_assert_eq(l.items[0].col, 7);
        cr_assert_str_eq(l.items[0].msg, "minute 61 is out of range 0-59");
        cr_assert_eq(l.items[1].severity, DIAG_WARNING);
        cr_assert_eq(l.items[2].severity, DIAG_NOTE);
}

Test(diag, messages_past_diag_max_are_dropped_but_still_counted) {
        _cleanup_diags_ struct diag_list l = {};

        for (int i = 0; i < DIAG_MAX + 5; i++)
                cr_assert_eq(diag_add(&l, DIAG_ERROR, (unsigned) i + 1, 1, "e%d", i), 0);
        cr_assert_eq(diag_add(&l, DIAG_WARNING, 1, 1, "late warning"), 0);
        cr_assert_eq(diag_add(&l, DIAG_NOTE, 1, 1, "late note"), 0);
        cr_assert_eq(l.n, DIAG_MAX);
        cr_assert_eq(l.n_dropped, 7);
        cr_assert_eq(l.n_errors, DIAG_MAX + 5);
        cr_assert_eq(l.n_warnings, 1);
        cr_assert_str_eq(l.items[DIAG_MAX - 1].msg, "e999");
}

Test(diag, list_done_frees_and_resets_the_list_for_reuse) {
        struct diag_list l = {};

        cr_assert_eq(diag_add(&l, DIAG_ERROR, 1, 1, "x"), 0);
        diag_list_done(&l);
        cr_assert_null(l.items);
        cr_assert_eq(l.n + l.cap + l.n_errors + l.n_warnings + l.n_dropped, 0);
        cr_assert_eq(diag_add(&l, DIAG_WARNING, 1, 1, "y"), 0);
        cr_assert_eq(l.n, 1);
        cr_assert_eq(l.n_warnings, 1);
        diag_list_done(&l);
}

Test(diag, severities_have_the_names_compilers_use) {
        cr_assert_str_eq(diag_severity_to_string(DIAG_ERROR), "error");
        cr_assert_str_eq(diag_severity_to_string(DIAG_WARNING), "warning");
        cr_assert_str_eq(diag_severity_to_string(DIAG_NOTE), "note");
        cr_assert_str_eq(diag_severity_to_string((enum diag_severity) 42), "?");
}

/* ---- diag_format --------------------------------------------------------------------------- */

struct format_case {
        const char *what;
        struct diag d;
        const char *file;
        const char *text; /* NULL: no source */
        const char *want;
};

static void check_format(const struct format_case *c) {
        _cleanup_free_ char *got = diag_format(&c->d, c->file, c->text, c->text ? strlen(c->text) : 0);

        cr_assert_not_null(got, "%s: diag_format returned NULL", c->what);
        cr_expect_str_eq(got, c->want, "%s:\n--- got\n%s--- want\n%s", c->what, got, c->want);
}

Test(diag, format_shows_file_line_col_severity_the_source_line_and_a_caret) {
        static const struct format_case cases[] = {
                { "caret under column 5", { DIAG_ERROR, 2, 5, (char *) "bad" }, "t.cron", "first\n0 0 1 * fri x\n",
                  "t.cron:2:5: error: bad\n    0 0 1 * fri x\n        ^\n" },
                { "column 1", { DIAG_WARNING, 1, 1, (char *) "w" }, "a", "61 * * * * x\n",
                  "a:1:1: warning: w\n    61 * * * * x\n    ^\n" },
                { "caret just past the end of the line", { DIAG_WARNING, 1, 4, (char *) "eol" }, "a", "abc",
                  "a:1:4: warning: eol\n    abc\n       ^\n" },
                { "note", { DIAG_NOTE, 1, 2, (char *) "n" }, "f", "xy\n", "f:1:2: note: n\n    xy\n     ^\n" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_format(&cases[i]);
}

Test(diag, format_keeps_tabs_before_the_caret_so_it_lines_up) {
        static const struct format_case c = { "tabs", { DIAG_ERROR, 1, 5, (char *) "m" }, "f", "\t*\t*x\n",
                                              "f:1:5: error: m\n    \t*\t*x\n    \t \t ^\n" };
        check_format(&c);
}

Test(diag, format_shows_control_characters_as_question_marks) {
        static const struct format_case c = { "escape and DEL", { DIAG_ERROR, 1, 1, (char *) "m" }, "f",
                                              "a\x1b[31m\x7f\x01z\n", "f:1:1: error: m\n    a?[31m??z\n    ^\n" };
        check_format(&c);
}

Test(diag, format_keeps_bytes_above_ascii_as_they_are) {
        static const struct format_case c = { "utf-8", { DIAG_ERROR, 1, 1, (char *) "m" }, "f", "\xc3\xa9t\xc3\xa9\n",
                                              "f:1:1: error: m\n    \xc3\xa9t\xc3\xa9\n    ^\n" };
        check_format(&c);
}

Test(diag, format_shows_crlf_lines_without_the_carriage_return) {
        static const struct format_case c = { "crlf", { DIAG_ERROR, 2, 3, (char *) "m" }, "f", "one\r\ntwo\r\nthree\r\n",
                                              "f:2:3: error: m\n    two\n      ^\n" };
        check_format(&c);
}

Test(diag, format_of_line_0_names_only_the_file_and_shows_no_source) {
        static const struct format_case c = { "line 0", { DIAG_ERROR, 0, 0, (char *) "the table is too big" }, "big.cron",
                                              "abc\n", "big.cron: error: the table is too big\n" };
        check_format(&c);
}

Test(diag, format_of_column_0_shows_the_line_without_a_caret) {
        static const struct format_case c = { "col 0", { DIAG_WARNING, 2, 0, (char *) "whole line" }, "f", "a\nbcd\n",
                                              "f:2: warning: whole line\n    bcd\n" };
        check_format(&c);
}

Test(diag, format_without_file_or_text_prints_a_dash_and_no_source) {
        static const struct format_case c = { "no file, no text", { DIAG_ERROR, 1, 1, (char *) "m" }, NULL, NULL,
                                              "-:1:1: error: m\n" };
        check_format(&c);
}

Test(diag, format_of_a_line_past_the_end_of_the_text_shows_no_source) {
        static const struct format_case cases[] = {
                { "line 3 of 2", { DIAG_ERROR, 3, 1, (char *) "m" }, "f", "a\nb\n", "f:3:1: error: m\n" },
                { "empty text", { DIAG_ERROR, 1, 1, (char *) "m" }, "f", "", "f:1:1: error: m\n" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_format(&cases[i]);
}

Test(diag, format_shows_no_caret_for_a_column_beyond_the_line) {
        static const struct format_case c = { "col 6 of 3", { DIAG_ERROR, 1, 6, (char *) "m" }, "f", "abc\n",
                                              "f:1:6: error: m\n    abc\n" };
        check_format(&c);
}

Test(diag, format_cuts_long_source_lines_at_512_bytes) {
        char text[1100], want[1200];
        struct diag d = { DIAG_ERROR, 1, 600, (char *) "m" };
        _cleanup_free_ char *got = NULL;

        memset(text, 'x', 1000);
        strcpy(text + 1000, "\n");
        snprintf(want, sizeof want, "f:1:600: error: m\n    %.512s...\n", text);
        got = diag_format(&d, "f", text, strlen(text));
        cr_assert_not_null(got);
        cr_assert_str_eq(got, want, "a caret past the cut is not drawn");

        free(got);
        d.col = 513;
        got = diag_format(&d, "f", text, strlen(text));
        cr_assert_not_null(got);
        cr_assert(strstr(got, "...\n    ") && strlen(got) > 4 && strcmp(got + strlen(got) - 2, "^\n") == 0,
                  "a caret at column 513 is drawn: %s", got);
}

Test(diag, format_shows_a_line_of_exactly_512_bytes_whole_and_cuts_one_of_513) {
        char text[600];
        struct diag d = { DIAG_ERROR, 1, 0, (char *) "m" };

        memset(text, 'y', sizeof text);
        text[512] = '\n';
        _cleanup_free_ char *whole = diag_format(&d, "f", text, 513);
        text[512] = 'y';
        text[513] = '\n';
        _cleanup_free_ char *cut = diag_format(&d, "f", text, 514);

        cr_assert_not_null(whole);
        cr_assert_not_null(cut);
        cr_expect_eq(strlen(whole), strlen("f:1: error: m\n    \n") + 512, "%s", whole);
        cr_expect_null(strstr(whole, "..."));
        cr_expect_eq(strlen(cut), strlen("f:1: error: m\n    ...\n") + 512, "%s", cut);
        cr_expect_not_null(strstr(cut, "y...\n"));
}
