/* ctl/cmd-edit.c: tockctl edit [-u USER], and `crontab -e`
 *
 * Copies the table into a private temporary file, runs the user's editor on it, and installs
 * what was saved. A table tockd refuses is shown with every problem and the user is asked
 * whether to edit it again; the edit is never lost without the user saying so. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "readfile.h"
#include "util.h"

/* What each command line says; crontab's words are cronie's and Debian's, for people and
 * scripts used to them. */
struct edit_words {
        const char *cmd;        /* for "tockctl edit: ..." prefixes */
        const char *me;         /* what messages start with */
        bool say_empty;         /* "no crontab for USER - using an empty one" */
        const char *unchanged;
        const char *installing; /* before sending; NULL: nothing */
        const char *refused;    /* after the diagnostics; NULL: nothing */
        const char *question;
        const char *kept;       /* followed by the file's path */
        const char *discarded;  /* the user answered no; NULL: keep the file, say `kept` */
};

static const struct edit_words words[] = {
        [EDIT_TOCKCTL] = {
                .cmd = "edit",
                .me = "tockctl edit",
                .unchanged = "no changes made to the table",
                .question = "Errors in the table; edit again? (y/n) ",
                .kept = "tockctl edit: your edit is kept in ",
                .discarded = "tockctl edit: nothing installed",
        },
        [EDIT_CRONTAB] = {
                .me = "crontab",
                .say_empty = true,
                .unchanged = "No modification made",
                .installing = "crontab: installing new crontab",
                .refused = "errors in crontab file, can't install.",
                .question = "Do you want to retry the same edit? (y/n) ",
                .kept = "crontab: edits left in ",
        },
};

struct edit {
        const struct edit_words *w;
        const char *user;       /* as sent: NULL for the caller */
        char path[4096];        /* the temporary file */
        char *orig;             /* the table as it was */
        size_t orig_len;
        char *text;             /* the table as saved */
        size_t len;
};

static const char *pick_editor(void) {
        const char *e = getenv("VISUAL");

        if (!e || !*e)
                e = getenv("EDITOR");
        if (!e || !*e)
                e = access("/usr/bin/sensible-editor", X_OK) == 0 ? "/usr/bin/sensible-editor" : "vi";
        return e;
}

/* LIST into e->orig; a user without a table starts from an empty file. */
static int fetch(struct edit *e, const char *shown_user) {
        struct proto_buf req = {};
        struct reply rep = {};
        int r;

        proto_put_request(&req, PROTO_LIST, &(struct proto_request) { .user = (char *) e->user });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type == PROTO_ERROR && rep.error == -ENOENT) {
                if (e->w->say_empty)
                        fprintf(stderr, "no crontab for %s - using an empty one\n", shown_user);
                e->orig = strdup("");
                r = e->orig ? EXIT_OK : EXIT_IO;
        } else {
                r = reply_ok_string(e->w->cmd, &rep, &e->orig);
        }
        reply_done(&rep);
        if (r == EXIT_OK)
                e->orig_len = strlen(e->orig);
        return r;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* A private file named crontab.XXXXXX, so that editors recognize it (vim's filetype and its
 * backupskip for crontab -e match that name). mkostemp() creates it 0600. */
static int make_temp(struct edit *e) {
        const char *dir = getenv("TMPDIR");
        _cleanup_close_ int fd = -1;
        int r;

        if (!dir || !*dir)
                dir = "/tmp";
        if ((size_t) snprintf(e->path, sizeof e->path, "%s/crontab.XXXXXX", dir) >= sizeof e->path)
                return -ENAMETOOLONG;
        fd = mkostemp(e->path, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                e->path[0] = 0;
                return r;
        }
        r = write_all(fd, e->orig, e->orig_len);
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        return r;
}

/* Runs `sh -c '$EDITOR "$1"' sh FILE`, as crontab does, so that EDITOR may hold arguments
 * ("code --wait"). tockctl ignores ^C and ^\ meanwhile; the editor gets them. Returns the
 * wait status, or a negative errno when it could not be started. (Not posix_spawn(): its
 * header includes <sched.h>, which common/sched.h shadows.) */
static int run_editor(const char *editor, const char *path) {
        struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
        _cleanup_free_ char *script = NULL;
        pid_t pid;
        int r = 0, status = 0;

        script = strdup_printf("%s \"$1\"", editor);
        if (!script)
                return -ENOMEM;
        char *const argv[] = { (char *) "sh", (char *) "-c", script, (char *) "sh", (char *) path, NULL };
        fflush(NULL);
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        pid = fork();
        if (pid == 0) {
                /* only async-signal-safe calls from here to exec */
                signal(SIGINT, SIG_DFL);
                signal(SIGQUIT, SIG_DFL);
                execve("/bin/sh", argv, environ);
                _exit(127);
        }
        if (pid < 0)
                r = errno;
        else
                while (waitpid(pid, &status, 0) < 0)
                        if (errno != EINTR) {
                                r = errno;
                                break;
                        }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return r != 0 ? -r : status;
}

/* Reads the saved file back: still a regular file of ours, not a link put in its place. */
static int read_back(struct edit *e) {
        free(e->text);
        e->text = NULL;
        return read_input(e->path, INPUT_OURS, &e->text, &e->len);
}

