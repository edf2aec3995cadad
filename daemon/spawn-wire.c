/* daemon/spawn-wire.c: encoding (tockd) and decoding (the spawner) of a spawn request, next to
 * each other so that the two stay the same format. No I/O. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spawn-wire.h"

int spawn_wire_encode(const struct spawn_order *o, char **ret, size_t *ret_len) {
        struct spawn_req req = {
                .type = SPAWN_MSG_SPAWN, .uid = o->uid, .gid = o->gid, .n_groups = (uint32_t) o->n_groups,
                .umask = o->umask, .drop = o->drop, .n_env = (uint32_t) o->n_env, .nice = o->nice,
                .id = o->id, .pam = o->pam,
        };
        const char *fixed[6] = { o->home, o->shell, o->command, o->user, o->pam_service, o->pam_dir };
        size_t len_strings = 0, len, off;
        char *buf;

        memcpy(req.rlimits, o->rlimits, sizeof req.rlimits);
        for (int i = 0; i < 6; i++)
                len_strings += strlen(fixed[i]) + 1;
        for (size_t i = 0; i < o->n_env; i++)
                len_strings += strlen(o->envp[i]) + 1;
        req.len_strings = (uint32_t) len_strings;
        len = sizeof req + req.n_groups * sizeof(gid_t) + len_strings;
        if (len > SPAWN_MSG_MAX)
                return -E2BIG;
        buf = malloc(len);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, &req, sizeof req);
        off = sizeof req;
        if (req.n_groups)
                memcpy(buf + off, o->groups, req.n_groups * sizeof(gid_t));
        off += req.n_groups * sizeof(gid_t);
#define PUT(s) (memcpy(buf + off, (s), strlen(s) + 1), off += strlen(s) + 1)
        for (int i = 0; i < 6; i++)
                PUT(fixed[i]);
        for (size_t i = 0; i < o->n_env; i++)
                PUT(o->envp[i]);
#undef PUT
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* The next NUL-terminated string at *s, or NULL past the end. */
static const char *next_string(char **s, const char *end) {
        const char *v = *s;

        if (*s >= end)
                return NULL;
        *s += strlen(*s) + 1;
        return v;
}

int spawn_wire_decode(char *buf, size_t len, struct spawn_order *ret) {
        struct spawn_order o = {};
        struct spawn_req req;
        char *s, *end = buf + len;
        const char **fixed[6] = { &o.home, &o.shell, &o.command, &o.user, &o.pam_service, &o.pam_dir };

        if (len < sizeof req)
                return -EBADMSG;
        memcpy(&req, buf, sizeof req);
        if (req.type != SPAWN_MSG_SPAWN || req.n_groups > SPAWN_MAX_GROUPS || req.n_env > 100000 ||
            sizeof req + req.n_groups * sizeof(gid_t) + req.len_strings != len || req.len_strings == 0 ||
            end[-1] != '\0')
                return -EBADMSG;
        o.id = req.id;
        o.uid = req.uid;
        o.gid = req.gid;
        o.nice = req.nice;
        memcpy(o.rlimits, req.rlimits, sizeof o.rlimits);
        o.drop = req.drop;
        o.pam = req.pam;
        o.umask = req.umask & 0777;
        o.n_groups = (int) req.n_groups;
        o.groups = (const gid_t *) (void *) (buf + sizeof req); /* buf is malloc-aligned, the header 32 bytes */
        s = buf + sizeof req + req.n_groups * sizeof(gid_t);
        for (int i = 0; i < 6; i++)
                if (!(*fixed[i] = next_string(&s, end)))
                        return -EBADMSG;
        o.envp = calloc(req.n_env + 1, sizeof(*o.envp));
        if (!o.envp)
                return -ENOMEM;
        for (uint32_t i = 0; i < req.n_env; i++)
                if (!(o.envp[i] = (char *) next_string(&s, end))) {
                        free(o.envp);
                        return -EBADMSG;
                }
        o.n_env = req.n_env;
        *ret = o;
        return 0;
}
