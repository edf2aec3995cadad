/* bench/bench.c: measurements of the schedule core, for `make bench` (bench/run.sh drives it).
 *
 *   bench next  [--row-time S]                 sched_next() beside a brute-force matcher
 *   bench parse [--row-time S] [--lines N]     crontab_parse() in-process on generated tables
 *   bench gen   --entries N FILE               writes the generated table tockctl and peers check
 *   bench time  [--repeat N] [--file F] [--log F] [--target] [--must-pass] LABEL -- CMD [ARG...]
 *                                              wall time of a whole command, run N times
 *   bench time-header                          the header line for `bench time` rows
 *   bench info                                 how this binary was built
 *
 * A figure of wrong code is worthless, so every measurement checks its answers first: next()
 * against the brute force and libc's zone functions, the parser against the table it was given.
 * A wrong answer exits 1; a slow one prints MISS and exits 0 (timing never fails a build). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crontab.h"
#include "sched.h"
#include "timefmt.h"
#include "tz.h"
#include "tzdb.h"
#include "util.h"

#define NS_PER_S 1000000000LL
#define TARGET_NEXT_NS 1000.0        /* the issue: under 1 µs per next(), zone conversion included */
#define TARGET_LINES_PER_S 1000000.0 /* the issue: over a million lines a second for check */

static double row_time_s = 0.2;  /* measuring time per row, after calibration */
static volatile int64_t bench_sink; /* results nobody reads, so that no call is optimised away */

static int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* "1234567" -> "1,234,567", for figures people read across a table. */
static const char *grouped(double v, char buf[static 32]) {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "%.0f", v), o = 0;

        for (int i = 0; i < n; i++) {
                if (i > 0 && tmp[i - 1] != '-' && (n - i) % 3 == 0)
                        buf[o++] = ',';
                buf[o++] = tmp[i];
        }
        buf[o] = 0;
        return buf;
}

