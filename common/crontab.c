/* common/crontab.c: the crontab parser.
 *
 * One pass over the lines; each line is a comment, a blank, an environment line or an entry,
 * decided the way cron decides it (an environment assignment first, an entry otherwise). Every
 * problem is reported with its line and column and the parser goes on, so that a user sees all
 * of them at once; a table with any error is refused whole. Where cronie and Debian's cron
 * disagree, the choice and its reason are in the comment at the rule and in crontab.5. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crontab.h"
#include "mem.h"
#include "util.h"

enum field {
        F_MIN,
        F_HOUR,
        F_DOM,
        F_MON,
        F_DOW,
        F_SEC, /* only through the [sec:...] option */
        _F_MAX,
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const struct field_info {
        const char *name;
        const char *unit; /* as in "minute 61 is out of range" */
        int lo, hi;
        int cycle; /* length of the cycle a "*" step runs over, 0: not checked */
        const char *const *names;
        int name_base; /* value of names[0] */
} fields[_F_MAX] = {
        [F_MIN] = { "minute", "minute", 0, 59, 60, NULL, 0 },
        [F_HOUR] = { "hour", "hour", 0, 23, 24, NULL, 0 },
        [F_DOM] = { "day-of-month", "day", 1, 31, 0, NULL, 0 },
        [F_MON] = { "month", "month", 1, 12, 12, month_names, 1 },
        [F_DOW] = { "day-of-week", "weekday", 0, 7, 7, dow_names, 0 },
        [F_SEC] = { "second", "second", 0, 59, 60, NULL, 0 },
};

#define ALL_HOURS 0xffffffu      /* bits 0..23 */
#define ALL_DAYS 0xfffffffeu      /* bits 1..31 */
#define ALL_MONTHS 0x1ffeu        /* bits 1..12 */
#define ALL_WEEKDAYS 0x7fu        /* bits 0..6 */

/* What the nicknames stand for, with the flags the equivalent five fields give (so @hourly is a
 * wildcard job for the daylight-saving rule, as in cron). */
static const struct nickname {
        const char *name;
        struct sched sched;
} nicknames[] = {
        { "yearly", { 1, 1, 1, 1u << 1, 1u << 1, ALL_WEEKDAYS, SCHED_DOW_STAR } },        /* 0 0 1 1 * */
        { "annually", { 1, 1, 1, 1u << 1, 1u << 1, ALL_WEEKDAYS, SCHED_DOW_STAR } },      /* 0 0 1 1 * */
        { "monthly", { 1, 1, 1, 1u << 1, ALL_MONTHS, ALL_WEEKDAYS, SCHED_DOW_STAR } },    /* 0 0 1 * * */
        { "weekly", { 1, 1, 1, ALL_DAYS, ALL_MONTHS, 1u << 0, SCHED_DOM_STAR } },         /* 0 0 * * 0 */
        { "daily", { 1, 1, 1, ALL_DAYS, ALL_MONTHS, ALL_WEEKDAYS, SCHED_DOM_STAR | SCHED_DOW_STAR } },
        { "midnight", { 1, 1, 1, ALL_DAYS, ALL_MONTHS, ALL_WEEKDAYS, SCHED_DOM_STAR | SCHED_DOW_STAR } },
        { "hourly", { 1, 1, ALL_HOURS, ALL_DAYS, ALL_MONTHS, ALL_WEEKDAYS,
                      SCHED_HOUR_STAR | SCHED_DOM_STAR | SCHED_DOW_STAR } }, /* 0 * * * * */
};

struct parser {
        const struct crontab_opts *opts;
        struct diag_list *diags;
        struct crontab *t;
        const char *end; /* of the text */
        size_t cap_entries, cap_env, cap_text;
        size_t populated_entries, populated_text; /* bytes of each faulted in (mem_populate_ahead()) */
        unsigned line;
        const char *ls; /* start of the current line */
        int oom;
        bool line_failed;
};

/* An entry as parsed, before add_entry() makes it a struct entry. Its strings are written
 * straight into the table's text as they are parsed (entry_text_begin()), from offset `text`. */
struct entry_parts {
        struct sched sched;
        uint32_t text; /* the schedule's offset in the table's text */
        bool user, input;
        struct job_opts opts;
        unsigned line;
        uint32_t n_env;
};

/* ---- strings ---------------------------------------------------------------------------
 * The strings of the environment and the option names are carved from a few blocks the table
 * owns, not malloc()ed one by one (a malloc() each costs its header and rounding); they do not
 * move. A new block is sized for the rest of the text, at most 4 KiB: it holds little for long.
 * An entry's strings go straight to the end of the table's text instead (text_alloc()), which a
 * line that fails gives back. */
#define STRINGS_BLOCK_MAX (1u << 12)

struct crontab_strings {
        struct crontab_strings *next;
        size_t used, cap;
        char data[];
};

static char *str_alloc(struct parser *ps, size_t n) {
        struct crontab_strings *b = ps->t->strings;

        if (!b || b->cap - b->used < n) {
                size_t rest = (size_t) (ps->end - ps->ls) + 64, cap = rest < STRINGS_BLOCK_MAX ? rest : STRINGS_BLOCK_MAX;
                if (cap < n)
                        cap = n;
                b = malloc(sizeof(*b) + cap);
                if (!b) {
                        ps->oom = -ENOMEM;
                        return NULL;
                }
                b->cap = cap;
                b->used = 0;
                b->next = ps->t->strings;
                ps->t->strings = b;
        }
        char *s = b->data + b->used;
        b->used += n;
        return s;
}

static char *str_ndup(struct parser *ps, const char *s, size_t n) {
        char *d = str_alloc(ps, n + 1);
        if (d) {
                memcpy(d, s, n);
                d[n] = 0;
        }
        return d;
}

