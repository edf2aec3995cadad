/* tests/fuzz/fuzz-config.c: libFuzzer target for tockd's configuration parser (daemon/config.c).
 *
 * The input's first byte picks what it is:
 *   '-'        the rest is --set arguments, "SECTION.KEY=VALUE", one per line ('\n' ends one, a
 *              NUL cuts it short), applied in order with config_set_override() to one default
 *              configuration, as tockd applies its command line;
 *   any other  the whole input, that byte included, is a tockd.conf, read with config_load_text()
 *              through inih and the same handler as config_load() reads the file.
 * So the corpus's set-* files start with '-' and the others are plain tockd.conf files.
 *
 * Then every value is checked against its documented range, the configuration goes through
 * config_dump() into memory and config_done(), so that sanitizers see every path, leaks included.
 * Contract checks abort, so that libFuzzer reports a breach like a crash:
 *   - config_load_text() returns 0, -EINVAL or -ENOMEM; config_set_override() 0, -EBADMSG
 *     (exactly when the argument has no '.' before its first '='), -ENOENT, -EINVAL or -ENOMEM;
 *   - a refused --set leaves the configuration as it was (the same dump before and after);
 *   - when every string value is one that inih gives back unchanged (no blank at either end, no
 *     control character or ';', not in quotes, short enough for inih's 200-byte line), the dump,
 *     read back as a tockd.conf, loads without error and dumps the same: `tockd --dump-config`
 *     writes a file that means what is in force.
 *
 * Logging is turned off (a level below LOG_EMERG), so the fuzzer does not spend its time writing
 * warnings. Built with clang -fsanitize=fuzzer for `make fuzz`, or with tests/fuzz/run-corpus.c
 * (a plain main()) to replay the saved corpus in `make check`. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tockd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.conf"
#define LOG_NOTHING (LOG_EMERG - 1)
#define INIH_MAX_LINE 200        /* Debian's libinih reads lines of up to 199 bytes */
#define MAX_SIZE (1ULL << 40)    /* parse_size()'s bound */
#define MAX_SECONDS (86400 * 7)  /* parse_seconds()'s bound */

#define check(cond)                                                                                   \
        do {                                                                                          \
                if (!(cond)) {                                                                        \
                        fprintf(stderr, "fuzz-config: check failed: %s (%s:%d)\n", #cond, __FILE__,  \
                                __LINE__);                                                            \
                        abort();                                                                      \
                }                                                                                     \
        } while (0)

/* The string keys with their names, for the round-trip test (the names are the dump's). */
#define STRING(key, field) { key, offsetof(struct config, field) }
static const struct {
        const char *name;
        size_t offset;
} strings[] = {
        STRING("crontab", crontab),           STRING("cron_d", cron_d),
        STRING("spool", spool),               STRING("table", table),
        STRING("state", state_dir),           STRING("zoneinfo", zoneinfo),
        STRING("localtime", localtime),       STRING("boot_id", boot_id),
        STRING("socket", socket),             STRING("cron_allow", cron_allow),
        STRING("cron_deny", cron_deny),       STRING("metrics_file", metrics_file),
        STRING("pam_dir", pam_dir),           STRING("shell", shell),
        STRING("path", path),                 STRING("sendmail", sendmail),
        STRING("pam_service", pam_service),   STRING("on_failure", on_failure),
};

static const char *string_of(const struct config *c, size_t i) {
        return *(char *const *) ((const char *) c + strings[i].offset);
}

static bool is_duration(int64_t s) {
        return s >= 0 && s <= MAX_SECONDS;
}

static void check_ranges(const struct config *c) {
        check(c->config_file && streq(c->config_file, NAME));
        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                check(string_of(c, i));
        check(c->log_target >= LOG_TARGET_AUTO && c->log_target <= LOG_TARGET_STDOUT);
        check(c->log_level >= LOG_ERR && c->log_level <= LOG_DEBUG);
        check(c->umask <= 0777);
        check(c->on_stop >= ON_STOP_LEAVE && c->on_stop <= ON_STOP_WAIT);
        check(is_duration(c->stop_timeout_s) && is_duration(c->timeout_s));
        check(is_duration(c->kill_grace_s) && is_duration(c->jitter_s));
        check(c->max_output <= MAX_SIZE);
        check(c->max_running <= MAX_SIZE && c->max_running_per_user <= MAX_SIZE);
        check(c->nice >= -20 && c->nice <= 19);
        for (size_t i = 0; i < ELEMENTSOF(c->rlimits); i++)
                check(c->rlimits[i] >= -2 && c->rlimits[i] <= (int64_t) MAX_SIZE);
        check(c->overlap == OVERLAP_RUN || c->overlap == OVERLAP_SKIP || c->overlap == OVERLAP_QUEUE);
}

/* config_dump() into a new string; free() it. */
static char *dump(const struct config *c) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        check(f);
        config_dump(c, f);
        check(fclose(f) == 0);
        check(buf && strlen(buf) == len);
        return buf;
}

/* Whether inih, reading "NAME = VALUE", hands the handler VALUE unchanged. */
static bool plain(const char *name, const char *v) {
        size_t n = strlen(v);

        if (strlen(name) + 3 + n >= INIH_MAX_LINE - 1)
                return false;
        if (n > 0 && (v[0] == ' ' || v[n - 1] == ' '))
                return false;
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
                return false;
        for (const char *p = v; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f || *p == ';')
                        return false;
        return true;
}

/* The dump, read back as a tockd.conf, loads and dumps the same. */
static void check_round_trip(const struct config *c, const char *text) {
        struct config again;
        char *text_again;

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                if (!plain(strings[i].name, string_of(c, i)))
                        return;
        config_init(&again);
        check(config_load_text(&again, NAME, text, strlen(text)) == 0);
        text_again = dump(&again);
        check(streq(text, text_again));
        free(text_again);
        config_done(&again);
}

static void load_file(struct config *c, const uint8_t *data, size_t size) {
        int r = config_load_text(c, NAME, (const char *) data, size);

        check(r == 0 || r == -EINVAL || r == -ENOMEM);
}

/* Whether `s` is "SECTION.KEY=VALUE" as config_set_override() wants it: a '.' before the first '='. */
static bool override_shaped(const char *s) {
        const char *dot = strchr(s, '.'), *eq = strchr(s, '=');
        return dot && eq && dot < eq;
}

static void apply_overrides(struct config *c, const uint8_t *data, size_t size) {
        char *text = strndup((const char *) data, size), *line, *next;

        check(text);
        check(config_load_text(c, NAME, "", 0) == 0); /* names the configuration as the file path does */
        for (line = text; line; line = next) {
                char *before;
                int r;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                before = dump(c);
                r = config_set_override(c, line);
                check(r == 0 || r == -EBADMSG || r == -ENOENT || r == -EINVAL || r == -ENOMEM);
                check((r == -EBADMSG) == !override_shaped(line));
                if (r < 0) {
                        char *after = dump(c);
                        check(streq(before, after));
                        free(after);
                }
                free(before);
        }
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool quiet;
        struct config c;
        char *text;

        if (!quiet) {
                log_setup(LOG_TARGET_STDERR, LOG_NOTHING, LOG_FORMAT_TEXT);
                quiet = true;
        }
        config_init(&c);
        if (size > 0 && data[0] == '-')
                apply_overrides(&c, data + 1, size - 1);
        else
                load_file(&c, data, size);
        check_ranges(&c);
        text = dump(&c);
        check_round_trip(&c, text);
        free(text);
        config_done(&c);
        return 0;
}