static const char *span_str(int64_t s, char buf[static 16]) {
        if (s < 2 * 86400)
                snprintf(buf, 16, "%.1f h", s / 3600.0);
        else if (s < 400 * 86400)
                snprintf(buf, 16, "%.0f d", s / 86400.0);
        else
                snprintf(buf, 16, "%.1f y", s / (365.2425 * 86400));
        return buf;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *verdict(bool pass) {
        return pass ? "PASS" : "MISS";
}

/* ==== 1. sched_next() beside a brute-force matcher ==================================== */

static const char *const next_exprs[] = {
        "* * * * *",
        "*/5 * * * *",
        "0 3 * * *",
        "30 2 * * *",  /* skipped by spring forward in New York: runs at the change */
        "30 1 * * *",  /* repeated by fall back in New York and Lord Howe: runs once */
        "0 9 * * 1-5",
        "0 0 1 1 *",
        "0 0 29 2 *",
        "0 0 13 * 5",  /* both day fields restricted: the 13th OR a Friday */
        "*/15 9-17 * * mon-fri",
        "0 0 1,15 * *",
        "[sec:*/10] * * * * *",
        "5 4 * * sun",
};
static const char *const next_zones[] = { "UTC", "America/New_York", "Australia/Lord_Howe" };
static const int next_years[] = { 2026, 2150 }; /* 2150: past every zone's table, the TZ footer rules */

#define CHAIN_MAX 1000                 /* steps in a chain */
#define CHAIN_HORIZON (730LL * 86400) /* a chain ends with the first result this far past its start */
#define BRUTE_CAP_MIN (400LL * 1440)  /* the brute force gives up after 400 days of minutes */

struct next_row {
        const char *expr, *zone;
        int year;
        size_t steps, capped;
        int64_t span;
        double next_ns, brute_ns;
};

/* Whether the same wall time was on the clock less than SCHED_SMALL_JUMP before `at`, that is,
 * whether `at` is the second occurrence of a wall time repeated by a small fall back. */
static bool brute_repeated(const struct tz *z, int64_t at, int32_t off) {
        for (int64_t d = 60; d < SCHED_SMALL_JUMP; d += 60)
                if (tz_offset(z, at - d) - off == d)
                        return true;
        return false;
}

/* Whether a wall time that the change at `change` skipped (a spring forward by less than
 * SCHED_SMALL_JUMP) matches the schedule. */
static bool brute_skipped_match(const struct sched *s, int64_t change, int32_t before, int32_t after) {
        if (after <= before || after - before >= SCHED_SMALL_JUMP)
                return false;
        for (int64_t w = change + before; w < change + after; w += 60) {
                struct civil c;
                civil_from_secs(w, &c);
                c.sec = __builtin_ctzll(s->sec);
                if (sched_matches(s, &c))
                        return true;
        }
        return false;
}

/* The same question as sched_next(), answered the slow way, with cron(8)'s DST rule written out
 * from its description in sched.h rather than from sched.c: every wall-clock minute after
 * `after`, through tz_local() and sched_matches(). Offsets and changes are whole minutes from
 * 1970 on in tzdata, which lets it step by minutes; it checks that rather than assuming it.
 * Returns 0 and sets *ret_at; 1 when it gave up after `cap_min` minutes; -EINVAL (reported)
 * when the zone breaks that assumption. */
static int brute_next(const struct sched *s, int64_t after, const struct tz *z, int64_t cap_min, int64_t *ret_at) {
        bool fixed = sched_is_fixed_time(s);
        int32_t prev_off = tz_offset(z, after);
        int64_t end = after + 1 + cap_min * 60;

        for (int64_t t = after + 1; t < end;) {
                struct civil c;
                int32_t off = tz_local(z, t, &c);

                if (off % 60) {
                        fprintf(stderr, "bench: offset %d s in %s is not whole minutes\n", off, tz_name(z));
                        return -EINVAL;
                }
                if (off != prev_off) {
                        if (t % 60 || tz_offset(z, t - 1) != prev_off) {
                                fprintf(stderr, "bench: a change of offset in %s near %" PRId64 " is not on a minute\n",
                                        tz_name(z), t);
                                return -EINVAL;
                        }
                        /* cron(8): a fixed-time job whose time the spring forward skipped runs at the change */
                        if (fixed && brute_skipped_match(s, t, prev_off, off)) {
                                *ret_at = t;
                                return 0;
                        }
                        prev_off = off;
                }
                uint64_t secs = s->sec & (~0ULL << c.sec);
                if (secs) {
                        int sec0 = c.sec;
                        c.sec = __builtin_ctzll(secs);
                        int64_t at = t + (c.sec - sec0);
                        /* cron(8): a fixed-time job runs only at the first of two equal wall times */
                        if (sched_matches(s, &c) && !(fixed && brute_repeated(z, at, off))) {
                                *ret_at = at;
                                return 0;
                        }
                        c.sec = sec0;
                }
                t += 60 - c.sec;
        }
        return 1;
}

static void show_instant(const struct tz *z, const char *what, int64_t at) {
        char buf[TIMEFMT_ISO_MAX];
        timefmt_iso(z, at, buf);
        fprintf(stderr, "  %-10s %s (%" PRId64 ")\n", what, buf, at);
}

/* Checks tz_local() at `at` against glibc's localtime_r() (TZ is set to the zone's name). */
static int check_libc(const struct tz *z, int64_t at) {
        struct civil c;
        struct tm tm;
        time_t tt = (time_t) at;
        int32_t off = tz_local(z, at, &c);

        if (!localtime_r(&tt, &tm) || tm.tm_gmtoff != off || tm.tm_year + 1900 != c.year || tm.tm_mon + 1 != c.mon ||
            tm.tm_mday != c.mday || tm.tm_hour != c.hour || tm.tm_min != c.min || tm.tm_sec != c.sec) {
                fprintf(stderr, "bench: tz_local() and glibc disagree in %s at %" PRId64 ": offset %d vs %ld\n",
                        tz_name(z), at, off, (long) tm.tm_gmtoff);
                return -EINVAL;
        }
        return 0;
}

/* The reference chain: steps of sched_next() from `start`, each checked against the brute force
 * and glibc. Fills ret[] and the row's steps, capped and span. */
static int next_chain(const struct sched *s, const struct tz *z, int64_t start, int64_t ret[static CHAIN_MAX],
                      struct next_row *row) {
        int64_t at = start;

        row->steps = row->capped = 0;
        while (row->steps < CHAIN_MAX && (row->steps == 0 || at - start <= CHAIN_HORIZON)) {
                int64_t fast, slow;
                int r = sched_next(s, at, z, &fast), b;

                if (r < 0) {
                        fprintf(stderr, "bench: sched_next('%s', %s) failed: %s\n", row->expr, row->zone, strerror(-r));
                        show_instant(z, "after", at);
                        return -EINVAL;
                }
                b = brute_next(s, at, z, BRUTE_CAP_MIN, &slow);
                if (b < 0)
                        return b;
                /* capped: the brute force saw no fire time in its window, so next() must lie past
                 * it, and be a fire time itself (the brute force's first minute from there on) */
                if (b == 1) {
                        int64_t check;
                        if (fast >= at + 1 + BRUTE_CAP_MIN * 60 && brute_next(s, fast - 1, z, 1, &check) == 0 &&
                            check == fast)
                                slow = fast;
                        else
                                slow = INT64_MIN;
                }
                if (slow != fast) {
                        fprintf(stderr, "bench: sched_next() and the brute force disagree for '%s' in %s, step %zu:\n",
                                row->expr, row->zone, row->steps + 1);
                        show_instant(z, "after", at);
                        show_instant(z, "next()", fast);
                        if (b == 0)
                                show_instant(z, "brute", slow);
                        else
                                fprintf(stderr, "  brute      nothing within %lld days, and next() is %s\n",
                                        BRUTE_CAP_MIN / 1440, fast < at + 1 + BRUTE_CAP_MIN * 60 ? "within them"
                                                                                              : "no fire time");
                        return -EINVAL;
                }
                if (check_libc(z, fast) < 0)
                        return -EINVAL;
                row->capped += b == 1;
                ret[row->steps++] = at = fast;
        }
        row->span = at - start;
        return 0;
}

/* Runs the chain `reps` times with nothing but sched_next() in the loop; returns the last result. */
static int64_t next_run(const struct sched *s, const struct tz *z, int64_t start, size_t steps, size_t reps) {
        int64_t at = start;

        for (size_t k = 0; k < reps; k++) {
                at = start;
                for (size_t i = 0; i < steps; i++)
                        if (sched_next(s, at, z, &at) < 0)
                                return INT64_MIN;
        }
        return at;
}

/* ns per sched_next() call over whole chains: the best of NEXT_RUNS runs that take about
 * row_time_s together. The best, because on a shared machine noise only ever adds time. */
#define NEXT_RUNS 5
static int next_time(const struct sched *s, const struct tz *z, int64_t start, const int64_t *chain,
                     struct next_row *row) {
        size_t reps = 1;
        int64_t t0, dt;

        for (;;) { /* calibration: grow until a run takes 10 ms */
                t0 = now_ns();
                (void) next_run(s, z, start, row->steps, reps);
                dt = now_ns() - t0;
                if (dt >= 10000000 || reps > SIZE_MAX / 16)
                        break;
                reps *= dt < 1000000 ? 10 : 2;
        }
        reps = MAX((size_t) 1, (size_t) ((double) reps * row_time_s / NEXT_RUNS * NS_PER_S / (double) MAX(dt, 1)));
        row->next_ns = INFINITY;
        for (int k = 0; k < NEXT_RUNS; k++) {
                t0 = now_ns();
                int64_t last = next_run(s, z, start, row->steps, reps);
                dt = now_ns() - t0;
                if (last != chain[row->steps - 1]) {
                        fprintf(stderr, "bench: sched_next('%s', %s) is not repeatable\n", row->expr, row->zone);
                        return -EINVAL;
                }
                row->next_ns = MIN(row->next_ns, (double) dt / ((double) reps * (double) row->steps));
        }
        return 0;
}

/* ns per brute-force call: whole chains, at least one and more up to row_time_s; the best. */
static int brute_time(const struct sched *s, const struct tz *z, int64_t start, const int64_t *chain,
                      struct next_row *row) {
        int64_t t_end = now_ns() + (int64_t) (row_time_s * NS_PER_S);

        row->brute_ns = INFINITY;
        do {
                int64_t at = start, t0 = now_ns();
                for (size_t i = 0; i < row->steps; i++) {
                        int64_t got;
                        int b = brute_next(s, at, z, BRUTE_CAP_MIN, &got);
                        if (b < 0)
                                return b;
                        bench_sink = b == 0 ? got : 0;
                        at = chain[i];
                }
                row->brute_ns = MIN(row->brute_ns, (double) (now_ns() - t0) / (double) row->steps);
        } while (now_ns() < t_end);
        return 0;
}

static int next_row(const char *expr, const struct tz *z, const char *zone_name, int year, struct next_row *row) {
        static int64_t chain[CHAIN_MAX];
        struct diag_list diags = {};
        struct sched s;
        int64_t start = civil_to_days(year, 1, 1) * 86400; /* 00:00 UTC on 1 January */
        int r;

        *row = (struct next_row) { .expr = expr, .zone = zone_name, .year = year };
        r = crontab_parse_expr(expr, 0, &s, &diags);
        diag_list_done(&diags);
        if (r < 0) {
                fprintf(stderr, "bench: cannot parse '%s'\n", expr);
                return r;
        }
        r = next_chain(&s, z, start, chain, row);
        if (r < 0)
                return r;
        r = next_time(&s, z, start, chain, row);
        if (r < 0)
                return r;
        return brute_time(&s, z, start, chain, row);
}

static void next_print_row(const struct next_row *w) {
        char span[16], bb[32], sb[32], capped[32] = "";
        const char *ge = w->capped ? ">=" : "  ";

        if (w->capped)
                snprintf(capped, sizeof capped, "  capped %zu/%zu", w->capped, w->steps);
        double up = w->brute_ns / w->next_ns;

        if (up < 10)
                snprintf(sb, sizeof sb, "%.1f", up);
        else
                grouped(up, sb);
        printf("%-22s %-20s %4d %5zu %8s %9.1f %2s%12s %2s%9sx%s\n", w->expr, w->zone, w->year, w->steps,
               span_str(w->span, span), w->next_ns, ge, grouped(w->brute_ns, bb), ge, sb, capped);
        fflush(stdout);
}

static int bench_next(void) {
        struct next_row rows[ELEMENTSOF(next_zones) * ELEMENTSOF(next_years) * ELEMENTSOF(next_exprs)];
        double ns[ELEMENTSOF(rows)], speedup[ELEMENTSOF(rows)];
        size_t n = 0, worst = 0, any_capped = 0;
        int r;

        printf("Chained: each call's `after` is the previous result, from 00:00 UTC on 1 January; a chain\n"
               "runs %d steps or until a result is %lld days past its start. Both columns include the zone\n"
               "conversion. The brute force tries every wall-clock minute with tz_local() + sched_matches()\n"
               "and cron's DST rule, and gives up after %lld days (\"capped\": then next() must lie beyond, and\n"
               "its figures are lower bounds). Every step of next() was checked against it, and the zone\n"
               "offset at every result against glibc's localtime_r(). next(): best of %d runs, %.2f s in all;\n"
               "brute: best chain of those run in %.2f s (at least one).\n\n",
               CHAIN_MAX, CHAIN_HORIZON / 86400, BRUTE_CAP_MIN / 1440, NEXT_RUNS, row_time_s, row_time_s);
        printf("%-22s %-20s %4s %5s %8s %9s %14s %12s\n", "expression", "zone", "from", "steps", "span", "next() ns",
               "brute ns", "speed-up");
        for (size_t zi = 0; zi < ELEMENTSOF(next_zones); zi++) {
                _cleanup_(tz_freep) struct tz *z = NULL;

                r = tzdb_load(NULL, next_zones[zi], &z);
                if (r < 0) {
                        fprintf(stderr, "bench: cannot load zone %s: %s\n", next_zones[zi], strerror(-r));
                        return r;
                }
                if (setenv("TZ", next_zones[zi], 1) < 0)
                        return -errno;
                tzset();
                for (size_t yi = 0; yi < ELEMENTSOF(next_years); yi++)
                        for (size_t ei = 0; ei < ELEMENTSOF(next_exprs); ei++, n++) {
                                r = next_row(next_exprs[ei], z, next_zones[zi], next_years[yi], &rows[n]);
                                if (r < 0)
                                        return r;
                                next_print_row(&rows[n]);
                                ns[n] = rows[n].next_ns;
                                speedup[n] = rows[n].brute_ns / rows[n].next_ns;
                                any_capped += rows[n].capped > 0;
                                if (rows[n].next_ns > rows[worst].next_ns)
                                        worst = n;
                        }
        }
        printf("\nnext(): median %.1f ns/call, worst %.1f ns/call ('%s', %s, from %d); median speed-up over the\n"
               "brute force %.0fx (%zu rows, %zu with a capped brute force).\n",
               median(ns, n), rows[worst].next_ns, rows[worst].expr, rows[worst].zone, rows[worst].year,
               median(speedup, n), n, any_capped);
        printf("target: next() < %.0f ns/call incl. zone conversion (every row)   measured worst %.1f ns   %s\n",
               TARGET_NEXT_NS, rows[worst].next_ns, verdict(rows[worst].next_ns < TARGET_NEXT_NS));
        return 0;
}

/* ==== 2. generated tables and crontab_parse() ========================================= */

struct gen {
        char *buf;
        size_t len, cap;
        uint64_t rng;
        size_t lines, entries, env, max_env;
};

static uint64_t gen_rand(struct gen *g) { /* xorshift64* */
        g->rng ^= g->rng >> 12;
        g->rng ^= g->rng << 25;
        g->rng ^= g->rng >> 27;
        return g->rng * 0x2545f4914f6cdd1dULL;
}

static unsigned gen_below(struct gen *g, unsigned n) {
        return (unsigned) (gen_rand(g) >> 33) % n;
}

_printf_(2, 3) static int gen_line(struct gen *g, const char *fmt, ...) {
        va_list ap;
        int n;

        if (!g->buf) {
                g->buf = malloc(1 << 20);
                if (!g->buf)
                        return -ENOMEM;
                g->cap = 1 << 20;
        }
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
                va_end(ap);
                if (n < 0)
                        return -EINVAL;
                if ((size_t) n + 2 <= g->cap - g->len)
                        break;
                size_t cap = g->cap * 2;
                char *b = realloc(g->buf, cap);
                if (!b)
                        return -ENOMEM;
                g->buf = b;
                g->cap = cap;
        }
        g->len += (size_t) n;
        g->buf[g->len++] = '\n';
        g->buf[g->len] = 0;
        g->lines++;
        return 0;
}