/* Room for n more bytes of the table's text, from offset *ret_at (aligned on `align`). */
static char *text_alloc(struct parser *ps, size_t n, size_t align, size_t *ret_at) {
        struct crontab *t = ps->t;
        size_t at = (t->text_len + align - 1) & ~(align - 1);

        if (at + n > UINT32_MAX) {
                ps->oom = -E2BIG;
                return NULL;
        }
        if (at + n > ps->cap_text) {
                /* first: the rest of the text, which its strings almost never outgrow */
                size_t cap = MAX(ps->cap_text ? ps->cap_text * 2 : (size_t) (ps->end - ps->ls) + 256, at + n);
                char *v = realloc(t->text, cap);
                if (!v) {
                        ps->oom = -ENOMEM;
                        return NULL;
                }
                t->text = v;
                ps->cap_text = cap;
        }
        mem_populate_ahead(t->text, &ps->populated_text, at + n, ps->cap_text);
        memset(t->text + t->text_len, 0, at - t->text_len);
        t->text_len = at + n;
        *ret_at = at;
        return t->text + at;
}

/* The string s[0..n) and a NUL at the end of the table's text (offset *ret_at), or NULL */
static char *text_put(struct parser *ps, const char *s, size_t n, size_t *ret_at) {
        char *d = text_alloc(ps, n + 1, 1, ret_at);
        if (d) {
                memcpy(d, s, n);
                d[n] = 0;
        }
        return d;
}

