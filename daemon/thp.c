/* daemon/thp.c: tockd's memory in transparent huge pages, through glibc's malloc.
 *
 * What tockd holds is a few large arrays per table (entries, their text, jobs, the queue), all
 * written once when the table is loaded. On a virtual machine the first write to each fresh 4 KiB
 * page is what loading costs most: 140 MB of new memory took 450 ms to write here, 220 ms after
 * MADV_POPULATE_WRITE, and 16 ms in 2 MiB pages (bench/mem.sh: 1,000,000 entries load in about
 * half the CPU time). glibc's malloc asks for huge pages for its heap and its mmaps when the
 * tunable glibc.malloc.hugetlb=1 is set, and only the dynamic loader reads tunables, at exec:
 * so tockd execs itself once, first thing, with it added to GLIBC_TUNABLES, and the new image
 * puts the environment back as it was, so that jobs which inherit it see the caller's.
 * Resident memory hardly changes: the arrays of many tables share the heap's huge pages.
 *
 * Skipped when TOCK_HUGEPAGES=0, when the kernel's transparent huge pages are "never", when the
 * caller set glibc.malloc.hugetlb itself, under valgrind (whose client would run outside it) or
 * ASan (its own allocator), and with another libc (the static musl build). The exec keeps the pid, the arguments, every open
 * descriptor (socket activation's fd 3 included) and the rest of the environment. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tockd.h"
#include "util.h"

#define REEXEC_VAR "TOCK_THP_REEXEC"    /* set in the new image: put the environment back */
#define ORIGINAL_VAR "TOCK_THP_TUNABLES" /* the caller's GLIBC_TUNABLES, when it had one */

/* ASan has its own allocator: glibc's tunable would change nothing */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define TOCK_THP 1
#endif

static bool active;

bool thp_active(void) {
        return active;
}

#ifdef TOCK_THP
static bool thp_available(void) {
        char buf[128] = "";
        FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

        if (!f)
                return false;
        bool ok = fgets(buf, sizeof buf, f) && !strstr(buf, "[never]");
        fclose(f);
        return ok;
}

static void restore_env(void) {
        const char *orig = getenv(ORIGINAL_VAR);

        if (orig)
                setenv("GLIBC_TUNABLES", orig, 1);
        else
                unsetenv("GLIBC_TUNABLES");
        unsetenv(ORIGINAL_VAR);
        unsetenv(REEXEC_VAR);
}
#endif

void thp_reexec(char **argv) {
#ifdef TOCK_THP
        const char *off = getenv("TOCK_HUGEPAGES"), *tunables = getenv("GLIBC_TUNABLES"),
                   *preload = getenv("LD_PRELOAD");
        _cleanup_free_ char *with = NULL;
        char exe[PATH_MAX];
        ssize_t n;

        if (getenv(REEXEC_VAR)) {
                restore_env();
                active = true;
                return;
        }
        if ((off && streq(off, "0")) || (tunables && strstr(tunables, "glibc.malloc.hugetlb")) ||
            (preload && strstr(preload, "vgpreload")) || !thp_available())
                return;
        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return;
        exe[n] = 0;
        if (asprintf(&with, "%s%sglibc.malloc.hugetlb=1", tunables ? tunables : "", tunables && *tunables ? ":" : "") < 0) {
                with = NULL;
                return;
        }
        if ((tunables && setenv(ORIGINAL_VAR, tunables, 1) < 0) || setenv(REEXEC_VAR, "1", 1) < 0 ||
            setenv("GLIBC_TUNABLES", with, 1) < 0) {
                restore_env();
                return;
        }
        execv(exe, argv);
        restore_env(); /* no exec: go on as we are */
#else
        (void) argv;
#endif
}
