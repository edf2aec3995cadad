/* ctl/export-ctx.h: what cmd-export.c (the command, the checks) hands export-write.c (the files). */
#pragma once

#include "ctl.h"
#include "export.h"

#define EXPORT_USAGE                                                                                                   \
        "export --to kubernetes|systemd [--system] [--image IMAGE] [--namespace NS] [--prefix NAME] [--tz ZONE] "     \
        "[--from T] [--strict] [-o DIR] FILE"
#define EXPORT_DEFAULT_IMAGE "debian:bookworm-slim"

enum export_target {
        EXPORT_K8S,
        EXPORT_SYSTEMD,
};

struct export_job {
        struct entry_view v;
        const struct tz *zone;              /* borrowed: the cache's or the context's */
        const char *zone_name;              /* NULL: the local zone, which has no name */
        char name[EXPORT_NAME_MAX + 1];     /* DNS-1123; "" when none could be made */
        char cron[EXPORT_SPEC_MAX];         /* Kubernetes: the five fields */
        char calendar[2][EXPORT_SPEC_MAX];  /* systemd: OnCalendar= values */
        int n_calendar;
        bool exported;                      /* false: the target cannot express it (a message says why) */
};

struct export_ctx {
        enum export_target target;
        enum crontab_mode mode;
        const char *file, *shown, *image, *namespace, *prefix, *dir;
        bool strict;
        int64_t from, to; /* the horizon of the daylight-saving comparison */
        struct tz *local;
        const char *local_name;
        struct tzdb_cache zones;
        char *text;
        size_t len;
        struct crontab *table;
        struct export_job *jobs;
        size_t n_jobs;
        struct diag_list diags;
};

/* Writes every exported job to x->dir (files NAME.yaml, or NAME.service and NAME.timer) or to
 * standard output. Returns how many jobs were written, or -errno (after a message). */
int export_write(const struct export_ctx *x);
