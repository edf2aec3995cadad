/* ctl/offline.c: installing a table with no tockd running, as root: an image build's
 * `RUN crontab /app/crontab`, first-boot provisioning. The table is checked with the same parser
 * tockd uses and written into the spool the way tockd writes it (the user's uid, group crontab
 * when it exists, mode 0600, atomically); tockd reads it when it starts. Nothing is kept for
 * `tockctl restore`: that is tockd's state. Anyone but root still needs tockd (exit 4). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"
#include "writefile.h"

/* The spool tockd reads: $TOCK_SPOOL, else Debian's (tockd.conf's paths.spool default). */
static const char *spool_dir(void) {
        const char *s = getenv("TOCK_SPOOL");
        return s && *s ? s : "/var/spool/cron/crontabs";
}

bool offline_possible(void) {
        struct client c = { .fd = -1 };
        int r;

        if (geteuid() != 0)
                return false;
        r = client_connect(&c);
        client_close(&c);
        return r == -ENOENT || r == -ECONNREFUSED;
}

/* mkdir -p, the spool itself as Debian's: 1730 root:crontab */
static int make_spool(const char *dir) {
        _cleanup_free_ char *p = strdup(dir);
        struct group *g;

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, 01730) < 0)
                return errno == EEXIST ? 0 : -errno;
        g = getgrnam("crontab");
        if (chmod(p, 01730) < 0 || (g && chown(p, 0, g->gr_gid) < 0))
                return -errno;
        return 0;
}

int offline_install(const char *user, const char *text, size_t len, const char *shown, bool json, bool quiet) {
        const struct crontab_opts opts = { .mode = CRONTAB_USER, .seed = table_seed(NULL), .zone_check = zone_check };
        _cleanup_(crontab_freep) struct crontab *t = NULL;
        struct diag_list diags = {};
        const char *me = program_invocation_short_name, *dir = spool_dir();
        struct passwd *pw = getpwnam(user && *user ? user : "root");
        struct group *g = getgrnam("crontab");
        int r;

        if (!pw) {
                fprintf(stderr, "%s: no such user '%s'\n", me, user);
                return EXIT_INVALID;
        }
        r = crontab_parse(text, len, &opts, &t, &diags);
        if (!json || r < 0)
                print_diags(&diags, shown, text, len);
        diag_list_done(&diags);
        if (r == -ENOMEM) {
                fprintf(stderr, "%s: out of memory\n", me);
                return EXIT_IO;
        }
        if (r < 0) {
                fprintf(stderr, "%s: refused with errors; nothing was installed\n", shown);
                return EXIT_INVALID;
        }
        _cleanup_free_ char *path = NULL;
        r = make_spool(dir);
        if (r >= 0 && asprintf(&path, "%s/%s", dir, pw->pw_name) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = write_atomic(path, text, len, pw->pw_uid, g ? g->gr_gid : pw->pw_gid, 0600);
        if (r < 0) {
                fprintf(stderr, "%s: cannot write the table of %s into %s: %s\n", me, pw->pw_name, dir, strerror(-r));
                return EXIT_IO;
        }
        if (json) {
                struct json j = { .f = stdout };
                json_open(&j, NULL, '{');
                json_bool(&j, "installed", true);
                json_bool(&j, "offline", true);
                json_string(&j, "user", pw->pw_name);
                json_int(&j, "entries", (int64_t) t->n_entries);
                json_close(&j);
        } else if (!quiet)
                printf("installed the table of %s: %zu entr%s (tockd is not running: it reads %s/%s when it starts)\n",
                       pw->pw_name, t->n_entries, t->n_entries == 1 ? "y" : "ies", dir, pw->pw_name);
        return EXIT_OK;
}
