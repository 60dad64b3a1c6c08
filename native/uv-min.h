/*
 * The five libuv calls netsys.c uses, declared by hand so the addon builds against
 * node-api-headers alone (that package has no uv.h). Safe because libuv keeps its API and ABI
 * stable across 1.x (docs.libuv.org, "API documentation": "libuv follows semantic
 * versioning"): the handle is opaque here and allocated with uv_handle_size(UV_POLL), so its
 * layout never matters; only two enum values are hard-coded, and build.sh checks them against
 * a real uv.h whenever one is installed.
 */
#ifndef SIGNALBOX_UV_MIN_H
#define SIGNALBOX_UV_MIN_H

#include <stddef.h>

typedef struct uv_loop_s uv_loop_t;
typedef struct uv_handle_s uv_handle_t;
typedef struct uv_poll_s uv_poll_t;

typedef void (*uv_poll_cb)(uv_poll_t *handle, int status, int events);
typedef void (*uv_close_cb)(uv_handle_t *handle);

/* uv_handle_type: UV_UNKNOWN_HANDLE 0, then UV_HANDLE_TYPE_MAP order; POLL is the 8th. */
#define SBX_UV_POLL 8
/* enum uv_poll_event */
#define SBX_UV_READABLE 1

size_t uv_handle_size(int type);
int uv_poll_init(uv_loop_t *loop, uv_poll_t *handle, int fd);
int uv_poll_start(uv_poll_t *handle, int events, uv_poll_cb cb);
int uv_poll_stop(uv_poll_t *handle);
void uv_close(uv_handle_t *handle, uv_close_cb close_cb);
void *uv_handle_get_data(const uv_handle_t *handle);
void uv_handle_set_data(uv_handle_t *handle, void *data);

#endif
