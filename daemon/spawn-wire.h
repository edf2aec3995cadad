/* daemon/spawn-wire.h: the private wire between tockd (spawn.c) and its spawner (spawner.c), two
 * processes of the same binary over one SOCK_SEQPACKET socketpair: one message per request or
 * answer. tockd encodes requests and the spawner decodes them, both with spawn-wire.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SPAWN_MAX_GROUPS 1024
#define SPAWN_MSG_MAX (256u * 1024) /* one request: a table's environment must fit in it */

/* the order of struct config's rlimits[] (jobs.rlimit_*) */
#define SPAWN_RLIMIT_RESOURCES { RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_AS, RLIMIT_CPU, RLIMIT_CORE, RLIMIT_FSIZE }

/* Where a job's start failed, as the spawner reports it */
enum spawn_stage {
        SPAWN_STAGE_SETSID = 1,
        SPAWN_STAGE_STDIO,
        SPAWN_STAGE_GROUPS,
        SPAWN_STAGE_GID,
        SPAWN_STAGE_UID,
        SPAWN_STAGE_VERIFY,
        SPAWN_STAGE_CHDIR,
        SPAWN_STAGE_EXEC,
        SPAWN_STAGE_FORK,
        SPAWN_STAGE_LIMITS,
        SPAWN_STAGE_PAM_START, /* the PAM stages carry a PAM error code, not an errno */
        SPAWN_STAGE_PAM_ACCOUNT,
        SPAWN_STAGE_PAM_CREDENTIALS,
        SPAWN_STAGE_PAM_SESSION,
};

enum { SPAWN_MSG_SPAWN = 1, SPAWN_MSG_STARTED, SPAWN_MSG_EXITED };

/* tockd -> spawner; followed by n_groups gid_t, then NUL-terminated strings: home, shell,
 * command, user, PAM service, PAM directory, then n_env "NAME=value"; with two or three fds: the
 * job's stdin, its stdout (and stderr), its stderr */
struct spawn_req {
        uint32_t type, uid, gid, n_groups, umask, drop, n_env, len_strings;
        int32_t nice;
        uint32_t id;  /* comes back in SPAWN_MSG_STARTED */
        uint32_t pam; /* open a PAM session (in a process that holds it while the job runs) */
        uint32_t pad;
        int64_t rlimits[6]; /* as struct config: -1 inherit, -2 infinity */
};

/* spawner -> tockd */
struct spawn_reply {
        uint32_t type;
        int32_t pid;
        int32_t stage, err; /* SPAWN_MSG_STARTED: 0, or where and why the job could not start */
        int32_t wstatus;    /* SPAWN_MSG_EXITED */
        uint32_t id;        /* SPAWN_MSG_STARTED: the request's */
        int32_t holder;     /* SPAWN_MSG_STARTED: the PAM session holder whose child the job is, or 0 */
};

/* A request as both sides see it. Decoded, the pointers point into the message buffer but for
 * envp (NULL-terminated), which the caller frees. */
struct spawn_order {
        uint32_t id;
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        int n_groups;
        bool drop, pam;
        unsigned umask;
        int nice;
        int64_t rlimits[6];
        const char *home, *shell, *command, *user, *pam_service, *pam_dir;
        char **envp;
        size_t n_env;
};

/* Returns 0 with the message in *ret (malloc'd), or -E2BIG past SPAWN_MSG_MAX, or -ENOMEM. */
int spawn_wire_encode(const struct spawn_order *o, char **ret, size_t *ret_len);
/* Returns 0, or -EBADMSG when the message is malformed, or -ENOMEM. */
int spawn_wire_decode(char *buf, size_t len, struct spawn_order *ret);

/* spawner.c: the spawner process's whole life, on its end of the socket */
_Noreturn void spawner_main(int sock);