static int gen_comment(struct gen *g) {
        unsigned a = gen_below(g, 10000);

        switch (gen_below(g, 5)) {
        case 0:
                return gen_line(g, "# m h  dom mon dow   command");
        case 1:
                return gen_line(g, "# --- reports for team %u ---", a);
        case 2:
                return gen_line(g, "# rotate the logs of app%u before the nightly backup (ticket OPS-%u)", a, a + 17);
        case 3:
                return gen_line(g, "#0 4 * * * /opt/app/bin/old-job-%u   disabled until the migration is done", a);
        default:
                return gen_line(g, "# Edit this file to introduce tasks to be run by cron.");
        }
}

static int gen_env(struct gen *g) {
        static const char *const zones[] = { "Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo" };
        unsigned a = gen_below(g, 1000);

        g->env++;
        switch (gen_below(g, 6)) {
        case 0:
                return gen_line(g, "MAILTO=ops-%u@example.com", a);
        case 1:
                return gen_line(g, "SHELL=/bin/bash");
        case 2:
                return gen_line(g, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        case 3:
                return gen_line(g, "CRON_TZ=%s", zones[a % ELEMENTSOF(zones)]);
        case 4:
                return gen_line(g, "HOME = /var/lib/app%u", a);
        default:
                return gen_line(g, "LOGDIR=\"/var/log/app %u\"", a);
        }
}

static int gen_entry(struct gen *g) {
        static const char *const nick[] = { "@daily", "@hourly", "@weekly", "@monthly", "@reboot", "@yearly" };
        static const unsigned min_steps[] = { 5, 10, 15, 20, 30 }, hour_steps[] = { 2, 3, 4, 6, 8, 12 };
        unsigned m = gen_below(g, 60), h = gen_below(g, 24), u = gen_below(g, 100000), h1 = gen_below(g, 12);

        g->entries++;
        switch (gen_below(g, 14)) {
        case 0:
                return gen_line(g, "%u %u * * * /usr/local/bin/report-%u --quiet", m, h, u);
        case 1:
                return gen_line(g, "*/%u * * * * /usr/bin/flock -n /run/lock/poll-%u.lock /opt/app/bin/poll --queue q%u",
                                min_steps[u % ELEMENTSOF(min_steps)], u, u % 97);
        case 2:
                return gen_line(g, "%u %u-%u * * mon-fri /opt/app/bin/sync --batch %u >/dev/null 2>&1", m, h1, h1 + 8, u);
        case 3:
                return gen_line(g, "%u,%u,%u %u * * * test -x /usr/sbin/job%u && /usr/sbin/job%u", m % 20, m % 20 + 20,
                                m % 20 + 40, h, u, u);
        case 4:
                return gen_line(g, "%u %u %u * * /usr/bin/find /var/tmp/app%u -mtime +7 -delete", m, h, 1 + u % 28, u);
        case 5:
                return gen_line(g, "%u %u 1 jan,apr,jul,oct * /opt/app/bin/quarterly %u", m, h, u);
        case 6:
                return gen_line(g, "0 */%u * * * curl -fsS https://hc.example.com/ping/%u", hour_steps[u % 6], u);
        case 7:
                return gen_line(g, "%s /usr/local/sbin/backup-%u", nick[u % ELEMENTSOF(nick)], u);
        case 8:
                return gen_line(g, "%u %u * * * mail -s \"report %u\" ops@example.com%%Hello,%%report %u is attached.%%", m,
                                h, u, u);
        case 9:
                return gen_line(g, "%u %u * * 1-5 tar czf /backup/www%u-$(date +\\%%F).tgz /srv/www%u", m, h, u, u);
        case 10:
                return gen_line(g, "[name:job-%u timeout:10m overlap:skip] %u %u * * * /opt/app/bin/long-task %u", u, m, h,
                                u);
        case 11:
                return gen_line(g, "%u %u 1-7 * * /opt/app/bin/first-week %u", m, h, u);
        case 12:
                return gen_line(g, "%u 8-18/2 * * * /opt/app/bin/sample --id %u", m, u);
        default:
                return gen_line(g, "~ ~ * * sat,sun /opt/app/bin/weekend-%u", u);
        }
}

/* A table of `n_lines` lines or `max_entries` entries, whichever comes first: about 12% comments,
 * 4% blank lines, one environment line in a thousand (at most 900, under CRONTAB_MAX_ENV), and
 * entries with lists, ranges, steps, names, nicknames, '%' input and per-job options. The same
 * arguments always give the same bytes. No line draws a warning. */
static int gen_table(size_t n_lines, size_t max_entries, struct gen *ret) {
        struct gen g = { .rng = 0x9e3779b97f4a7c15ULL, .max_env = 900 };
        int r = 0;

        while (r == 0 && g.lines < n_lines && g.entries < max_entries) {
                unsigned k = gen_below(&g, 1000);
                if (g.lines % 1000 == 500 && g.env < g.max_env)
                        r = gen_env(&g);
                else if (k < 120)
                        r = gen_comment(&g);
                else if (k < 160)
                        r = gen_line(&g, "%s", "");
                else
                        r = gen_entry(&g);
        }
        if (r < 0) {
                free(g.buf);
                return r;
        }
        *ret = g;
        return 0;
}

/* What tockctl check does with CRON_TZ: load the zone from tzdata. */
static int bench_zone_check(const char *name, void *userdata) {
        struct tz *z = NULL;
        int r;

        (void) userdata;
        r = tzdb_load(NULL, name, &z);
        tz_free(z);
        return r;
}

/* Parses `g` `runs` times; the median time. Checks the result: no error, no warning, and every
 * entry and environment line the generator wrote. */
static int parse_time(const struct gen *g, unsigned runs, double *ret_s) {
        const struct crontab_opts opts = {
                .mode = CRONTAB_USER,
                .seed = 1,
                .zone_check = bench_zone_check,
                .max_entries = g->entries + 1,
                .max_bytes = g->len + 1,
        };
        double secs[16];

        runs = MIN(runs, (unsigned) ELEMENTSOF(secs));
        for (unsigned i = 0; i < runs; i++) {
                _cleanup_(crontab_freep) struct crontab *t = NULL;
                struct diag_list diags = {};
                int64_t t0 = now_ns();
                int r = crontab_parse(g->buf, g->len, &opts, &t, &diags);

                secs[i] = (double) (now_ns() - t0) / NS_PER_S;
                if (r < 0 || diags.n_warnings || t->n_entries != g->entries || t->n_env != g->env) {
                        fprintf(stderr, "bench: crontab_parse() on the generated table: %s, %zu errors, %zu warnings, "
                                "%zu of %zu entries, %zu of %zu environment lines\n", r < 0 ? strerror(-r) : "ok",
                                diags.n_errors, diags.n_warnings, t ? t->n_entries : 0, g->entries, t ? t->n_env : 0,
                                g->env);
                        for (size_t k = 0; k < MIN(diags.n, (size_t) 3); k++)
                                fprintf(stderr, "  line %u: %s\n", diags.items[k].line, diags.items[k].msg);
                        diag_list_done(&diags);
                        return -EINVAL;
                }
                diag_list_done(&diags);
        }
        *ret_s = median(secs, runs);
        return 0;
}

static int parse_report(const char *label, const struct gen *g, bool target) {
        char b1[32], b2[32], b3[32], b4[32];
        double s, lps;
        unsigned runs;
        int r;

        r = parse_time(g, 1, &s); /* the first run checks the answer and sizes the rest */
        if (r < 0)
                return r;
        runs = (unsigned) MAX(3.0, MIN(15.0, 5 * row_time_s / s));
        r = parse_time(g, runs, &s);
        if (r < 0)
                return r;
        lps = (double) g->lines / s;
        printf("%-34s %10s %9s %10s %8.1f ms %12s %7.1f\n", label, grouped((double) g->lines, b1),
               grouped((double) g->entries, b2), grouped((double) g->len, b3), s * 1e3, grouped(lps, b4),
               (double) g->len / s / 1e6);
        if (target)
                printf("target: crontab_parse() > %s lines/s in-process (%s lines)   measured %s lines/s   %s\n",
                       grouped(TARGET_LINES_PER_S, b2), grouped((double) g->lines, b3), grouped(lps, b4),
                       verdict(lps > TARGET_LINES_PER_S));
        return 0;
}

static int bench_parse(size_t n_lines, size_t tockctl_entries) {
        _cleanup_free_ char *big_buf = NULL, *small_buf = NULL;
        struct gen big, small;
        int r;

        r = gen_table(n_lines, SIZE_MAX, &big);
        if (r < 0)
                return r;
        big_buf = big.buf;
        r = gen_table(SIZE_MAX, tockctl_entries, &small);
        if (r < 0)
                return r;
        small_buf = small.buf;
        printf("crontab_parse() in this process, CRON_TZ checked against tzdata as tockctl does; median of\n"
               "3 to 15 runs. The big table is past the default limits (%u entries, %u MiB), so it is parsed\n"
               "with opts.max_entries and opts.max_bytes raised; the small one is the table tockctl checks\n"
               "below. Each has %zu and %zu environment lines (CRONTAB_MAX_ENV is %u).\n\n",
               CRONTAB_MAX_ENTRIES, CRONTAB_MAX_BYTES >> 20, big.env, small.env, CRONTAB_MAX_ENV);
        printf("%-34s %10s %9s %10s %11s %12s %7s\n", "table", "lines", "entries", "bytes", "time", "lines/s", "MB/s");
        r = parse_report("generated, big (limits raised)", &big, true);
        if (r < 0)
                return r;
        return parse_report("generated, tockctl-sized", &small, false);
}

static int bench_gen(size_t entries, const char *path) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -1;
        struct gen g;
        size_t off = 0;
        int r;

        r = gen_table(SIZE_MAX, entries, &g);
        if (r < 0)
                return r;
        buf = g.buf;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        while (off < g.len) {
                ssize_t k = write(fd, buf + off, g.len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t) k;
        }
        printf("wrote a table of %zu lines: %zu entries, %zu environment lines, %zu bytes\n", g.lines, g.entries, g.env,
               g.len);
        return 0;
}