static bool unchanged(const struct edit *e) {
        return e->len == e->orig_len && memcmp(e->text, e->orig, e->len) == 0;
}

enum step {
        STEP_DONE,     /* installed, or nothing to install: remove the file */
        STEP_REFUSED,  /* errors in the table: ask */
        STEP_FAILED,   /* could not install: keep the file */
};

/* INSTALL the saved text. Prints what happened; sets *ret_exit. */
static enum step install(struct edit *e, int *ret_exit) {
        _cleanup_free_ char *msg = NULL;
        struct proto_buf req = {};
        struct reply rep = {};
        int r;

        if (table_has_nul(e->path, e->text, e->len)) {
                *ret_exit = EXIT_INVALID;
                return STEP_REFUSED;
        }
        if (e->w->installing)
                fprintf(stderr, "%s\n", e->w->installing);
        proto_put_request(&req, PROTO_INSTALL,
                          &(struct proto_request) { .user = (char *) e->user, .text = e->text, .text_len = e->len });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK) {
                *ret_exit = r;
                return STEP_FAILED;
        }
        if (rep.type == PROTO_DIAGS) {
                r = print_diags_reply(e->w->cmd, &rep, e->path, false);
                reply_done(&rep);
                *ret_exit = r;
                if (r == EXIT_INVALID && e->w->refused)
                        fprintf(stderr, "%s\n", e->w->refused);
                return r == EXIT_INVALID ? STEP_REFUSED : STEP_FAILED;
        }
        r = reply_ok_string(e->w->cmd, &rep, &msg);
        reply_done(&rep);
        *ret_exit = r;
        if (r != EXIT_OK)
                return STEP_FAILED;
        if (e->w == &words[EDIT_TOCKCTL] && *msg) {
                put_safe(stdout, msg, true);
                if (msg[strlen(msg) - 1] != '\n')
                        fputc('\n', stdout);
        }
        return STEP_DONE;
}

static void keep(const struct edit *e) {
        fprintf(stderr, "%s%s\n", e->w->kept, e->path);
}

/* One round: edit, read back, install. Returns true to edit again; sets *ret_exit. */
static bool round_trip(struct edit *e, bool *ret_keep, int *ret_exit) {
        const char *editor = pick_editor();
        int status, r;

        *ret_keep = false;
        status = run_editor(editor, e->path);
        r = read_back(e);
        if (r < 0) {
                /* a table too large is still the user's work: it stays for another try */
                *ret_keep = r == -EFBIG;
                *ret_exit = input_failed(e->path, r);
                return false;
        }
        if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char how[WSTATUS_MAX];
                if (status < 0)
                        snprintf(how, sizeof how, "could not be started: %s", strerror(-status));
                else
                        format_wstatus(status, how);
                fprintf(stderr, "%s: the editor \"%s\" %s%s; nothing installed\n", e->w->me, editor,
                        status >= 0 ? "ended with " : "", how);
                *ret_keep = !unchanged(e);
                *ret_exit = EXIT_INVALID;
                return false;
        }
        if (unchanged(e)) {
                fprintf(stderr, "%s\n", e->w->unchanged);
                *ret_exit = EXIT_OK;
                return false;
        }
        switch (install(e, ret_exit)) {
        case STEP_DONE:
                return false;
        case STEP_FAILED:
                *ret_keep = true;
                return false;
        case STEP_REFUSED:
                break;
        }
        r = ask_yes_no(e->w->question, e->w == &words[EDIT_CRONTAB] ? stdout : stderr, true);
        if (r == 1)
                return true;
        *ret_exit = EXIT_INVALID;
        if (r < 0)
                fprintf(stderr, "%s: %s\n", e->w->me,
                        r == -ENXIO ? "no terminal to ask whether to edit again" : "no answer");
        *ret_keep = r < 0 || !e->w->discarded;
        if (!*ret_keep)
                fprintf(stderr, "%s\n", e->w->discarded);
        return false;
}

int edit_table(const char *user, const char *shown_user, enum edit_style style) {
        struct edit e = { .w = &words[style], .user = user };
        bool keep_file = false;
        int r, ret;

        ret = fetch(&e, shown_user);
        if (ret != EXIT_OK)
                goto out;
        r = make_temp(&e);
        if (r < 0) {
                fprintf(stderr, "%s: cannot create a temporary file in %s: %s\n", e.w->me,
                        e.path[0] ? e.path : "$TMPDIR", strerror(-r));
                ret = EXIT_IO;
                goto out;
        }
        while (round_trip(&e, &keep_file, &ret))
                ;
        if (keep_file)
                keep(&e);
out:
        if (e.path[0] && !keep_file)
                (void) unlink(e.path);
        free(e.orig);
        free(e.text);
        return ret;
}

int cmd_edit(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "edit",
                .usage = "edit [-u USER]   (runs $VISUAL, else $EDITOR, else sensible-editor or vi)",
                .takes = TAKES_USER,
        };
        struct cmd_opts o;
        char me[256];
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        return edit_table(o.user, o.user ? o.user : caller_name(me, sizeof me), EDIT_TOCKCTL);
}
