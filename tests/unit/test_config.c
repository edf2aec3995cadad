/* tests/unit/test_config.c: tockd.conf (daemon/config.c): every value type, the defaults, the
 * file with quotes and unknown keys, and what is refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"

static struct config c;

static void setup(void) {
        log_setup(LOG_TARGET_STDERR, LOG_ERR, LOG_FORMAT_TEXT); /* the warnings of the bad-input tests stay quiet */
        config_init(&c);
}
static void teardown(void) {
        config_done(&c);
}
TestSuite(config, .init = setup, .fini = teardown);

Test(config, defaults_are_debians_paths_and_crons_behaviour) {
        cr_assert_str_eq(c.crontab, "/etc/crontab");
        cr_assert_str_eq(c.cron_d, "/etc/cron.d");
        cr_assert_str_eq(c.spool, "/var/spool/cron/crontabs");
        cr_assert_str_eq(c.shell, "/bin/sh");
        cr_assert_str_eq(c.path, "/usr/bin:/bin");
        cr_assert_eq(c.overlap, OVERLAP_RUN);
        cr_assert_eq(c.on_stop, ON_STOP_LEAVE);
        cr_assert_eq(c.umask, 022);
        cr_assert_eq(c.max_output, 64 * 1024);
        cr_assert_not(c.catchup);
        for (int i = 0; i < 6; i++)
                cr_assert_eq(c.rlimits[i], -1, "rlimit %d inherits", i);
}

Test(config, durations_take_s_m_h_and_refuse_the_rest) {
        static const struct { const char *v; int64_t want; } ok[] = {
                { "0", 0 }, { "45", 45 }, { "45s", 45 }, { "2m", 120 }, { "3h", 10800 }, { "604800", 604800 },
        };
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
                cr_assert_eq(config_set(&c, "jobs", "timeout", ok[i].v), 0, "%s", ok[i].v);
                cr_assert_eq(c.timeout_s, ok[i].want, "%s", ok[i].v);
        }
        static const char *const bad[] = { "", "-1", "1d", "5 m", "1.5h", "604801", "m", "99999999999999999999" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                cr_assert_eq(config_set(&c, "jobs", "timeout", bad[i]), -EINVAL, "'%s' is refused", bad[i]);
        cr_assert_eq(c.timeout_s, 604800, "a refused value changes nothing");
}

Test(config, sizes_take_k_m_g) {
        cr_assert_eq(config_set(&c, "jobs", "max_output", "4K"), 0);
        cr_assert_eq(c.max_output, 4096);
        cr_assert_eq(config_set(&c, "jobs", "max_output", "2m"), 0);
        cr_assert_eq(c.max_output, 2u << 20);
        cr_assert_eq(config_set(&c, "jobs", "max_running", "12"), 0);
        cr_assert_eq(c.max_running, 12);
        cr_assert_eq(config_set(&c, "jobs", "max_output", "1T"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "max_output", "2048G"), -EINVAL, "past 1 TiB");
}

/* found while writing fuzz-config (issue 10): the unit or suffix multiplied before the bound was checked, and
 * strtoull()/strtoul() took a minus sign, so these were accepted as other numbers */