/* ==== whole commands ================================================================== */

/* Runs argv once with stdin from /dev/null and stdout and stderr to `log`; the wall time in *ret_ns
 * and the exit status (or 128 + signal) in *ret_status. */
static int run_once(char **argv, const char *log, int64_t *ret_ns, int *ret_status) {
        int64_t t0 = now_ns();
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(126);
                execvp(argv[0], argv);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret_ns = now_ns() - t0;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}

static int count_file(const char *path, size_t *ret_lines, size_t *ret_bytes) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char buf[65536];
        size_t lines = 0, bytes = 0;
        ssize_t k;

        if (fd < 0)
                return -errno;
        while ((k = read(fd, buf, sizeof buf)) != 0) {
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (ssize_t i = 0; i < k; i++)
                        lines += buf[i] == '\n';
                bytes += (size_t) k;
        }
        *ret_lines = lines;
        *ret_bytes = bytes;
        return 0;
}

static int bench_time(const char *label, char **argv, unsigned repeat, const char *file, const char *log,
                      bool target, bool must_pass) {
        double ms[32];
        size_t lines = 0, bytes = 0;
        int status = 0;
        char b1[32], b2[32], b3[32];
        int r;

        if (file && (r = count_file(file, &lines, &bytes)) < 0) {
                fprintf(stderr, "bench: cannot read %s: %s\n", file, strerror(-r));
                return r;
        }
        repeat = MAX(1u, MIN(repeat, (unsigned) ELEMENTSOF(ms)));
        for (unsigned i = 0; i < repeat; i++) {
                int64_t ns = 0;
                r = run_once(argv, log, &ns, &status);
                if (r < 0) {
                        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(-r));
                        return r;
                }
                if (status != 0)
                        break;
                ms[i] = (double) ns / 1e6;
        }
        if (status != 0) {
                printf("%-34s exit status %d (output in the log below)\n", label, status);
                if (must_pass) {
                        fprintf(stderr, "bench: '%s' failed on the generated table (exit %d)\n", label, status);
                        return -EINVAL;
                }
                return 0;
        }
        double best = ms[0];
        for (unsigned i = 1; i < repeat; i++)
                best = MIN(best, ms[i]);
        double med = median(ms, repeat), lps = lines / (med / 1e3);
        printf("%-34s %10s %10s %8.1f ms %8.1f ms %12s %7.1f\n", label, grouped((double) lines, b1),
               grouped((double) bytes, b2), med, best, grouped(lps, b3), bytes / (med / 1e3) / 1e6);
        if (target)
                printf("target: %s > %s lines/s (whole command, %s lines)   measured %s lines/s   %s\n", label,
                       grouped(TARGET_LINES_PER_S, b1), grouped((double) lines, b2), grouped(lps, b3),
                       verdict(lps > TARGET_LINES_PER_S));
        return 0;
}

