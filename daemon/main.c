/* daemon/main.c: tockd's command line, set-up and shutdown (reload.c: the reload). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sd.h"
#include "tockd.h"
#include "tzdb.h"
#include "util.h"

static void help(void) {
        printf("usage: tockd [OPTIONS]\n"
               "\n"
               "The tock cron daemon: runs the jobs of /etc/crontab, /etc/cron.d and the users' tables.\n"
               "\n"
               "  -f, --foreground          stay in the foreground (under systemd)\n"
               "  -c, --config FILE         configuration file (default /etc/tock/tockd.conf)\n"
               "      --table FILE|DIR      run a user-format table (or each one in DIR) as tockd's own\n"
               "                            user; may be repeated. Without --crontab, --cron-d and\n"
               "                            --spool this is the container mode: foreground, logs on\n"
               "                            stdout, no system tables, socket, state, PAM or config\n"
               "                            file unless asked for (tockd(8))\n"
               "      --crontab FILE        the system table (\"\" disables it)\n"
               "      --cron-d DIR          directory of system tables (\"\" disables it)\n"
               "      --spool DIR           per-user tables (\"\" disables it)\n"
               "      --state-dir DIR       state directory\n"
               "      --socket PATH         the control socket (\"\" disables it)\n"
               "      --log-target TARGET   auto, journal, syslog, stderr or stdout\n"
               "      --log-level LEVEL     error, warning, info or debug\n"
               "      --log-format FORMAT   text or json (one object a line, on stdout)\n"
               "      --set SECTION.KEY=VALUE  any configuration key\n"
               "      --dump-config         print the configuration in force and exit\n"
               "  -h, --help, -V, --version\n"
               "\n"
               "SIGHUP reloads the configuration and every table; SIGTERM stops (see on_stop).\n");
}

static int add_override(struct daemon *d, const char *section, const char *key, const char *value) {
        char **v = reallocarray(d->argv_overrides, d->n_overrides + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        d->argv_overrides = v;
        if (asprintf(&v[d->n_overrides], "%s.%s=%s", section, key, value) < 0)
                return -ENOMEM;
        d->n_overrides++;
        return 0;
}

/* --table may be repeated: the paths go into paths.table, ':' between them */
static int add_table(char **tables, const char *path) {
        char *s;

        if (strchr(path, ':')) {
                fprintf(stderr, "tockd: --table: a path with ':' cannot be used: %s\n", path);
                return -EINVAL;
        }
        if (asprintf(&s, "%s%s%s", *tables ? *tables : "", *tables ? ":" : "", path) < 0)
                return -ENOMEM;
        free(*tables);
        *tables = s;
        return 0;
}