Test(config, numbers_that_overflow_or_have_a_sign_are_refused_issue10) {
        static const struct { const char *key, *v; } bad[] = {
                { "timeout", "9223372036854775807h" },   /* was -3600 s */
                { "jitter", "3074457345618258603m" },    /* was 4 s */
                { "max_output", "17179869184G" },        /* was 0 */
                { "max_running", "18014398509481984K" }, /* was 0 */
                { "max_output", "-18446744073709551615" }, /* was 1 */
                { "limit_as", "-18446744073709551615" },
                { "umask", "-1777777777777777777777" },  /* was 001 */
                { "max_output", " 5" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                cr_assert_eq(config_set(&c, "jobs", bad[i].key, bad[i].v), -EINVAL, "%s = '%s' is refused", bad[i].key,
                             bad[i].v);
        cr_assert_eq(c.timeout_s, 0);
        cr_assert_eq(c.max_output, 64 * 1024);
        cr_assert_eq(c.umask, 022);
        cr_assert_eq(config_set(&c, "jobs", "timeout", "168h"), 0, "a week is the most");
        cr_assert_eq(c.timeout_s, 604800);
        cr_assert_eq(config_set(&c, "jobs", "timeout", "169h"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "jitter", "10080m"), 0);
        cr_assert_eq(config_set(&c, "jobs", "jitter", "10081m"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "max_output", "1024G"), 0, "1 TiB is the most");
        cr_assert_eq(c.max_output, 1ULL << 40);
        cr_assert_eq(config_set(&c, "jobs", "max_output", "1048577M"), -EINVAL);
}

Test(config, rlimits_inherit_infinity_or_a_size) {
        cr_assert_eq(config_set(&c, "jobs", "limit_nofile", "1024"), 0);
        cr_assert_eq(c.rlimits[0], 1024);
        cr_assert_eq(config_set(&c, "jobs", "limit_as", "1G"), 0);
        cr_assert_eq(c.rlimits[2], 1LL << 30);
        cr_assert_eq(config_set(&c, "jobs", "limit_core", "unlimited"), 0);
        cr_assert_eq(c.rlimits[4], -2);
        cr_assert_eq(config_set(&c, "jobs", "limit_core", "inherit"), 0);
        cr_assert_eq(c.rlimits[4], -1);
        cr_assert_eq(config_set(&c, "jobs", "limit_cpu", "lots"), -EINVAL);
}

Test(config, enumerations_and_booleans) {
        cr_assert_eq(config_set(&c, "jobs", "overlap", "queue"), 0);
        cr_assert_eq(c.overlap, OVERLAP_QUEUE);
        cr_assert_eq(config_set(&c, "jobs", "overlap", "SKIP"), 0, "names are case-blind");
        cr_assert_eq(c.overlap, OVERLAP_SKIP);
        cr_assert_eq(config_set(&c, "jobs", "overlap", "unset"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "on_stop", "wait"), 0);
        cr_assert_eq(c.on_stop, ON_STOP_WAIT);
        cr_assert_eq(config_set(&c, "log", "level", "debug"), 0);
        cr_assert_eq(c.log_level, LOG_DEBUG);
        cr_assert_eq(config_set(&c, "log", "target", "stdout"), 0);
        cr_assert_eq(c.log_target, LOG_TARGET_STDOUT);
        cr_assert_eq(config_set(&c, "log", "target", "file"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "catchup", "yes"), 0);
        cr_assert(c.catchup);
        cr_assert_eq(config_set(&c, "jobs", "catchup", "off"), 0);
        cr_assert_not(c.catchup);
        cr_assert_eq(config_set(&c, "jobs", "catchup", "maybe"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "umask", "077"), 0);
        cr_assert_eq(c.umask, 077);
        cr_assert_eq(config_set(&c, "jobs", "umask", "1777"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "nice", "19"), 0);
        cr_assert_eq(c.nice, 19);
        cr_assert_eq(config_set(&c, "jobs", "nice", "20"), -EINVAL);
}

Test(config, an_unknown_key_or_section_is_enoent) {
        cr_assert_eq(config_set(&c, "jobs", "no_such_key", "1"), -ENOENT);
        cr_assert_eq(config_set(&c, "job", "timeout", "1"), -ENOENT);
}

static char *write_conf(const char *text) {
        char *path = strdup("/tmp/tock-test-config.XXXXXX");
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        return path;
}

Test(config, a_file_sets_keys_unquotes_values_and_ignores_unknown_keys) {
        char *path = write_conf("[paths]\ncrontab = \"\"\nspool = '/srv/spool'\n[jobs]\ntimeout = 5m\nfrobnicate = 1\n");

        cr_assert_eq(config_load(&c, path, true), 0);
        cr_assert_str_eq(c.crontab, "", "\"\" is the empty value that disables the system table");
        cr_assert_str_eq(c.spool, "/srv/spool");
        cr_assert_eq(c.timeout_s, 300);
        cr_assert_str_eq(c.config_file, path);
        unlink(path);
        free(path);
}

Test(config, a_bad_value_refuses_the_file) {
        char *path = write_conf("[jobs]\ntimeout = soon\n");

        cr_assert_eq(config_load(&c, path, true), -EINVAL);
        unlink(path);
        free(path);
}

Test(config, a_missing_file_is_fine_only_when_not_named_explicitly) {
        cr_assert_eq(config_load(&c, "/nonexistent/tockd.conf", false), 0);
        cr_assert_eq(config_load(&c, "/nonexistent/tockd.conf", true), -ENOENT);
}

/* issue 14: the [fleet] section and jobs.fleet, with their defaults */
Test(config, fleet_keys_and_their_defaults) {
        cr_assert_str_eq(c.fleet_endpoints, "");
        cr_assert_str_eq(c.fleet_name, "default");
        cr_assert_eq(c.fleet_lease_ttl_s, 10);
        cr_assert_eq(c.fleet_unreachable, FLEET_UNREACHABLE_SKIP);
        cr_assert_not(c.fleet);
        cr_assert_eq(config_set(&c, "fleet", "endpoints", "http://127.0.0.1:2379, http://10.0.0.2:2379"), 0);
        cr_assert_str_eq(c.fleet_endpoints, "http://127.0.0.1:2379, http://10.0.0.2:2379");
        cr_assert_eq(config_set(&c, "fleet", "unreachable", "local"), 0);
        cr_assert_eq(c.fleet_unreachable, FLEET_UNREACHABLE_LOCAL);
        cr_assert_eq(config_set(&c, "fleet", "unreachable", "retry"), -EINVAL);
        cr_assert_eq(config_set(&c, "fleet", "lease_ttl", "30s"), 0);
        cr_assert_eq(c.fleet_lease_ttl_s, 30);
        cr_assert_eq(config_set(&c, "fleet", "lease_ttl", "-1"), -EINVAL);
        cr_assert_eq(config_set(&c, "jobs", "fleet", "yes"), 0);
        cr_assert(c.fleet);
        cr_assert_eq(config_set(&c, "fleet", "quorum", "2"), -ENOENT, "an unknown key is not taken");
}
