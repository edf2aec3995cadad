/* daemon/fleet-libs.h: libcurl and jansson for the fleet (etcd.c, fleet.c), loaded with dlopen()
 * only when a fleet is configured (fleet-libs.c), so that a tockd in no fleet does not carry them:
 * linked, libcurl brings some 30 libraries (OpenSSL, Kerberos, LDAP, ...) into every tockd, 5.7 MB
 * more resident memory and twice the start-up time. Include this instead of <curl/curl.h> and
 * <jansson.h>: each function the fleet calls becomes a call through fleet_libs, which
 * fleet_libs_load() fills before the first etcd client exists (etcd_new()); every call is behind
 * one, and the libraries are never unloaded. */
#pragma once

#define CURL_DISABLE_TYPECHECK 1 /* plain prototypes: curl_easy_setopt() is no macro then */
#include <curl/curl.h>
#include <jansson.h>

/* X(library, return type, name, parameters) */
#define FLEET_LIBS_FUNCTIONS(X)                                                                             \
        X(curl, void, curl_easy_cleanup, (CURL * h))                                                        \
        X(curl, CURLcode, curl_easy_getinfo, (CURL * h, CURLINFO info, ...))                                \
        X(curl, CURL *, curl_easy_init, (void))                                                             \
        X(curl, void, curl_easy_reset, (CURL * h))                                                          \
        X(curl, CURLcode, curl_easy_setopt, (CURL * h, CURLoption option, ...))                             \
        X(curl, const char *, curl_easy_strerror, (CURLcode code))                                          \
        X(curl, CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * h))                                    \
        X(curl, CURLMcode, curl_multi_assign, (CURLM * m, curl_socket_t s, void *p))                        \
        X(curl, CURLMcode, curl_multi_cleanup, (CURLM * m))                                                 \
        X(curl, CURLMsg *, curl_multi_info_read, (CURLM * m, int *left))                                    \
        X(curl, CURLM *, curl_multi_init, (void))                                                           \
        X(curl, CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * h))                                 \
        X(curl, CURLMcode, curl_multi_setopt, (CURLM * m, CURLMoption option, ...))                         \
        X(curl, CURLMcode, curl_multi_socket_action, (CURLM * m, curl_socket_t s, int mask, int *running)) \
        X(jansson, json_t *, json_array_get, (const json_t *a, size_t i))                                   \
        X(jansson, size_t, json_array_size, (const json_t *a))                                              \
        X(jansson, void, json_delete, (json_t * j))                                                         \
        X(jansson, char *, json_dumps, (const json_t *j, size_t flags))                                     \
        X(jansson, json_int_t, json_integer_value, (const json_t *j))                                       \
        X(jansson, json_t *, json_loads, (const char *s, size_t flags, json_error_t *e))                    \
        X(jansson, json_t *, json_object_get, (const json_t *o, const char *key))                           \
        X(jansson, int, json_object_set_new, (json_t * o, const char *key, json_t *v))                      \
        X(jansson, json_t *, json_pack, (const char *fmt, ...))                                             \
        X(jansson, json_t *, json_string, (const char *s))                                                  \
        X(jansson, const char *, json_string_value, (const json_t *j))

#define FLEET_LIBS_MEMBER(lib, ret, name, params) ret(*name) params;
extern struct fleet_libs {
        FLEET_LIBS_FUNCTIONS(FLEET_LIBS_MEMBER)
} fleet_libs;
#undef FLEET_LIBS_MEMBER

/* Loads both libraries and every function above, once; later calls return what the first did.
 * Returns 0, or -ELIBACC with *ret_why saying what is missing (static, not to be freed). */
int fleet_libs_load(const char **ret_why);

#ifndef FLEET_LIBS_IMPL
#undef curl_easy_setopt  /* curl.h's own macros, even without its type checks */
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_cleanup (*fleet_libs.curl_easy_cleanup)
#define curl_easy_getinfo (*fleet_libs.curl_easy_getinfo)
#define curl_easy_init (*fleet_libs.curl_easy_init)
#define curl_easy_reset (*fleet_libs.curl_easy_reset)
#define curl_easy_setopt (*fleet_libs.curl_easy_setopt)
#define curl_easy_strerror (*fleet_libs.curl_easy_strerror)
#define curl_multi_add_handle (*fleet_libs.curl_multi_add_handle)
#define curl_multi_assign (*fleet_libs.curl_multi_assign)
#define curl_multi_cleanup (*fleet_libs.curl_multi_cleanup)
#define curl_multi_info_read (*fleet_libs.curl_multi_info_read)
#define curl_multi_init (*fleet_libs.curl_multi_init)
#define curl_multi_remove_handle (*fleet_libs.curl_multi_remove_handle)
#define curl_multi_setopt (*fleet_libs.curl_multi_setopt)
#define curl_multi_socket_action (*fleet_libs.curl_multi_socket_action)
#define json_array_get (*fleet_libs.json_array_get)
#define json_array_size (*fleet_libs.json_array_size)
#define json_delete (*fleet_libs.json_delete)
#define json_dumps (*fleet_libs.json_dumps)
#define json_integer_value (*fleet_libs.json_integer_value)
#define json_loads (*fleet_libs.json_loads)
#define json_object_get (*fleet_libs.json_object_get)
#define json_object_set_new (*fleet_libs.json_object_set_new)
#define json_pack (*fleet_libs.json_pack)
#define json_string (*fleet_libs.json_string)
#define json_string_value (*fleet_libs.json_string_value)
/* jansson's json_decref() is an inline that calls json_delete() by name: ours calls the pointer */
static inline void fleet_json_decref(json_t *j) {
        if (j && j->refcount != (size_t) -1 && JSON_INTERNAL_DECREF(j) == 0)
                json_delete(j);
}
#define json_decref(j) fleet_json_decref(j)
#endif
