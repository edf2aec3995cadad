/* daemon/fleet-libs.c: dlopen() of libcurl and jansson for the fleet (see fleet-libs.h). */
#define FLEET_LIBS_IMPL 1
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "fleet-libs.h"

struct fleet_libs fleet_libs;

int fleet_libs_load(const char **ret_why) {
        static int loaded;    /* 0: not tried; 1: loaded; -1: failed */
        static char why[256]; /* what failed, for every later call too */
        void *lib[2];

        if (loaded) {
                *ret_why = why;
                return loaded > 0 ? 0 : -ELIBACC;
        }
        loaded = -1;
        /* the sonames of Debian's libcurl4 (or libcurl3-gnutls's) and libjansson4 */
        lib[0] = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!lib[0] && !(lib[0] = dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_LOCAL))) {
                snprintf(why, sizeof why, "cannot load libcurl.so.4 (install libcurl4): %s", dlerror());
                *ret_why = why;
                return -ELIBACC;
        }
        if (!(lib[1] = dlopen("libjansson.so.4", RTLD_NOW | RTLD_LOCAL))) {
                snprintf(why, sizeof why, "cannot load libjansson.so.4 (install libjansson4): %s", dlerror());
                *ret_why = why;
                return -ELIBACC;
        }
#define FLEET_LIBS_LOAD(l, ret, name, params)                                                          \
        if (!(*(void **) &fleet_libs.name = dlsym(lib[(#l)[0] == 'j'], #name))) {                     \
                snprintf(why, sizeof why, "%s has no %s: %s", (#l)[0] == 'j' ? "libjansson.so.4" : "libcurl.so.4", \
                         #name, dlerror());                                                            \
                *ret_why = why;                                                                        \
                return -ELIBACC;                                                                       \
        }
        FLEET_LIBS_FUNCTIONS(FLEET_LIBS_LOAD)
#undef FLEET_LIBS_LOAD
        loaded = 1;
        why[0] = 0;
        *ret_why = why;
        return 0;
}
