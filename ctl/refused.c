/* ctl/refused.c: the tables tockd refused as they are on disk, told after `status` and `list`.
 *
 * A table written behind tockd's back (Debian's crontab before the switch, an editor in
 * /etc/cron.d) may be one tockd refuses: the file says one thing and tockd runs the version
 * before it, or nothing. tockctl asks tockd (REFUSED) and says so with tockd's first error, in
 * the words of proto_refusal_text(). A tockd older than REFUSED closes the connection without an
 * answer: then nothing is said, and the command's own result stands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

int refused_fetch(const char *user, struct proto_refused *ret) {
        struct client c = { .fd = -1 };
        struct proto_buf req = {};
        struct reply rep = {};
        int r;

        proto_put_request(&req, PROTO_REFUSED, &(struct proto_request) { .user = (char *) user });
        r = proto_finish(&req);
        if (r >= 0)
                r = client_connect(&c);
        if (r >= 0)
                r = client_send(&c, &req, NULL, 0);
        if (r >= 0)
                r = client_recv(&c, false, &rep);
        client_close(&c);
        proto_buf_done(&req);
        if (r < 0)
                return r;
        if (rep.type != PROTO_REFUSED_REPLY)
                r = rep.type == PROTO_ERROR ? rep.error : -EBADMSG;
        else
                r = proto_get_refused(&rep.r, ret);
        reply_done(&rep);
        return r;
}

/* "your table", "the table of USER": whose table a user's refusal is, as asked */
static char *lead_for(const char *user) {
        return user ? strdup_printf("the table of %s on disk was refused", user)
                    : strdup("your table on disk was refused");
}

int refused_print_one(FILE *f, const struct proto_refusal *u, const char *user) {
        _cleanup_free_ char *lead = lead_for(user), *s = lead ? proto_refusal_text(u, lead) : NULL;

        if (!s)
                return -ENOMEM;
        put_safe(f, s, false);
        fputc('\n', f);
        return 0;
}

int refused_print(FILE *f, const struct proto_refused *x, const char *user, bool all) {
        int r = 0;

        if (x->total == 0)
                return 0;
        if (!all) {
                for (size_t i = 0; i < x->n && r == 0; i++)
                        r = refused_print_one(f, &x->v[i], user);
                return r;
        }
        fprintf(f, "%u table%s refused as on disk (tockd runs the version in force, if any):\n", x->total,
                x->total == 1 ? "" : "s");
        for (size_t i = 0; i < x->n; i++) {
                _cleanup_free_ char *s = proto_refusal_text(&x->v[i], NULL);
                if (!s)
                        return -ENOMEM;
                fputs("  ", f);
                put_safe(f, s, false);
                fputc('\n', f);
        }
        if (x->total > x->n)
                fprintf(f, "  and %zu more (tockd's log has them)\n", (size_t) x->total - x->n);
        return 0;
}

void refused_json(struct json *j, const char *key, const struct proto_refused *x) {
        json_open(j, key, '[');
        for (size_t i = 0; i < x->n; i++) {
                const struct proto_refusal *u = &x->v[i];
                json_open(j, NULL, '{');
                json_string(j, "table", u->table);
                json_string(j, "user", *u->user ? u->user : NULL);
                if (u->line)
                        json_int(j, "line", u->line);
                else
                        json_null(j, "line");
                if (u->col)
                        json_int(j, "col", u->col);
                else
                        json_null(j, "col");
                json_string(j, "reason", u->reason);
                json_int(j, "more_errors", u->more);
                json_bool(j, "in_force", u->in_force != 0);
                json_int(j, "jobs_in_force", u->jobs);
                json_close(j);
        }
        json_close(j);
}

void refused_note(const char *user) {
        struct proto_refused x = {};
        char me[256];

        /* named, so that root gets its own table's refusal, not every one */
        if (refused_fetch(user ? user : caller_name(me, sizeof me), &x) == 0 && x.n)
                (void) refused_print_one(stderr, &x.v[0], user);
        proto_refused_done(&x);
}
