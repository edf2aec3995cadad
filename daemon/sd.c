/* daemon/sd.c: the one file that calls libsystemd. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sd.h"
#include "util.h"

#ifndef TOCK_NO_SYSTEMD
#define SD_JOURNAL_SUPPRESS_LOCATION 1 /* CODE_FILE= would name this wrapper, not the caller */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

bool sd_available(void) {
        return true;
}

int sd_notify_text(const char *text) {
        return sd_notify(0, text);
}

uint64_t sd_watchdog_usec(void) {
        uint64_t usec = 0;
        return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void sd_journal_sendv_wrap(const struct iovec *iov, int n) {
        (void) sd_journal_sendv(iov, n);
}

int sd_listen_fd(void) {
        /* 0 keeps LISTEN_FDS in the environment: a reload asks again and gets the same answer */
        return sd_listen_fds(0) >= 1 ? SD_LISTEN_FDS_START : -1;
}
#else
int sd_listen_fd(void) {
        return -1;
}

bool sd_available(void) {
        return false;
}

int sd_notify_text(const char *text) {
        (void) text;
        return 0;
}

uint64_t sd_watchdog_usec(void) {
        return 0;
}

void sd_journal_sendv_wrap(const struct iovec *iov, int n) {
        (void) iov;
        (void) n;
}
#endif

int sd_notifyf_text(const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return sd_notify_text(s);
}
