/* daemon/sd.h: libsystemd, wrapped. In a build without libsystemd (TOCK_NO_SYSTEMD) these are
 * stubs that do nothing, so callers carry no #ifdef. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

bool sd_available(void);
/* sd_notify(0, text); returns what sd_notify returns, 0 when not under systemd */
int sd_notify_text(const char *text);
int sd_notifyf_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the watchdog interval the unit asks for, in microseconds, or 0 */
uint64_t sd_watchdog_usec(void);
void sd_journal_sendv_wrap(const struct iovec *iov, int n);
/* the listening socket systemd passed (socket activation), or -1 */
int sd_listen_fd(void);