/* The string that ends the text, at offset `at`, turned out shorter: gives back what follows its NUL. */
static void text_trim(struct parser *ps, size_t at) {
        ps->t->text_len = at + strlen(ps->t->text + at) + 1;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* isdigit() in the C locale, without its table lookup */
static bool is_digit(char c) {
        return (unsigned char) (c - '0') < 10;
}

static const char *skip_blanks(const char *p, const char *end) {
        while (p < end && is_blank(*p))
                p++;
        return p;
}

static const char *token_end(const char *p, const char *end) {
        while (p < end && !is_blank(*p))
                p++;
        return p;
}

static unsigned col_of(const struct parser *ps, const char *p) {
        return (unsigned) (p - ps->ls) + 1;
}

/* Prints one character of the input for a message; non-printable ones as a code. */
static const char *show_char(char c, char buf[static 8]) {
        if (isprint((unsigned char) c))
                snprintf(buf, 8, "'%c'", c);
        else
                snprintf(buf, 8, "0x%02x", (unsigned char) c);
        return buf;
}

#define perror_at(ps, at, ...)                                                                      \
        do {                                                                                        \
                (ps)->line_failed = true;                                                           \
                if (diag_add((ps)->diags, DIAG_ERROR, (ps)->line, col_of((ps), (at)), __VA_ARGS__) < 0) \
                        (ps)->oom = -ENOMEM;                                                        \
        } while (0)
#define pwarn_at(ps, at, ...)                                                                       \
        do {                                                                                        \
                if (diag_add((ps)->diags, DIAG_WARNING, (ps)->line, col_of((ps), (at)), __VA_ARGS__) < 0) \
                        (ps)->oom = -ENOMEM;                                                        \
        } while (0)

static uint64_t splitmix64(uint64_t x) {
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

/* ---- numbers and names ------------------------------------------------------------------- */

/* Letters that other schedulers give meaning to; cron has none of them. */
static const char *foreign_syntax(const char *w, size_t n) {
        if (n == 1 && w[0] == '?')
                return "'?' (Quartz's \"no specific value\") is not cron syntax; use '*'";
        if (n == 1 && (w[0] == 'L' || w[0] == 'l'))
                return "'L' (Quartz's \"last\") is not cron syntax";
        if (n == 1 && (w[0] == 'W' || w[0] == 'w'))
                return "'W' (Quartz's \"nearest weekday\") is not cron syntax";
        if (n == 2 && strncasecmp(w, "LW", 2) == 0)
                return "'LW' (Quartz's \"last weekday\") is not cron syntax";
        if (n == 1 && w[0] == 'H')
                return "'H' (Jenkins's hashed value) is not cron syntax; tock's '~' picks a random value";
        return NULL;
}

/* Reads the run of digits at *pp into *ret, saturated just above 1000000 (every bound the caller
 * checks is below that); advances *pp. A run longer than CRONTAB_MAX_DIGITS is refused, whatever
 * its value: Debian's cron reads a number into a 100-byte buffer (MAX_TEMPSTR) and refuses one of
 * 100 characters or more, so "000...0" cannot pass as 0. Returns 0 or -EINVAL (reported). */
static int scan_digits(struct parser *ps, enum field f, const char **pp, const char *end, long long *ret) {
        const char *p = *pp;
        long long v = 0;

        while (p < end && is_digit(*p)) {
                if (v <= 1000000)
                        v = v * 10 + (*p - '0');
                p++;
        }
        if ((size_t) (p - *pp) > CRONTAB_MAX_DIGITS) {
                perror_at(ps, *pp, "number too long in the %s field: %zu digits (at most %u)", fields[f].name,
                          (size_t) (p - *pp), CRONTAB_MAX_DIGITS);
                return -EINVAL;
        }
        *pp = p;
        *ret = v;
        return 0;
}

/* Parses a number or a name at *pp; advances *pp. Returns 0 or -EINVAL (reported). */
static int parse_value(struct parser *ps, enum field f, const char **pp, const char *end, int *ret) {
        const struct field_info *fi = &fields[f];
        const char *p = *pp, *start = p;
        char cb[8];

        if (p < end && is_digit(*p)) {
                long long v;
                if (scan_digits(ps, f, &p, end, &v) < 0)
                        return -EINVAL;
                if (v < fi->lo || v > fi->hi) {
                        if (v > 1000000)
                                perror_at(ps, start, "%s %.*s is out of range %d-%d", fi->unit, (int) MIN(p - start, 24),
                                          start, fi->lo, fi->hi);
                        else
                                perror_at(ps, start, "%s %lld is out of range %d-%d", fi->unit, v, fi->lo, fi->hi);
                        return -EINVAL;
                }
                *pp = p;
                *ret = (int) v;
                return 0;
        }
        if (p < end && (isalpha((unsigned char) *p) || *p == '?')) {
                while (p < end && (isalpha((unsigned char) *p) || *p == '?'))
                        p++;
                size_t n = (size_t) (p - start);
                const char *why = foreign_syntax(start, n);
                if (why) {
                        perror_at(ps, start, "%s", why);
                        return -EINVAL;
                }
                if (!fi->names) {
                        perror_at(ps, start, "'%.*s' in the %s field: names are only for months (jan..dec) and weekdays (sun..sat)",
                                  (int) MIN(n, 24), start, fi->name);
                        return -EINVAL;
                }
                for (int i = 0; fi->names[i]; i++) {
                        if (n == 3 && strncasecmp(start, fi->names[i], 3) == 0) {
                                *pp = p;
                                *ret = i + fi->name_base;
                                return 0;
                        }
                        if (n > 3 && strncasecmp(start, fi->names[i], 3) == 0) {
                                perror_at(ps, start, "'%.*s': cron knows only three-letter names; write '%s'", (int) MIN(n, 24),
                                          start, fi->names[i]);
                                return -EINVAL;
                        }
                }
                perror_at(ps, start, "unknown %s name '%.*s' (names are %s..%s)", fi->unit, (int) MIN(n, 24), start,
                          fi->names[0], f == F_MON ? "dec" : "sat");
                return -EINVAL;
        }
        if (p >= end)
                perror_at(ps, p, "missing %s value", fi->unit);
        else
                perror_at(ps, p, "expected a %s value, found %s", fi->unit, show_char(*p, cb));
        return -EINVAL;
}

/* ---- one field --------------------------------------------------------------------------- */

static void set_range(uint64_t *mask, enum field f, int lo, int hi, int step) {
        for (int v = lo; v <= hi; v += step)
                *mask |= 1ULL << (f == F_DOW && v == 7 ? 0 : v);
}

/* The mask of "*" in field f: every value lo..hi (Sunday once, as 0) */
static uint64_t star_mask(enum field f) {
        const struct field_info *fi = &fields[f];
        uint64_t m = (2ULL << fi->hi) - (1ULL << fi->lo);
        return f == F_DOW ? m & ALL_WEEKDAYS : m;
}

/* Warns about "*\/N" when N does not divide the cycle, so the last gap comes out short. */
static void check_step(struct parser *ps, enum field f, const char *at, long long step) {
        const struct field_info *fi = &fields[f];
        int cycle = fi->cycle, last, gap;

        if (cycle == 0 || cycle % step == 0)
                return;
        last = fi->lo + (int) ((cycle - 1) / step * step);
        gap = cycle - (last - fi->lo);
        if (step >= cycle)
                pwarn_at(ps, at, "step %lld is not less than the %d %ss of the cycle: only %s %d matches", step, cycle,
                         fi->unit, fi->unit, fi->lo);
        else
                pwarn_at(ps, at, "step %lld does not divide %d evenly: from %s %d back to %d the gap is %d, not %lld", step,
                         cycle, fi->unit, last, fi->lo, gap, step);
}

/* The common fields, "*" and one number in range, without parse_field()'s general loop: the same
 * mask, and nothing to report. Returns false for any other field. */
static inline bool field_simple(enum field f, const char *p, const char *end, uint64_t *ret_mask) {
        if (end - p == 1 && *p == '*') {
                *ret_mask = star_mask(f);
                return true;
        }
        if (end - p <= 2 && end > p && is_digit(p[0]) && (end - p == 1 || is_digit(p[1]))) {
                int v = end - p == 1 ? p[0] - '0' : (p[0] - '0') * 10 + (p[1] - '0');
                if (v >= fields[f].lo && v <= fields[f].hi) {
                        *ret_mask = 1ULL << (f == F_DOW && v == 7 ? 0 : v);
                        return true;
                }
        }
        return false;
}

/* Parses one whitespace-delimited field [p, end) into *ret_mask; sets *ret_star when it starts
 * with '*'. `salt` makes each '~' draw its own value. Returns 0 or -EINVAL (reported). */
static int parse_field(struct parser *ps, enum field f, const char *p, const char *end, uint64_t salt,
                       uint64_t *ret_mask, bool *ret_star) {
        const struct field_info *fi = &fields[f];
        uint64_t mask = 0;
        char cb[8];
        int item = 0;

        *ret_star = p < end && *p == '*';
        if (field_simple(f, p, end, ret_mask))
                return 0;
        for (;; item++) {
                const char *item_start = p;
                int lo, hi, step = 1;
                bool star = false, random = false, range = false;

                if (p >= end || *p == ',') {
                        perror_at(ps, p, "empty item in the %s list", fi->name);
                        return -EINVAL;
                }
                if (*p == '*') {
                        star = true;
                        lo = fi->lo;
                        hi = fi->hi;
                        p++;
                } else if (*p == '~') {
                        random = true;
                        lo = fi->lo;
                        p++;
                        hi = fi->hi;
                        if (p < end && *p != ',' && *p != '/' && parse_value(ps, f, &p, end, &hi) < 0)
                                return -EINVAL;
                } else {
                        if (parse_value(ps, f, &p, end, &lo) < 0)
                                return -EINVAL;
                        hi = lo;
                        if (p < end && *p == '-') {
                                const char *dash = p++;
                                range = true;
                                if (p >= end || *p == ',' || *p == '/') {
                                        perror_at(ps, p, "range '%.*s' has no end", (int) (p - item_start), item_start);
                                        return -EINVAL;
                                }
                                if (parse_value(ps, f, &p, end, &hi) < 0)
                                        return -EINVAL;
                                if (f == F_DOW && hi == 0 && lo > 0 && lo < 7) {
                                        /* cronie reads "5-0" as Friday to Sunday; Debian takes it and
                                         * never runs it. A user means cronie's reading. */
                                        pwarn_at(ps, item_start, "'%.*s' is read as %d-7 (through Sunday); Debian's cron accepts it but never runs it",
                                                 (int) (p - item_start), item_start, lo);
                                        hi = 7;
                                } else if (hi < lo) {
                                        char a[16], b[16];
                                        snprintf(a, sizeof a, lo == fi->hi ? "%d" : "%d-%d", lo, fi->hi);
                                        snprintf(b, sizeof b, hi == fi->lo ? "%d" : "%d-%d", fi->lo, hi);
                                        perror_at(ps, dash + 1, "reversed range %d-%d: a range goes from low to high; to wrap around write %s,%s",
                                                  lo, hi, a, b);
                                        return -EINVAL;
                                }
                        } else if (p < end && *p == '~') {
                                random = true;
                                p++;
                                hi = fi->hi;
                                if (p < end && *p != ',' && *p != '/' && parse_value(ps, f, &p, end, &hi) < 0)
                                        return -EINVAL;
                        }
                }
                if (random) {
                        if (hi < lo) {
                                perror_at(ps, item_start, "reversed random range %d~%d: write the low bound first", lo, hi);
                                return -EINVAL;
                        }
                        if (f == F_DOW && lo == 0 && hi == 7)
                                hi = 6; /* Sunday is 0 and 7: draw it once */
                        uint64_t x = splitmix64(salt ^ splitmix64((uint64_t) item));
                        lo = hi = lo + (int) (x % (uint64_t) (hi - lo + 1));
                }
                if (p < end && *p == '/') {
                        const char *slash = p++;
                        long long v = 0;
                        const char *ds = p;

                        if (random) {
                                perror_at(ps, slash, "a random value ('~') takes no step");
                                return -EINVAL;
                        }
                        if (!star && !range) {
                                perror_at(ps, slash, "a step needs a range: write %d-%d/... or */...", lo, fi->hi);
                                return -EINVAL;
                        }
                        if (scan_digits(ps, f, &p, end, &v) < 0)
                                return -EINVAL;
                        if (p == ds) {
                                if (p < end && *p != ',')
                                        perror_at(ps, p, "step must be a number, found %s", show_char(*p, cb));
                                else
                                        perror_at(ps, p, "missing step after '/'");
                                return -EINVAL;
                        }
                        if (v == 0 || v > 1000000) {
                                perror_at(ps, ds, "step %.*s is out of range: it must be at least 1", (int) MIN(p - ds, 24), ds);
                                return -EINVAL;
                        }
                        step = (int) MIN(v, 1000);
                        if (star)
                                check_step(ps, f, ds, v);
                }
                set_range(&mask, f, lo, hi, step);
                if (p >= end)
                        break;
                if (*p != ',') {
                        const char *why = NULL;
                        if (*p == '#')
                                why = "'#' (Quartz's \"n-th weekday\") is not cron syntax";
                        else if (isalpha((unsigned char) *p) || *p == '?')
                                why = foreign_syntax(p, (size_t) (token_end(p, end) - p));
                        if (why)
                                perror_at(ps, p, "%s", why);
                        else
                                perror_at(ps, p, "unexpected %s in the %s field", show_char(*p, cb), fi->name);
                        return -EINVAL;
                }
                p++;
        }
        *ret_mask = mask;
        return 0;
}

/* ---- per-job options: "[key:value ...]" ------------------------------------------------- */

/* "90", "90s", "10m", "2h", "1d", "1h30m". Returns 0 or -EINVAL. */
static int parse_duration(const char *p, const char *end, int64_t *ret) {
        int64_t total = 0;

        if (p >= end)
                return -EINVAL;
        while (p < end) {
                int64_t v = 0, unit = 1;
                const char *ds = p;
                while (p < end && isdigit((unsigned char) *p)) {
                        v = v * 10 + (*p - '0');
                        if (v > 100000000)
                                return -EINVAL;
                        p++;
                }
                if (p == ds)
                        return -EINVAL;
                if (p < end) {
                        switch (*p++) {
                        case 's':
                                unit = 1;
                                break;
                        case 'm':
                                unit = 60;
                                break;
                        case 'h':
                                unit = 3600;
                                break;
                        case 'd':
                                unit = 86400;
                                break;
                        default:
                                return -EINVAL;
                        }
                }
                total += v * unit;
                if (total > 366LL * 86400)
                        return -EINVAL;
        }
        *ret = total;
        return total > 0 ? 0 : -EINVAL;
}

static bool word_eq(const char *p, const char *end, const char *w) {
        size_t n = strlen(w);
        return (size_t) (end - p) == n && strncmp(p, w, n) == 0;
}

static int parse_option(struct parser *ps, struct entry_parts *e, const char *p, const char *end, uint64_t salt) {
        const char *colon = memchr(p, ':', (size_t) (end - p));
        const char *k_end = colon ? colon : end, *v = colon ? colon + 1 : end;

        if (word_eq(p, k_end, "name")) {
                if (v == end || end - v > 64) {
                        perror_at(ps, v, "a job name has 1 to 64 characters");
                        return -EINVAL;
                }
                for (const char *c = v; c < end; c++)
                        if (!isalnum((unsigned char) *c) && !strchr("_.-", *c)) {
                                perror_at(ps, c, "a job name has only letters, digits, '_', '.' and '-'");
                                return -EINVAL;
                        }
                e->opts.name = str_ndup(ps, v, (size_t) (end - v)); /* NULL sets ps->oom */
        } else if (word_eq(p, k_end, "timeout") || word_eq(p, k_end, "jitter")) {
                int64_t *dst = *p == 't' ? &e->opts.timeout_s : &e->opts.jitter_s;
                if (parse_duration(v, end, dst) < 0) {
                        perror_at(ps, v, "%.*s takes a duration such as 90s, 10m, 2h or 1h30m (at most 366d)",
                                  (int) (k_end - p), p);
                        return -EINVAL;
                }
        } else if (word_eq(p, k_end, "overlap")) {
                if (word_eq(v, end, "run"))
                        e->opts.overlap = OVERLAP_RUN;
                else if (word_eq(v, end, "skip"))
                        e->opts.overlap = OVERLAP_SKIP;
                else if (word_eq(v, end, "queue"))
                        e->opts.overlap = OVERLAP_QUEUE;
                else {
                        perror_at(ps, v, "overlap is run, skip or queue");
                        return -EINVAL;
                }
        } else if (word_eq(p, k_end, "catchup")) {
                if (!colon || word_eq(v, end, "yes"))
                        e->opts.catchup = 1;
                else if (word_eq(v, end, "no"))
                        e->opts.catchup = 0;
                else {
                        perror_at(ps, v, "catchup is yes or no");
                        return -EINVAL;
                }
        } else if (word_eq(p, k_end, "fleet")) {
                if (!colon || word_eq(v, end, "once"))
                        e->opts.fleet = 1;
                else if (word_eq(v, end, "no"))
                        e->opts.fleet = 0;
                else {
                        perror_at(ps, v, "fleet is fleet, fleet:once (one host of the fleet runs each fire time) or fleet:no");
                        return -EINVAL;
                }
                if (e->opts.fleet == 1 && ps->opts->fleet_refused) {
                        perror_at(ps, p, "%s", ps->opts->fleet_refused);
                        return -EINVAL;
                }
        } else if (word_eq(p, k_end, "sec")) {
                bool star;
                if (v == end) {
                        perror_at(ps, v, "sec takes a seconds field such as 0,30 or */10");
                        return -EINVAL;
                }
                return parse_field(ps, F_SEC, v, end, salt ^ 0x5ec, &e->sched.sec, &star);
        } else {
                pwarn_at(ps, p, "unknown option '%.*s', ignored (known: name, timeout, jitter, overlap, catchup, fleet, sec)",
                         (int) MIN(k_end - p, 32), p);
        }
        return 0;
}

/* Parses "[...]" at p; returns the position after ']' or NULL (reported). */
static const char *parse_options(struct parser *ps, struct entry_parts *e, const char *p, const char *end, uint64_t salt) {
        const char *close = memchr(p, ']', (size_t) (end - p));

        if (!close) {
                perror_at(ps, p, "option list '[' has no closing ']'");
                return NULL;
        }
        for (p = skip_blanks(p + 1, close); p < close; p = skip_blanks(p, close)) {
                const char *w = token_end(p, close);
                (void) parse_option(ps, e, p, w, salt);
                p = w;
        }
        return close + 1;
}

/* ---- environment lines ------------------------------------------------------------------- */

/* cron's test for "NAME = VALUE": the name runs to '=' or a blank (or is quoted), blanks may
 * stand around '=', the value is the rest of the line without trailing blanks, or one quoted
 * string. An empty unquoted value does not count (Debian reads "FOO=" as a bad entry). Returns
 * true and the parts when the line is an assignment. */
static bool split_env(const char *p, const char *end, const char **rn, size_t *rnl, const char **rv, size_t *rvl) {
        const char *name, *name_end;

        if (p < end && (*p == '"' || *p == '\'')) {
                char q = *p++;
                name = p;
                while (p < end && *p != q)
                        p++;
                if (p >= end)
                        return false;
                name_end = p++;
        } else {
                name = p;
                while (p < end && *p != '=' && !is_blank(*p))
                        p++;
                name_end = p;
        }
        if (name_end == name)
                return false;
        p = skip_blanks(p, end);
        if (p >= end || *p != '=')
                return false;
        p = skip_blanks(p + 1, end);
        if (p >= end)
                return false;
        if (*p == '"' || *p == '\'') {
                char q = *p;
                const char *v = p + 1, *close = memchr(v, q, (size_t) (end - v));
                if (!close)
                        return false;
                if (skip_blanks(close + 1, end) != end)
                        return false;
                *rv = v;
                *rvl = (size_t) (close - v);
        } else {
                const char *e = end;
                while (e > p && is_blank(e[-1]))
                        e--;
                *rv = p;
                *rvl = (size_t) (e - p);
        }
        *rn = name;
        *rnl = (size_t) (name_end - name);
        return true;
}

static bool is_identifier(const char *s, size_t n) {
        if (n == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

static void check_env(struct parser *ps, const struct env_var *ev, const char *name_at, const char *value_at) {
        if (!is_identifier(ev->name, strlen(ev->name)))
                pwarn_at(ps, name_at, "'%s' is not a valid shell variable name; the job's shell will not see it%s", ev->name,
                         ev->name[0] == '[' ? " (per-job options are written [key:value])" : "");
        if (streq(ev->name, "CRON_TZ") && ps->opts->zone_check) {
                int r = ps->opts->zone_check(ev->value, ps->opts->userdata);
                if (r < 0)
                        perror_at(ps, value_at, "unknown time zone '%s' in CRON_TZ", ev->value);
        }
        if (streq(ev->name, "RANDOM_DELAY")) {
                const char *s = ev->value;
                size_t n = strlen(s);
                bool ok = n > 0 && n <= 6 && strspn(s, "0123456789") == n;
                if (!ok)
                        pwarn_at(ps, value_at, "RANDOM_DELAY is a whole number of minutes; '%s' is ignored", s);
        }
}

static int add_env(struct parser *ps, const char *n, size_t nl, const char *v, size_t vl) {
        struct crontab *t = ps->t;

        if (t->n_env >= CRONTAB_MAX_ENV) {
                perror_at(ps, n, "more than %u environment lines", CRONTAB_MAX_ENV);
                return -E2BIG;
        }
        if (t->n_env == ps->cap_env) {
                size_t cap = ps->cap_env ? ps->cap_env * 2 : 8;
                struct env_var *env = reallocarray(t->env, cap, sizeof(*env));
                if (!env)
                        return ps->oom = -ENOMEM;
                t->env = env;
                ps->cap_env = cap;
        }
        struct env_var *ev = &t->env[t->n_env];
        *ev = (struct env_var) { .name = str_ndup(ps, n, nl), .value = str_ndup(ps, v, vl), .line = ps->line };
        if (!ev->name || !ev->value)
                return ps->oom = -ENOMEM;
        t->n_env++;
        check_env(ps, ev, n, v);
        return 0;
}

/* ---- entries ----------------------------------------------------------------------------- */

/* Shell quoting state at the end of s[0..n): whether a quote is still open. */
static bool quote_open(const char *s, size_t n) {
        char q = 0;
        for (size_t i = 0; i < n; i++) {
                if (q == '\'') {
                        if (s[i] == '\'')
                                q = 0;
                } else if (s[i] == '\\') {
                        i++;
                } else if (q == '"') {
                        if (s[i] == '"')
                                q = 0;
                } else if (s[i] == '\'' || s[i] == '"') {
                        q = s[i];
                }
        }
        return q != 0;
}

/* Splits the command at its first unescaped '%', as cron(8)'s do_command.c does: a backslash
 * escapes the next character, and "\%" in the command becomes '%'; after the first unescaped
 * '%', which ends the command, the text is the job's standard input with every unescaped '%' made
 * a newline and "\%" made '%' (other backslashes stay). */
static int split_percent(struct parser *ps, struct entry_parts *e, const char *p, const char *end) {
        size_t cmd_at, in_at;
        char *cmd = text_alloc(ps, (size_t) (end - p) + 1, 1, &cmd_at), *c = cmd, *i;
        const char *q;
        bool escaped = false;

        if (!cmd)
                return ps->oom;
        if (!memchr(p, '%', (size_t) (end - p))) {
                /* no '%': the command is the text as it is (a backslash escapes only a '%') */
                memcpy(cmd, p, (size_t) (end - p));
                cmd[end - p] = 0;
                return 0;
        }
        for (q = p; q < end; q++) {
                if (escaped) {
                        if (*q == '%')
                                c[-1] = '%'; /* the backslash gives way to the '%' */
                        else
                                *c++ = *q;
                        escaped = false;
                        continue;
                }
                if (*q == '%')
                        break;
                escaped = *q == '\\';
                *c++ = *q;
        }
        *c = 0;
        text_trim(ps, cmd_at);
        if (q < end) {
                size_t before = (size_t) (c - cmd);
                const char *pct = q;
                bool date_like = q + 1 < end && strchr("aAbBcdDeFgGhHIjklmMnNpPrRsStTuUVwWxXyYzZ", q[1]) &&
                                 (before > 0 && (cmd[before - 1] == '+' || strstr(cmd, "date")));
                if (quote_open(cmd, before) || date_like)
                        pwarn_at(ps, pct, "'%%' ends the command here and the rest becomes its standard input; write '\\%%' for a literal percent sign");
                i = text_alloc(ps, (size_t) (end - q) + 1, 1, &in_at); /* cmd may move: not used below */
                if (!i)
                        return ps->oom;
                escaped = false;
                for (q++; q < end; q++) {
                        char ch = *q;
                        if (escaped) {
                                if (ch != '%')
                                        *i++ = '\\';
                        } else if (ch == '%') {
                                ch = '\n';
                        }
                        escaped = ch == '\\';
                        if (!escaped)
                                *i++ = ch;
                }
                if (escaped)
                        *i++ = '\\';
                *i = 0;
                text_trim(ps, in_at);
                e->input = true;
        }
        return 0;
}

static int expand_nickname(struct parser *ps, struct entry_parts *e, const char *p, const char *w) {
        size_t n = (size_t) (w - p - 1);

        if (n == 6 && strncmp(p + 1, "reboot", 6) == 0) {
                e->sched.flags |= SCHED_REBOOT;
                return 0;
        }
        for (size_t k = 0; k < ELEMENTSOF(nicknames); k++)
                if (strlen(nicknames[k].name) == n && strncmp(p + 1, nicknames[k].name, n) == 0) {
                        uint64_t sec = e->sched.sec; /* [sec:...] applies on top */
                        e->sched = nicknames[k].sched;
                        e->sched.sec = sec;
                        return 0;
                }
        perror_at(ps, p, "unknown nickname '%.*s' (known: @reboot @yearly @annually @monthly @weekly @daily @midnight @hourly)",
                  (int) MIN(w - p, 32), p);
        return -EINVAL;
}

static void check_entry(struct parser *ps, const struct entry_parts *e, const char *dom_at) {
        const struct sched *s = &e->sched;

        if (s->flags & SCHED_REBOOT)
                return;
        if (sched_never(s))
                pwarn_at(ps, dom_at, "this schedule never fires: none of its days exists in its months");
        else if (!(s->flags & (SCHED_DOM_STAR | SCHED_DOW_STAR)) && dom_at)
                pwarn_at(ps, dom_at, "both day-of-month and day-of-week are restricted: the job runs on days that match EITHER one (cron's rule), not both");
}

const struct job_opts crontab_no_opts = { .timeout_s = -1, .jitter_s = -1, .overlap = OVERLAP_UNSET, .catchup = -1, .fleet = -1 };

static bool opts_set(const struct job_opts *o) {
        return o->name || o->timeout_s != -1 || o->jitter_s != -1 || o->overlap != OVERLAP_UNSET || o->catchup != -1 ||
               o->fleet != -1;
}

/* Lines from p to the end of the text: a bound on the entries that are left */
static size_t lines_left(const char *p, const char *end) {
        size_t n = 1;
        while ((p = memchr(p, '\n', (size_t) (end - p))) && ++p < end)
                n++;
        return n;
}

/* Writes the start of the current line's entry to the table's text: its options when it has
 * any, then the schedule s[0..n). The rest of its strings follow it (text_put(), split_percent()).
 * Returns 0 or ps->oom. */
static int entry_text_begin(struct parser *ps, struct entry_parts *e, const char *s, size_t n) {
        size_t at;

        if (opts_set(&e->opts)) {
                char *d = text_alloc(ps, sizeof(e->opts), _Alignof(struct job_opts), &at);
                if (!d)
                        return ps->oom;
                memcpy(d, &e->opts, sizeof(e->opts));
        }
        if (!text_put(ps, s, n, &at))
                return ps->oom;
        e->text = (uint32_t) at;
        return 0;
}

/* Adds the entry whose strings the text ends with. */
static int add_entry(struct parser *ps, struct entry_parts *e) {
        struct crontab *t = ps->t;
        size_t max = ps->opts->max_entries ? ps->opts->max_entries : CRONTAB_MAX_ENTRIES;

        if (t->n_entries >= max) {
                perror_at(ps, ps->ls, "more than %zu entries in one table", max);
                return -E2BIG;
        }
        if (t->n_entries == ps->cap_entries) {
                /* first: room for every line left, so that the array is allocated once */
                size_t cap = ps->cap_entries ? ps->cap_entries * 2 : MIN(lines_left(ps->ls, ps->end), max);
                struct entry *v = reallocarray(t->entries, cap, sizeof(*v));
                if (!v)
                        return ps->oom = -ENOMEM;
                t->entries = v;
                ps->cap_entries = cap;
        }
        mem_populate_ahead(t->entries, &ps->populated_entries, (t->n_entries + 1) * sizeof(struct entry),
                           ps->cap_entries * sizeof(struct entry));
        t->entries[t->n_entries++] = (struct entry) {
                .sched = e->sched,
                .line = e->line,
                .text = e->text,
                .n_env = (uint16_t) e->n_env,
                .flags = (uint16_t) ((e->user ? ENTRY_USER : 0) | (e->input ? ENTRY_INPUT : 0) |
                                     (opts_set(&e->opts) ? ENTRY_OPTS : 0)),
        };
        return 0;
}

static void parse_entry(struct parser *ps, const char *p, const char *end) {
        static const enum field order[] = { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW };
        struct entry_parts e = {
                .line = ps->line,
                .sched.sec = 1,
                .n_env = ps->t->n_env,
                .opts = { .timeout_s = -1, .jitter_s = -1, .catchup = -1, .fleet = -1 },
        };
        uint64_t salt = splitmix64(ps->opts->seed ^ splitmix64(ps->line));
        const char *dom_at = NULL, *sched_start = p, *sched_end, *nickname = NULL, *nickname_end = NULL;
        const char *user = NULL, *user_end = NULL;
        size_t mark = ps->t->text_len; /* what a line that fails gives back of the text */
        bool bad = false;

        if (*p == '[') {
                p = parse_options(ps, &e, p, end, salt);
                if (!p)
                        goto fail;
                p = skip_blanks(p, end);
                if (p >= end) {
                        perror_at(ps, p, "missing schedule after the options");
                        goto fail;
                }
        }
        if (*p == '@') {
                const char *w = token_end(p, end);
                if (expand_nickname(ps, &e, p, w) < 0)
                        goto fail;
                nickname = p;
                nickname_end = w;
                p = skip_blanks(w, end);
        } else {
                for (size_t k = 0; k < ELEMENTSOF(order); k++) {
                        enum field f = order[k];
                        const char *w = token_end(p, end);
                        uint64_t mask = 0;
                        bool star;

                        if (p >= end) {
                                perror_at(ps, p, "missing %s field (%s minute, hour, day-of-month, month, day-of-week%s)",
                                          fields[f].name,
                                          ps->opts->mode == CRONTAB_EXPR ? "an expression has" : "a line has",
                                          ps->opts->mode == CRONTAB_SYSTEM ? ", user, then the command"
                                          : ps->opts->mode == CRONTAB_USER ? ", then the command" : "");
                                goto fail;
                        }
                        if (f == F_DOM)
                                dom_at = p;
                        star = *p == '*';
                        if (!field_simple(f, p, w, &mask) && parse_field(ps, f, p, w, salt ^ (uint64_t) f, &mask, &star) < 0)
                                bad = true;
                        static const uint8_t star_flag[] = { [F_MIN] = SCHED_MIN_STAR, [F_HOUR] = SCHED_HOUR_STAR,
                                                             [F_DOM] = SCHED_DOM_STAR, [F_DOW] = SCHED_DOW_STAR };
                        if (star)
                                e.sched.flags |= star_flag[f];
                        switch (f) {
                        case F_MIN:
                                e.sched.min = mask;
                                break;
                        case F_HOUR:
                                e.sched.hour = (uint32_t) mask;
                                break;
                        case F_DOM:
                                e.sched.dom = (uint32_t) mask;
                                break;
                        case F_MON:
                                e.sched.mon = (uint16_t) mask;
                                break;
                        default:
                                e.sched.dow = (uint8_t) mask;
                                break;
                        }
                        p = skip_blanks(w, end);
                }
        }
        sched_end = p;
        while (sched_end > sched_start && is_blank(sched_end[-1]))
                sched_end--;
        /* Debian: "catch a common typo": a sixth time field where the command should start. Its
         * check comes after the nickname branch too, so "@daily * cmd" is refused as well. */
        if (p < end && *p == '*') {
                const char *what = ps->opts->mode == CRONTAB_SYSTEM ? "user field" : "command";
                if (nickname)
                        perror_at(ps, p, "the %s starts with '*': %.*s takes the place of all five time fields", what,
                                  (int) (nickname_end - nickname), nickname);
                else
                        perror_at(ps, p, "the %s starts with '*': cron has five time fields (for seconds, tock has the [sec:...] option)",
                                  what);
                goto fail;
        }
        if (ps->opts->mode == CRONTAB_EXPR) {
                if (p < end) {
                        perror_at(ps, p, "an expression ends after the day-of-week field (or the nickname)");
                        goto fail;
                }
                if (bad || ps->line_failed)
                        goto fail;
                check_entry(ps, &e, dom_at);
                if (entry_text_begin(ps, &e, sched_start, (size_t) (sched_end - sched_start)) < 0 ||
                    !text_put(ps, "", 0, &(size_t) { 0 }) || add_entry(ps, &e) < 0) {
                        ps->oom = -ENOMEM;
                        goto fail;
                }
                return;
        }
        if (ps->opts->mode == CRONTAB_SYSTEM) {
                if (p >= end) {
                        perror_at(ps, p, "missing user field (system tables name the user before the command)");
                        goto fail;
                }
                user = p;
                user_end = token_end(p, end);
                p = skip_blanks(user_end, end);
        }
        if (p >= end) {
                perror_at(ps, p, "missing command");
                goto fail;
        }
        if (bad || ps->line_failed)
                goto fail;
        if (ps->opts->mode == CRONTAB_USER && end - p >= 4 && strncmp(p, "root", 4) == 0 && (end - p == 4 || is_blank(p[4])))
                pwarn_at(ps, p, "the command starts with 'root': user tables have no user field, so 'root' will be run as a command");
        if ((e.sched.flags & SCHED_REBOOT) && e.sched.sec != 1)
                pwarn_at(ps, ps->ls, "@reboot has no time fields; the sec option is ignored");
        /* the strings, in their order in the text: schedule, user, command, input */
        if (entry_text_begin(ps, &e, sched_start, (size_t) (sched_end - sched_start)) < 0)
                goto fail;
        if (user) {
                if (!text_put(ps, user, (size_t) (user_end - user), &(size_t) { 0 }))
                        goto fail;
                e.user = true;
        }
        if (split_percent(ps, &e, p, end) < 0)
                goto fail;
        check_entry(ps, &e, dom_at);
        if (add_entry(ps, &e) < 0)
                goto fail;
        return;
fail:
        ps->t->text_len = mark;
}

/* ---- lines and tables -------------------------------------------------------------------- */

static void parse_line(struct parser *ps, const char *p, const char *end) {
        const char *n, *v;
        size_t nl, vl;

        p = skip_blanks(p, end);
        if (p >= end || *p == '#')
                return;
        if (split_env(p, end, &n, &nl, &v, &vl)) {
                (void) add_env(ps, n, nl, v, vl);
                return;
        }
        parse_entry(ps, p, end);
}

struct crontab *crontab_free(struct crontab *t) {
        if (!t)
                return NULL;
        while (t->strings) {
                struct crontab_strings *b = t->strings;
                t->strings = b->next;
                free(b);
        }
        free(t->entries);
        free(t->env);
        free(t->text);
        free(t);
        return NULL;
}

int crontab_parse(const char *text, size_t len, const struct crontab_opts *opts, struct crontab **ret_table,
                  struct diag_list *diags) {
        _cleanup_(crontab_freep) struct crontab *t = calloc(1, sizeof(*t));
        size_t max_line = opts->max_line ? opts->max_line : CRONTAB_MAX_LINE;
        size_t max_bytes = opts->max_bytes ? opts->max_bytes : CRONTAB_MAX_BYTES;
        size_t errors_before = diags->n_errors;
        struct parser ps = { .opts = opts, .diags = diags, .end = text + len };
        const char *p = text, *end = text + len;

        if (!t)
                return -ENOMEM;
        ps.t = t;
        if (len > max_bytes) {
                diag_add(diags, DIAG_ERROR, 0, 0, "the table is %zu bytes; the limit is %zu", len, max_bytes);
                return -EINVAL;
        }
        for (ps.line = 1; p < end && !ps.oom; ps.line++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *le = nl ? nl : end, *nul;

                ps.ls = p;
                ps.line_failed = false;
                if ((size_t) (le - p) > max_line) {
                        perror_at(&ps, p, "line is %zu bytes long; the limit is %zu", (size_t) (le - p), max_line);
                } else if ((nul = memchr(p, '\0', (size_t) (le - p)))) {
                        perror_at(&ps, nul, "NUL byte in the line");
                } else {
                        if (le > p && le[-1] == '\r')
                                le--;
                        parse_line(&ps, p, le);
                        if (!nl && skip_blanks(p, le) < le && opts->mode != CRONTAB_EXPR)
                                pwarn_at(&ps, le, "no newline at the end of the file; tock reads this last line, but Debian's crontab refuses the file");
                }
                p = nl ? nl + 1 : end;
        }
        if (ps.oom)
                return ps.oom;
        if (diags->n_errors > errors_before)
                return -EINVAL;
        /* the arrays grew by doubling: give back what they do not use (nothing points into them yet) */
        if (t->n_entries && t->n_entries < ps.cap_entries) {
                struct entry *v = reallocarray(t->entries, t->n_entries, sizeof(*v));
                if (v)
                        t->entries = v;
        }
        if (t->text_len && t->text_len < ps.cap_text) {
                char *v = realloc(t->text, t->text_len);
                if (v)
                        t->text = v;
        }
        if (t->n_env && t->n_env < ps.cap_env) {
                struct env_var *v = reallocarray(t->env, t->n_env, sizeof(*v));
                if (v)
                        t->env = v;
        }
        *ret_table = TAKE_PTR(t);
        return 0;
}

const char *crontab_env_get_n(const struct crontab *t, size_t n_env, const char *name) {
        for (size_t i = n_env; i > 0; i--)
                if (streq(t->env[i - 1].name, name))
                        return t->env[i - 1].value;
        return NULL;
}

const char *crontab_env_get(const struct crontab *t, const struct entry *e, const char *name) {
        return crontab_env_get_n(t, e->n_env, name);
}

/* ---- reading an entry's strings ---- */

static const char *next_str(const char *s) {
        return s + strlen(s) + 1;
}

const char *entry_user(const struct crontab *t, const struct entry *e) {
        return e->flags & ENTRY_USER ? next_str(entry_schedule(t, e)) : NULL;
}

const char *entry_command(const struct crontab *t, const struct entry *e) {
        const char *s = next_str(entry_schedule(t, e));
        return e->flags & ENTRY_USER ? next_str(s) : s;
}

const char *entry_input(const struct crontab *t, const struct entry *e) {
        return e->flags & ENTRY_INPUT ? next_str(entry_command(t, e)) : NULL;
}

void entry_view(const struct crontab *t, const struct entry *e, struct entry_view *ret) {
        *ret = (struct entry_view) {
                .sched = e->sched,
                .schedule = entry_schedule(t, e),
                .user = entry_user(t, e),
                .command = entry_command(t, e),
                .input = entry_input(t, e),
                .opts = *entry_opts(t, e),
                .line = e->line,
                .n_env = e->n_env,
        };
}

static uint64_t fnv1a(uint64_t h, const char *s) {
        for (; s && *s; s++) {
                h ^= (unsigned char) *s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

uint64_t crontab_seed(const char *machine_id, const char *path) {
        return fnv1a(fnv1a(0xcbf29ce484222325ULL, machine_id) ^ 0x2f, path);
}

int crontab_parse_expr(const char *expr, uint64_t seed, struct sched *ret, struct diag_list *diags) {
        const struct crontab_opts opts = { .mode = CRONTAB_EXPR, .seed = seed };
        _cleanup_(crontab_freep) struct crontab *t = NULL;
        int r;

        if (strchr(expr, '\n')) {
                diag_add(diags, DIAG_ERROR, 1, 1, "an expression is one line");
                return -EINVAL;
        }
        r = crontab_parse(expr, strlen(expr), &opts, &t, diags);
        if (r < 0)
                return r;
        if (t->n_entries != 1) {
                diag_add(diags, DIAG_ERROR, 1, 1, "not a schedule expression: give five fields or a nickname");
                return -EINVAL;
        }
        *ret = t->entries[0].sched;
        return 0;
}
