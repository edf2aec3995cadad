/* ctl/cmd-install.c: tockctl install [-u USER] [--json] FILE|-
 *
 * Sends a table to tockd, which checks it with the same parser as `tockctl check` and either
 * installs it whole or refuses it whole with every problem (DIAGS). */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static void json_diags(const struct diag_list *l, const char *file) {
        struct json j = { .f = stdout };

        json_open(&j, NULL, '{');
        json_bool(&j, "installed", false);
        json_string(&j, "file", file);
        json_int(&j, "errors", (int64_t) l->n_errors);
        json_int(&j, "warnings", (int64_t) l->n_warnings);
        json_open(&j, "diagnostics", '[');
        for (size_t i = 0; i < l->n; i++) {
                const struct diag *d = &l->items[i];
                json_open(&j, NULL, '{');
                json_string(&j, "severity", diag_severity_to_string(d->severity));
                json_int(&j, "line", d->line);
                json_int(&j, "column", d->col);
                json_string(&j, "message", d->msg);
                json_close(&j);
        }
        json_close(&j);
        json_close(&j);
}

int print_diags_reply(const char *cmd, struct reply *rep, const char *file, bool json) {
        struct proto_diags g = {};
        int r;

        r = proto_get_diags(&rep->r, &g);
        if (r == -ENOMEM) {
                fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
                return EXIT_IO;
        }
        if (r < 0)
                return reply_malformed(cmd, rep);
        if (json) {
                json_diags(&g.list, file);
        } else {
                const struct diag_list *l = &g.list;
                /* the messages come from tockd's parser; diag_format() keeps terminal escapes out */
                print_diags(l, file, g.text, strlen(g.text));
                fprintf(stderr, "%s: %zu error%s, %zu warning%s; tockd refused the table and kept the one it had\n",
                        file, l->n_errors, l->n_errors == 1 ? "" : "s", l->n_warnings, l->n_warnings == 1 ? "" : "s");
        }
        proto_diags_done(&g);
        return EXIT_INVALID;
}

bool table_has_nul(const char *shown, const char *text, size_t len) {
        const struct crontab_opts opts = { .mode = CRONTAB_USER };
        struct crontab *t = NULL;
        struct diag_list l = {};

        if (!memchr(text, 0, len))
                return false;
        (void) crontab_parse(text, len, &opts, &t, &l);
        print_diags(&l, shown, text, len);
        fprintf(stderr, "%s: the table has a NUL byte; nothing was sent to tockd\n", shown);
        crontab_free(t);
        diag_list_done(&l);
        return true;
}

int cmd_install(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "install",
                .usage = "install [-u USER] [--json] FILE   ('-' reads standard input)",
                .takes = TAKES_USER | TAKES_JSON,
                .operand = "file",
        };
        _cleanup_free_ char *text = NULL, *msg = NULL;
        struct proto_buf req = {};
        struct reply rep = {};
        const char *user, *path, *shown;
        struct cmd_opts o;
        bool json;
        size_t len;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        user = o.user;
        json = o.json;
        path = o.arg;
        shown = streq(path, "-") ? "<stdin>" : path;
        r = read_input(path, 0, &text, &len);
        if (r < 0)
                return input_failed(path, r);
        if (table_has_nul(shown, text, len))
                return EXIT_INVALID;
        if (offline_possible())
                return offline_install(user, text, len, shown, json, false);
        proto_put_request(&req, PROTO_INSTALL, &(struct proto_request) { .user = (char *) user, .text = text, .text_len = len });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type == PROTO_DIAGS)
                r = print_diags_reply("install", &rep, shown, json);
        else
                r = reply_ok_string("install", &rep, &msg);
        reply_done(&rep);
        if (r != EXIT_OK)
                return r;
        if (json) {
                struct json j = { .f = stdout };
                json_open(&j, NULL, '{');
                json_bool(&j, "installed", true);
                json_string(&j, "message", msg);
                json_close(&j);
        } else {
                put_safe(stdout, msg, true);
                if (*msg && msg[strlen(msg) - 1] != '\n')
                        fputc('\n', stdout);
        }
        return EXIT_OK;
}