static int parse_args(struct daemon *d, int argc, char **argv, const char **ret_config, bool *ret_explicit,
                      bool *ret_dump) {
        static const struct option opts[] = {
                { "foreground", no_argument, NULL, 'f' },    { "config", required_argument, NULL, 'c' },
                { "table", required_argument, NULL, 'T' },   { "crontab", required_argument, NULL, 'C' },
                { "cron-d", required_argument, NULL, 'D' },  { "spool", required_argument, NULL, 'S' },
                { "state-dir", required_argument, NULL, 'P' }, { "log-target", required_argument, NULL, 'L' },
                { "log-level", required_argument, NULL, 'l' }, { "set", required_argument, NULL, 's' },
                { "dump-config", no_argument, NULL, 'd' },   { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },       { "socket", required_argument, NULL, 'k' },
                { "log-format", required_argument, NULL, 'F' },
                {},
        };
        _cleanup_free_ char *tables = NULL;
        bool system_tables = false;
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "fc:hV", opts, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        d->cfg.foreground = true;
                        break;
                case 'c':
                        *ret_config = optarg;
                        *ret_explicit = true;
                        break;
                case 'T':
                        r = add_table(&tables, optarg);
                        break;
                case 'C':
                        system_tables = true;
                        r = add_override(d, "paths", "crontab", optarg);
                        break;
                case 'D':
                        system_tables = true;
                        r = add_override(d, "paths", "cron_d", optarg);
                        break;
                case 'S':
                        system_tables = true;
                        r = add_override(d, "paths", "spool", optarg);
                        break;
                case 'P':
                        r = add_override(d, "paths", "state", optarg);
                        break;
                case 'k':
                        r = add_override(d, "paths", "socket", optarg);
                        break;
                case 'L':
                        r = add_override(d, "log", "target", optarg);
                        break;
                case 'l':
                        r = add_override(d, "log", "level", optarg);
                        break;
                case 'F':
                        r = add_override(d, "log", "format", optarg);
                        break;
                case 's': {
                        char *dot = strchr(optarg, '.'), *eq = strchr(optarg, '=');
                        if (!dot || !eq || dot > eq) {
                                fprintf(stderr, "tockd: --set takes SECTION.KEY=VALUE\n");
                                return -EINVAL;
                        }
                        char **v = reallocarray(d->argv_overrides, d->n_overrides + 1, sizeof(*v));
                        if (!v || !(v[d->n_overrides] = strdup(optarg)))
                                return -ENOMEM;
                        d->argv_overrides = v;
                        d->n_overrides++;
                        break;
                }
                case 'd':
                        *ret_dump = true;
                        break;
                case 'h':
                        help();
                        exit(0);
                case 'V':
                        printf("tockd %s\n", TOCK_VERSION);
                        exit(0);
                default:
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (optind < argc) {
                fprintf(stderr, "tockd: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (!tables)
                return 0;
        /* tockd --table FILE with no system table named is the container mode (tockd(8)) */
        d->container = !system_tables;
        return add_override(d, "paths", "table", tables);
}

static int setup_fds(struct daemon *d) {
        if (loop_setup(d) < 0 || dispatch_setup(d) < 0 || watch_open(d) < 0 || timers_setup(d) < 0)
                return log_errno(errno, "cannot set up the event loop");
        return 0;
}

/* One tockd per state directory: a second one on the same tables would run every job twice (a
 * live control socket stops it too, but the socket can be disabled). The lock file holds the pid
 * of the tockd that has it; the lock goes with that process. */
static int state_lock(struct daemon *d) {
        _cleanup_free_ char *path = NULL;
        char pid[32];
        int fd;

        if (!*d->cfg.state_dir)
                return 0;
        (void) mkdir(d->cfg.state_dir, 0755);
        if (asprintf(&path, "%s/tockd.lock", d->cfg.state_dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
                log_warning_errno(-errno, "cannot open %s; a second tockd on this state directory would not be noticed", path);
                return 0;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int err = errno;
                ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
                close(fd);
                pid[k > 0 ? k : 0] = 0;
                pid[strcspn(pid, "\n")] = 0;
                if (err == EWOULDBLOCK)
                        return log_error("another tockd (pid %s) uses the state directory %s; not starting a second one",
                                         *pid ? pid : "unknown", d->cfg.state_dir),
                               -EBUSY;
                log_warning_errno(-err, "cannot lock %s; a second tockd on this state directory would not be noticed", path);
                return 0;
        }
        if (ftruncate(fd, 0) == 0)
                dprintf(fd, "%d\n", (int) getpid());
        d->lock_fd = fd;
        return 0;
}

static int daemonize(void) {
        pid_t pid = fork();
        int fd;

        if (pid < 0)
                return -errno;
        if (pid > 0)
                _exit(0);
        if (setsid() < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0)
                _exit(0);
        if (chdir("/") < 0)
                return -errno;
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
                dup2(fd, STDIN_FILENO);
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
                if (fd > 2)
                        close(fd);
        }
        return 0;
}

/* Each part of the daemon is torn down by its owner; the loop last, since the others take
 * their descriptors out of it. */
static void daemon_done(struct daemon *d) {
        catchup_done(d); /* writes what was written lazily */
        control_stop(d);
        access_lists_done(&d->access);
        runs_done(d);    /* capped ones included: never started, nothing to wait for */
        admit_done(d);
        fleet_done(d);   /* its sockets and timers leave the loop */
        users_done(&d->users);
        tables_done(d);
        dispatch_done(d);
        watch_done(d);
        timers_done(d);
        spawner_done(d); /* the spawner sees end of file and exits */
        loop_done(d);
        for (size_t i = 0; i < d->n_overrides; i++)
                free(d->argv_overrides[i]);
        free(d->argv_overrides);
        closep(&d->lock_fd); /* last: another tockd may start now */
        config_done(&d->cfg);
}

/* a burst of jobs holds a pipe per run: tockd takes every descriptor the system allows; the
 * spawner, forked already, keeps the usual limit and so do the jobs */
static void raise_nofile(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* Everything from the lock to "ready:", in the order that matters: the spawner is forked first,
 * while tockd is still small and holds few descriptors; tables are loaded before @reboot and
 * catch-up runs; the socket comes last, when there is something to answer about. */
static int daemon_start(struct daemon *d) {
        d->uid = geteuid();
        d->started_ns = now_mono_ns();
        if (state_lock(d) < 0)
                return -EBUSY;
        if (setup_fds(d) < 0 || spawner_start(d) < 0 || daemon_load_local_zone(d) < 0)
                return -EIO;
        if (fleet_init(d) < 0)
                return -ENOMEM;
        fleet_configure(d);
        raise_nofile();
        if (users_init_self(&d->users, d->uid, getegid()) < 0)
                return -ENOMEM;
        if (d->uid != 0)
                log_info("running as uid %u: jobs run as this user only", (unsigned) d->uid);
        spawn_pam_check(d);
        d->sched.last_real = now_real();
        d->started_at = d->sched.last_real;
        d->sched.last_boot_ns = now_boot_ns();
        watch_setup(d);
        catchup_load(d);
        tables_rescan(d);
        dispatch_reboot_jobs(d);
        catchup_startup(d, d->sched.last_real);
        /* without a socket tockd still runs every job (the error is logged); but another tockd
         * answering on it runs these same tables: two would run every job twice */
        if (control_start(d) == -EADDRINUSE)
                return -EADDRINUSE;
        if (dispatch_arm(d) < 0)
                return -EIO;
        d->ready = true;
        log_info("ready: %zu table%s, %zu job%s, local time zone %s", d->tables.n, d->tables.n == 1 ? "" : "s",
                 d->tables.n_jobs, d->tables.n_jobs == 1 ? "" : "s", tz_name(d->tables.local_zone));
        sd_notify_text("READY=1");
        dispatch_status(d);
        loop_start_watchdog(d);
        return 0;
}

int main(int argc, char **argv) {
        struct daemon d = { .loop.epoll_fd = -1, .loop.signal_io.fd = -1, .sched.timer_io.fd = -1, .watch.io.fd = -1,
                            .spawner.io.fd = -1, .control.listen_io.fd = -1, .timers.io.fd = -1,
                            .sched.armed_at = INT64_MAX, .lock_fd = -1 };
        const char *config_path = "/etc/tock/tockd.conf";
        bool explicit = false, dump = false, fg;
        int r;

        config_init(&d.cfg);
        catchup_init(&d);
        admit_init(&d);
        metrics_init(&d);
        if (parse_args(&d, argc, argv, &config_path, &explicit, &dump) < 0) {
                fprintf(stderr, "Try 'tockd --help'.\n");
                daemon_done(&d);
                return 2;
        }
        fg = d.cfg.foreground || d.container;
        if (d.container && !explicit)
                config_path = ""; /* an image's /etc/tock/tockd.conf is the system cron's */
        config_done(&d.cfg);
        if (!dump)
                thp_reexec(&d, argv, config_path, explicit);
        if (daemon_load_config(&d, &d.cfg, config_path, explicit) < 0) {
                daemon_done(&d);
                return 2;
        }
        d.cfg.foreground = fg;
        d.cfg.config_explicit = explicit;
        if (dump) {
                config_dump(&d.cfg, stdout);
                daemon_done(&d);
                return 0;
        }
        if (!fg && daemonize() < 0) {
                perror("tockd: cannot go to the background");
                daemon_done(&d);
                return 1;
        }
        log_setup(d.cfg.log_target, d.cfg.log_level, d.cfg.log_format);
        if (thp_active())
                log_debug("memory: glibc's malloc on transparent huge pages (tockd exec'd itself with glibc.malloc.hugetlb=1)");
        if (daemon_start(&d) < 0) {
                daemon_done(&d);
                return 1;
        }
        r = loop_run(&d);
        if (d.stop_killed)
                log_warning("stopped: a job did not end within the grace period (jobs.stop_timeout) and was killed");
        else
                log_info("stopped");
        daemon_done(&d);
        return r < 0 || d.stop_killed ? 1 : 0;
}