/* ==== main ============================================================================ */

static int bench_info(void) {
#ifdef __OPTIMIZE__
        const char *opt = "optimised";
#else
        const char *opt = "NOT optimised: figures are meaningless";
#endif
#if defined(__GNUC__) && !defined(__clang__)
        const char *cc = "gcc ";
#else
        const char *cc = "";
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
        const char *san = ", with sanitizers: figures are meaningless";
#else
        const char *san = "";
#endif
        printf("bench built with %s%s, %s%s\n", cc, __VERSION__, opt, san);
        return 0;
}

static int usage(void) {
        fprintf(stderr, "usage: bench next [--row-time S]\n"
                        "       bench parse [--row-time S] [--lines N] [--entries N]\n"
                        "       bench gen --entries N FILE\n"
                        "       bench time [--repeat N] [--file F] [--log F] [--target] [--must-pass]\n"
                        "                  LABEL -- CMD [ARG...]\n"
                        "       bench time-header\n"
                        "       bench info\n");
        return 2;
}

static int parse_size(const char *s, size_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v == 0 || v > 100000000)
                return -EINVAL;
        *ret = (size_t) v;
        return 0;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "row-time", required_argument, NULL, 't' }, { "lines", required_argument, NULL, 'l' },
                { "entries", required_argument, NULL, 'e' },  { "repeat", required_argument, NULL, 'r' },
                { "file", required_argument, NULL, 'f' },     { "log", required_argument, NULL, 'g' },
                { "target", no_argument, NULL, 'T' },         { "must-pass", no_argument, NULL, 'P' },
                {},
        };
        size_t lines = 1000000, entries = 99000, repeat = 5;
        const char *file = NULL, *log = "/dev/null", *cmd;
        bool target = false, must_pass = false;
        char *end;
        int c, r;

        if (argc < 2)
                return usage();
        cmd = argv[1];
        optind = 2;
        while ((c = getopt_long(argc, argv, "+", longopts, NULL)) >= 0) {
                switch (c) {
                case 't':
                        row_time_s = strtod(optarg, &end);
                        if (*end || !(row_time_s > 0 && row_time_s <= 10))
                                return usage();
                        break;
                case 'l':
                        if (parse_size(optarg, &lines) < 0)
                                return usage();
                        break;
                case 'e':
                        if (parse_size(optarg, &entries) < 0)
                                return usage();
                        break;
                case 'r':
                        if (parse_size(optarg, &repeat) < 0)
                                return usage();
                        break;
                case 'f':
                        file = optarg;
                        break;
                case 'g':
                        log = optarg;
                        break;
                case 'T':
                        target = true;
                        break;
                case 'P':
                        must_pass = true;
                        break;
                default:
                        return usage();
                }
        }
        if (streq(cmd, "next") && optind == argc)
                r = bench_next();
        else if (streq(cmd, "parse") && optind == argc)
                r = bench_parse(lines, entries);
        else if (streq(cmd, "gen") && optind + 1 == argc)
                r = bench_gen(entries, argv[optind]);
        else if (streq(cmd, "info") && optind == argc)
                r = bench_info();
        else if (streq(cmd, "time-header") && optind == argc)
                r = printf("%-34s %10s %10s %11s %11s %12s %7s\n", "command", "lines", "bytes", "median", "best",
                           "lines/s", "MB/s") < 0 ? -EIO : 0;
        else if (streq(cmd, "time") && optind + 2 < argc && streq(argv[optind + 1], "--"))
                r = bench_time(argv[optind], argv + optind + 2, (unsigned) repeat, file, log, target, must_pass);
        else
                return usage();
        if (r < 0) {
                if (r != -EINVAL)
                        fprintf(stderr, "bench %s: %s\n", cmd, strerror(-r));
                return 1;
        }
        return 0;
}
