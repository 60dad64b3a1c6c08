/*
 * netsys: signalbox's one native addon (DESIGN.md, native/). Generic system calls only, no
 * protocol knowledge: AF_PACKET sockets bound to an interface with a classic BPF filter,
 * receive through uv_poll on Node's own loop, send of whole frames, multicast membership, and
 * setsockopt/getsockopt, and TCP sockets opened here so that TCP MD5 (RFC 2385), GTSM
 * (RFC 5082: TTL and minimum TTL) and bind to device are set before the SYN, then handed to
 * node:net by fd. All frame encoding and decoding is TypeScript (protocol/l2); the only door to this
 * file is src/platform/netsys.ts.
 *
 * Node-API only (napi_*, NAPI_VERSION 8), so one build runs on every Node version >= 16
 * without recompiling; libuv is used through uv-min.h (see there).
 *
 * Errors: every failed system call throws an Error with `errno` (number), `code` ("EPERM"),
 * `syscall` ("bind") and a message naming the call and its argument; bad arguments throw a
 * TypeError/RangeError with `code` "ERR_INVALID_ARG". The TypeScript door maps them to typed
 * errors by `errno`/`code`, never by message.
 *
 * Threads: every call and every callback runs on the JS thread of the env that loaded the
 * module (the uv loop of that env); state is per env (napi_set_instance_data), so workers
 * each get their own.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>

#include "uv-min.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73 /* linux/in6.h, Linux 2.6.35 */
#endif
#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif

/* Largest frame copied to JS; longer ones (GRO on veth) arrive truncated to this. */
#define RECV_BUFFER 65536
/* Frames handled per readiness event before yielding to the rest of the loop. */
#define RECV_BATCH 64

typedef struct receiver {
  struct receiver *next;
  napi_env env;
  int fd;
  uv_poll_t *poll;
  napi_ref callback;
  napi_ref resource;
  napi_async_context async;
  int stopped;  /* uv_poll_stop done; close callback pending */
  int released; /* JS references already deleted (env cleanup) */
} receiver;

typedef struct {
  receiver *receivers;
  unsigned char buffer[RECV_BUFFER];
} instance;

/* ---------- errors ---------- */

static const char *errno_name(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *n = strerrorname_np(err);
  if (n != NULL) return n;
#endif
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case ENETDOWN: return "ENETDOWN";
    case EAGAIN: return "EAGAIN";
    case EBUSY: return "EBUSY";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENOENT: return "ENOENT";
    default: return "EUNKNOWN";
  }
}

static napi_value errno_error(napi_env env, int err, const char *syscall, const char *detail) {
  char message[256];
  snprintf(message, sizeof message, "%s(%s) failed: %s (%s)", syscall, detail, strerror(err), errno_name(err));
  napi_value msg, code, error, value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  return error;
}

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  napi_throw(env, errno_error(env, err, syscall, detail));
  return NULL;
}

/* The same, for a call on one socket: the detail names the fd. */
static napi_value throw_fd_errno(napi_env env, int err, const char *syscall, int fd) {
  char detail[32];
  snprintf(detail, sizeof detail, "fd %d", fd);
  return throw_errno(env, err, syscall, detail);
}

static napi_value throw_arg(napi_env env, int range, const char *message) {
  if (range)
    napi_throw_range_error(env, "ERR_INVALID_ARG", message);
  else
    napi_throw_type_error(env, "ERR_INVALID_ARG", message);
  return NULL;
}

/* ---------- arguments ---------- */

#define ARGS(n)                                                              \
  size_t argc = (n);                                                         \
  napi_value argv[(n) > 0 ? (n) : 1];                                        \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;

static int get_int(napi_env env, napi_value v, const char *name, int64_t min, int64_t max, int64_t *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  char message[128];
  if (t != napi_number) {
    snprintf(message, sizeof message, "%s must be a number", name);
    throw_arg(env, 0, message);
    return 0;
  }
  double d;
  napi_get_value_double(env, v, &d);
  if (d != (double)(int64_t)d || d < (double)min || d > (double)max) {
    snprintf(message, sizeof message, "%s must be an integer in [%lld, %lld]", name, (long long)min,
             (long long)max);
    throw_arg(env, 1, message);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_undefined || t == napi_null;
}

/* A Uint8Array (Buffer included): pointer to its first element and its length. */
static int get_bytes(napi_env env, napi_value v, const char *name, unsigned char **data, size_t *len) {
  bool is;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type type;
    void *p;
    napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL);
    if (type == napi_uint8_array) {
      *data = p;
      return 1;
    }
  }
  char message[128];
  snprintf(message, sizeof message, "%s must be a Uint8Array", name);
  throw_arg(env, 0, message);
  return 0;
}

static int get_fd(napi_env env, napi_value v, int *fd) {
  int64_t x;
  if (!get_int(env, v, "fd", 0, INT32_MAX, &x)) return 0;
  *fd = (int)x;
  return 1;
}

static int get_mac(napi_env env, napi_value v, unsigned char mac[6]) {
  unsigned char *p;
  size_t len;
  if (!get_bytes(env, v, "mac", &p, &len)) return 0;
  if (len != 6) {
    throw_arg(env, 1, "mac must be 6 octets");
    return 0;
  }
  memcpy(mac, p, 6);
  return 1;
}

static napi_value number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

static napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

static instance *get_instance(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

/* ---------- packet sockets ---------- */

static int membership(int fd, int ifindex, const unsigned char mac[6], int add) {
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = ifindex;
  mr.mr_type = PACKET_MR_MULTICAST;
  mr.mr_alen = 6;
  memcpy(mr.mr_address, mac, 6);
  return setsockopt(fd, SOL_PACKET, add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr, sizeof mr);
}

/*
 * openPacket(ifindex, protocol, bpf?, multicastMacs?) -> fd
 * The socket is created with protocol 0 (it receives nothing), the filter is attached, and
 * only then is it bound to the interface and protocol: no unfiltered frame is ever queued.
 */
static napi_value open_packet(napi_env env, napi_callback_info info) {
  ARGS(4);
  int64_t ifindex, protocol;
  if (!get_int(env, argv[0], "ifindex", 1, INT32_MAX, &ifindex)) return NULL;
  if (!get_int(env, argv[1], "protocol", 0, 0xffff, &protocol)) return NULL;
  unsigned char *bpf = NULL;
  size_t bpf_len = 0;
  if (argc > 2 && !is_nullish(env, argv[2])) {
    if (!get_bytes(env, argv[2], "bpf", &bpf, &bpf_len)) return NULL;
    if (bpf_len == 0 || bpf_len % sizeof(struct sock_filter) != 0 ||
        bpf_len / sizeof(struct sock_filter) > BPF_MAXINSNS)
      return throw_arg(env, 1, "bpf must be 1 to 4096 struct sock_filter (8 octets each)");
  }
  uint32_t macs = 0;
  napi_value list = NULL;
  if (argc > 3 && !is_nullish(env, argv[3])) {
    bool is_array;
    napi_is_array(env, argv[3], &is_array);
    if (!is_array) return throw_arg(env, 0, "multicastMacs must be an array of Uint8Array");
    list = argv[3];
    napi_get_array_length(env, list, &macs);
  }

  char detail[96];
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", "AF_PACKET, SOCK_RAW");
  if (bpf != NULL) {
    struct sock_fprog prog = {.len = (unsigned short)(bpf_len / sizeof(struct sock_filter)),
                              .filter = (struct sock_filter *)bpf};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
      int err = errno;
      close(fd);
      snprintf(detail, sizeof detail, "SO_ATTACH_FILTER, %u instructions", prog.len);
      return throw_errno(env, err, "setsockopt", detail);
    }
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons((uint16_t)protocol);
  sll.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    int err = errno;
    close(fd);
    snprintf(detail, sizeof detail, "ifindex %lld, protocol 0x%04llx", (long long)ifindex, (long long)protocol);
    return throw_errno(env, err, "bind", detail);
  }
  /* Linux >= 4.20; older kernels: the TypeScript door drops PACKET_OUTGOING frames itself. */
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0 && errno != ENOPROTOOPT &&
      errno != EINVAL) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "setsockopt", "PACKET_IGNORE_OUTGOING");
  }
  for (uint32_t i = 0; i < macs; i++) {
    napi_value item;
    unsigned char mac[6];
    napi_get_element(env, list, i, &item);
    if (!get_mac(env, item, mac)) {
      close(fd);
      return NULL;
    }
    if (membership(fd, (int)ifindex, mac, 1) < 0) {
      int err = errno;
      close(fd);
      snprintf(detail, sizeof detail, "PACKET_ADD_MEMBERSHIP %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
               mac[2], mac[3], mac[4], mac[5]);
      return throw_errno(env, err, "setsockopt", detail);
    }
  }
  return number(env, fd);
}

static napi_value change_membership(napi_env env, napi_callback_info info, int add) {
  ARGS(3);
  int fd;
  int64_t ifindex;
  unsigned char mac[6];
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], "ifindex", 1, INT32_MAX, &ifindex) ||
      !get_mac(env, argv[2], mac))
    return NULL;
  if (membership(fd, (int)ifindex, mac, add) < 0) {
    char detail[96];
    snprintf(detail, sizeof detail, "%s %02x:%02x:%02x:%02x:%02x:%02x",
             add ? "PACKET_ADD_MEMBERSHIP" : "PACKET_DROP_MEMBERSHIP", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return throw_errno(env, errno, "setsockopt", detail);
  }
  return undefined(env);
}

static napi_value add_membership(napi_env env, napi_callback_info info) { return change_membership(env, info, 1); }
static napi_value drop_membership(napi_env env, napi_callback_info info) { return change_membership(env, info, 0); }

/* send(fd, ifindex, frame) -> octets sent. The frame is a whole Ethernet frame. */
static napi_value send_frame(napi_env env, napi_callback_info info) {
  ARGS(3);
  int fd;
  int64_t ifindex;
  unsigned char *frame;
  size_t len;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], "ifindex", 1, INT32_MAX, &ifindex) ||
      !get_bytes(env, argv[2], "frame", &frame, &len))
    return NULL;
  if (len < 14) return throw_arg(env, 1, "frame must hold at least an Ethernet header (14 octets)");
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = (int)ifindex;
  memcpy(&sll.sll_protocol, frame + 12, 2); /* already network order */
  sll.sll_halen = 6;
  memcpy(sll.sll_addr, frame, 6);
  ssize_t n;
  do {
    n = sendto(fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&sll, sizeof sll);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    char detail[64];
    snprintf(detail, sizeof detail, "fd %d, ifindex %lld, %zu octets", fd, (long long)ifindex, len);
    return throw_errno(env, errno, "sendto", detail);
  }
  return number(env, (double)n);
}

/* ---------- receive ---------- */

static receiver *find_receiver(instance *inst, int fd) {
  for (receiver *r = inst->receivers; r != NULL; r = r->next)
    if (r->fd == fd) return r;
  return NULL;
}

static void release_js(receiver *r) {
  if (r->released) return;
  r->released = 1;
  napi_delete_reference(r->env, r->callback);
  napi_delete_reference(r->env, r->resource);
  napi_async_destroy(r->env, r->async);
}

static void on_closed(uv_handle_t *handle) {
  receiver *r = uv_handle_get_data(handle);
  /* Deferred to here so a callback that stops its own receiver never frees what is running. */
  release_js(r);
  free(r->poll);
  free(r);
}

static void stop_receiver(instance *inst, receiver *r) {
  if (r->stopped) return;
  r->stopped = 1;
  uv_poll_stop(r->poll); /* removes the fd from epoll at once: closing it afterwards is safe */
  for (receiver **p = &inst->receivers; *p != NULL; p = &(*p)->next)
    if (*p == r) {
      *p = r->next;
      break;
    }
  uv_close((uv_handle_t *)r->poll, on_closed);
}

/* Calls callback(errno, frame, pkttype); returns 0 if it threw (the exception is reported). */
static int deliver(receiver *r, int err, napi_value frame, int pkttype) {
  napi_env env = r->env;
  napi_value callback, resource, argv[3], result;
  napi_get_reference_value(env, r->callback, &callback);
  napi_get_reference_value(env, r->resource, &resource);
  napi_create_int32(env, err, &argv[0]);
  if (frame == NULL)
    napi_get_null(env, &argv[1]);
  else
    argv[1] = frame;
  napi_create_int32(env, pkttype, &argv[2]);
  napi_status s = napi_make_callback(env, r->async, resource, callback, 3, argv, &result);
  if (s == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception); /* process 'uncaughtException', as for any callback */
    return 0;
  }
  return 1;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  receiver *r = uv_handle_get_data((uv_handle_t *)handle);
  napi_env env = r->env;
  instance *inst = get_instance(env);
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (status < 0) {
    /* libuv reports -errno; the fd cannot be polled any more. */
    stop_receiver(inst, r);
    deliver(r, -status, NULL, 0);
  } else {
    for (int i = 0; i < RECV_BATCH && !r->stopped; i++) {
      struct sockaddr_ll from;
      socklen_t from_len = sizeof from;
      ssize_t n = recvfrom(r->fd, inst->buffer, RECV_BUFFER, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
                           &from_len);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        /* e.g. ENETDOWN when the link goes down: reported once, the socket stays usable. */
        deliver(r, errno, NULL, 0);
        break;
      }
      size_t len = (size_t)n > RECV_BUFFER ? RECV_BUFFER : (size_t)n;
      napi_value frame;
      void *copy;
      if (napi_create_buffer_copy(env, len, inst->buffer, &copy, &frame) != napi_ok) break;
      if (!deliver(r, 0, frame, from.sll_pkttype)) break;
    }
  }
  napi_close_handle_scope(env, scope);
}

/* startReceive(fd, callback(errno, frame | null, pkttype)) */
static napi_value start_receive(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd;
  if (!get_fd(env, argv[0], &fd)) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return throw_arg(env, 0, "callback must be a function");
  instance *inst = get_instance(env);
  if (find_receiver(inst, fd) != NULL) return throw_errno(env, EBUSY, "startReceive", "already receiving");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, (struct uv_loop_s **)&loop) != napi_ok)
    return throw_errno(env, EINVAL, "napi_get_uv_event_loop", "");
  receiver *r = calloc(1, sizeof *r);
  uv_poll_t *poll = malloc(uv_handle_size(SBX_UV_POLL));
  if (r == NULL || poll == NULL) {
    free(r);
    free(poll);
    return throw_errno(env, ENOMEM, "malloc", "receiver");
  }
  int rc = uv_poll_init(loop, poll, fd);
  if (rc < 0) {
    free(r);
    free(poll);
    return throw_fd_errno(env, -rc, "uv_poll_init", fd);
  }
  r->env = env;
  r->fd = fd;
  r->poll = poll;
  uv_handle_set_data((uv_handle_t *)poll, r);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "signalbox.PacketReceive", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[1], 1, &r->callback);
  napi_create_reference(env, resource, 1, &r->resource);
  napi_async_init(env, resource, name, &r->async);
  r->next = inst->receivers;
  inst->receivers = r;
  rc = uv_poll_start(poll, SBX_UV_READABLE, on_readable);
  if (rc < 0) {
    stop_receiver(inst, r);
    return throw_fd_errno(env, -rc, "uv_poll_start", fd);
  }
  return undefined(env);
}

/* stopReceive(fd) -> whether a receiver was running */
static napi_value stop_receive(napi_env env, napi_callback_info info) {
  ARGS(1);
  int fd;
  if (!get_fd(env, argv[0], &fd)) return NULL;
  instance *inst = get_instance(env);
  receiver *r = find_receiver(inst, fd);
  if (r != NULL) stop_receiver(inst, r);
  napi_value v;
  napi_get_boolean(env, r != NULL, &v);
  return v;
}

/* close(fd): stops receiving first, so the fd is never closed while polled. */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  ARGS(1);
  int fd;
  if (!get_fd(env, argv[0], &fd)) return NULL;
  instance *inst = get_instance(env);
  receiver *r = find_receiver(inst, fd);
  if (r != NULL) stop_receiver(inst, r);
  if (close(fd) < 0 && errno != EINTR) {
    return throw_fd_errno(env, errno, "close", fd);
  }
  return undefined(env);
}

/* ---------- socket options, interfaces ---------- */

static napi_value setsockopt_int(napi_env env, napi_callback_info info) {
  ARGS(4);
  int fd;
  int64_t level, name, value;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], "level", 0, INT32_MAX, &level) ||
      !get_int(env, argv[2], "name", 0, INT32_MAX, &name) ||
      !get_int(env, argv[3], "value", INT32_MIN, INT32_MAX, &value))
    return NULL;
  int v = (int)value;
  if (setsockopt(fd, (int)level, (int)name, &v, sizeof v) < 0) {
    char detail[64];
    snprintf(detail, sizeof detail, "fd %d, level %lld, name %lld", fd, (long long)level, (long long)name);
    return throw_errno(env, errno, "setsockopt", detail);
  }
  return undefined(env);
}

static napi_value getsockopt_int(napi_env env, napi_callback_info info) {
  ARGS(3);
  int fd;
  int64_t level, name;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], "level", 0, INT32_MAX, &level) ||
      !get_int(env, argv[2], "name", 0, INT32_MAX, &name))
    return NULL;
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, (int)level, (int)name, &v, &len) < 0) {
    char detail[64];
    snprintf(detail, sizeof detail, "fd %d, level %lld, name %lld", fd, (long long)level, (long long)name);
    return throw_errno(env, errno, "getsockopt", detail);
  }
  return number(env, v);
}

/* setsockoptBuffer(fd, level, name, bytes): struct-valued options (TCP_MD5SIG, ifname, ...). */
static napi_value setsockopt_buffer(napi_env env, napi_callback_info info) {
  ARGS(4);
  int fd;
  int64_t level, name;
  unsigned char *data;
  size_t len;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], "level", 0, INT32_MAX, &level) ||
      !get_int(env, argv[2], "name", 0, INT32_MAX, &name) || !get_bytes(env, argv[3], "value", &data, &len))
    return NULL;
  if (setsockopt(fd, (int)level, (int)name, data, (socklen_t)len) < 0) {
    char detail[80];
    snprintf(detail, sizeof detail, "fd %d, level %lld, name %lld, %zu octets", fd, (long long)level,
             (long long)name, len);
    return throw_errno(env, errno, "setsockopt", detail);
  }
  return undefined(env);
}

/* ---------- TCP sockets (BGP: TCP MD5, GTSM, bind to device) ---------- */

/*
 * Why TCP sockets are opened here and not by node:net: TCP_MD5SIG (RFC 2385) must be set
 * before the SYN leaves, and IP_MINTTL / SO_BINDTODEVICE before connect() or listen(); Node
 * offers no hook between socket() and connect(). So the addon creates the socket, the
 * TypeScript door sets its options, binds it and hands the fd to node:net: `new
 * net.Socket({ fd }).connect()` (libuv connects an opened, unconnected fd) or `server.listen({
 * fd })`. From then on Node owns the fd and closes it.
 */

/* An address argument: a Uint8Array of 4 (IPv4) or 16 (IPv6) octets, network order. */
static int get_ip(napi_env env, napi_value v, const char *name, unsigned char ip[16], int *family) {
  unsigned char *p;
  size_t len;
  if (!get_bytes(env, v, name, &p, &len)) return 0;
  if (len != 4 && len != 16) {
    char message[96];
    snprintf(message, sizeof message, "%s must be 4 (IPv4) or 16 (IPv6) octets", name);
    throw_arg(env, 1, message);
    return 0;
  }
  memcpy(ip, p, len);
  *family = len == 4 ? AF_INET : AF_INET6;
  return 1;
}

/* The socket's own family (AF_INET, AF_INET6), or -1 with errno. */
static int socket_family(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
  return ss.ss_family;
}

/*
 * Fills `out` with an address for a socket of family `sock_family`: an IPv4 address on an
 * IPv6 socket becomes ::ffff:a.b.c.d (the kernel wants that form for dual-stack sockets, in
 * bind() and in TCP_MD5SIG alike). Returns the length, or 0 for IPv6 on an IPv4 socket.
 */
static socklen_t fill_sockaddr(struct sockaddr_storage *out, int sock_family, const unsigned char ip[16], int family,
                               int port) {
  memset(out, 0, sizeof *out);
  if (sock_family == AF_INET) {
    if (family != AF_INET) return 0;
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    memcpy(&sin->sin_addr, ip, 4);
    return sizeof *sin;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons((uint16_t)port);
  if (family == AF_INET) {
    sin6->sin6_addr.s6_addr[10] = 0xff;
    sin6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&sin6->sin6_addr.s6_addr[12], ip, 4);
  } else {
    memcpy(&sin6->sin6_addr, ip, 16);
  }
  return sizeof *sin6;
}

static void ip_text(char *out, size_t size, const unsigned char ip[16], int family) {
  if (inet_ntop(family, ip, out, (socklen_t)size) == NULL) snprintf(out, size, "?");
}

/* tcpSocket(family 4 | 6) -> fd: a non-blocking, close-on-exec TCP socket, not yet bound. */
static napi_value tcp_socket(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t family;
  if (!get_int(env, argv[0], "family", 4, 6, &family)) return NULL;
  if (family == 5) return throw_arg(env, 1, "family must be 4 or 6");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", family == 4 ? "AF_INET, SOCK_STREAM" : "AF_INET6, SOCK_STREAM");
  return number(env, fd);
}

/*
 * bind(fd, address, port, reuseAddress): SO_REUSEADDR first when asked (a listener that
 * restarts while old connections sit in TIME_WAIT), as libuv does for node:net listeners.
 */
static napi_value bind_tcp(napi_env env, napi_callback_info info) {
  ARGS(4);
  int fd, family;
  int64_t port;
  unsigned char ip[16];
  if (!get_fd(env, argv[0], &fd) || !get_ip(env, argv[1], "address", ip, &family) ||
      !get_int(env, argv[2], "port", 0, 65535, &port))
    return NULL;
  bool reuse = false;
  if (argc > 3 && !is_nullish(env, argv[3])) napi_get_value_bool(env, argv[3], &reuse);
  char text[INET6_ADDRSTRLEN], detail[96];
  ip_text(text, sizeof text, ip, family);
  snprintf(detail, sizeof detail, "fd %d, %s port %lld", fd, text, (long long)port);
  int sf = socket_family(fd);
  if (sf < 0) return throw_errno(env, errno, "getsockname", detail);
  if (reuse) {
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
      return throw_errno(env, errno, "setsockopt", "SO_REUSEADDR");
  }
  struct sockaddr_storage ss;
  socklen_t len = fill_sockaddr(&ss, sf, ip, family, (int)port);
  if (len == 0) return throw_errno(env, EAFNOSUPPORT, "bind", detail);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return throw_errno(env, errno, "bind", detail);
  return undefined(env);
}

/* listen(fd, backlog) */
static napi_value listen_tcp(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd;
  int64_t backlog;
  if (!get_fd(env, argv[0], &fd) || !get_int(env, argv[1], "backlog", 1, 65535, &backlog)) return NULL;
  if (listen(fd, (int)backlog) < 0) {
    return throw_fd_errno(env, errno, "listen", fd);
  }
  return undefined(env);
}

/*
 * tcpMd5(fd, peer, key | null): sets (or, with null, deletes) the RFC 2385 key for one peer
 * address on a TCP socket, listening or not yet connected (struct tcp_md5sig, linux/tcp.h).
 * The key never appears in an error: messages name the fd and the peer only.
 */
static napi_value tcp_md5(napi_env env, napi_callback_info info) {
  ARGS(3);
  int fd, family;
  unsigned char ip[16];
  if (!get_fd(env, argv[0], &fd) || !get_ip(env, argv[1], "peer", ip, &family)) return NULL;
  unsigned char *key = NULL;
  size_t key_len = 0;
  if (argc > 2 && !is_nullish(env, argv[2])) {
    if (!get_bytes(env, argv[2], "key", &key, &key_len)) return NULL;
    if (key_len == 0 || key_len > TCP_MD5SIG_MAXKEYLEN)
      return throw_arg(env, 1, "key must be 1 to 80 octets (TCP_MD5SIG_MAXKEYLEN)");
  }
  char text[INET6_ADDRSTRLEN], detail[112];
  ip_text(text, sizeof text, ip, family);
  snprintf(detail, sizeof detail, "fd %d, TCP_MD5SIG %s %s", fd, key ? "set for" : "delete for", text);
  int sf = socket_family(fd);
  if (sf < 0) return throw_errno(env, errno, "getsockname", detail);
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  if (fill_sockaddr(&sig.tcpm_addr, sf, ip, family, 0) == 0) return throw_errno(env, EAFNOSUPPORT, "setsockopt", detail);
  sig.tcpm_keylen = (uint16_t)key_len;
  if (key != NULL) memcpy(sig.tcpm_key, key, key_len);
  int rc = setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig);
  int err = errno;
  /* The key is not needed any more on this side: wipe the stack copy. */
  memset(sig.tcpm_key, 0, sizeof sig.tcpm_key);
  if (rc < 0) return throw_errno(env, err, "setsockopt", detail);
  return undefined(env);
}

/*
 * savedSynTtl(fd) -> TTL (IPv4) or hop limit (IPv6) of the SYN that opened an accepted
 * connection, from TCP_SAVED_SYN (the listener needs TCP_SAVE_SYN = 1, Linux >= 4.2); -1 when
 * none was saved. The kernel hands the saved headers out once. For GTSM (RFC 5082) on the
 * passive side: a peer too far away is refused before anything it sent is read.
 */
static napi_value saved_syn_ttl(napi_env env, napi_callback_info info) {
  ARGS(1);
  int fd;
  if (!get_fd(env, argv[0], &fd)) return NULL;
  unsigned char headers[512];
  socklen_t len = sizeof headers;
  if (getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, headers, &len) < 0) {
    if (errno == ENOENT || errno == ENOPROTOOPT) return number(env, -1);
    char detail[48];
    snprintf(detail, sizeof detail, "fd %d, TCP_SAVED_SYN", fd);
    return throw_errno(env, errno, "getsockopt", detail);
  }
  if (len >= 20 && (headers[0] >> 4) == 4) return number(env, headers[8]);
  if (len >= 40 && (headers[0] >> 4) == 6) return number(env, headers[7]);
  return number(env, -1);
}

/* socketFamily(fd) -> 4 | 6 (AF_INET6 sockets also carry IPv4 peers as ::ffff:a.b.c.d). */
static napi_value socket_family_of(napi_env env, napi_callback_info info) {
  ARGS(1);
  int fd;
  if (!get_fd(env, argv[0], &fd)) return NULL;
  int sf = socket_family(fd);
  if (sf < 0) {
    return throw_fd_errno(env, errno, "getsockname", fd);
  }
  return number(env, sf == AF_INET ? 4 : sf == AF_INET6 ? 6 : 0);
}

/* ifindex(name) -> index (if_nametoindex) */
static napi_value ifindex_of(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[IF_NAMESIZE + 1];
  size_t len;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t != napi_string) return throw_arg(env, 0, "name must be a string");
  napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len);
  if (len == 0 || len >= IF_NAMESIZE) return throw_arg(env, 1, "name must be 1 to 15 characters");
  unsigned idx = if_nametoindex(name);
  if (idx == 0) return throw_errno(env, errno, "if_nametoindex", name);
  return number(env, idx);
}

/* ---------- module ---------- */

static void cleanup(void *data) {
  /* Env teardown (exit, worker end): stop every poll and drop JS references while the env lives. */
  instance *inst = data;
  while (inst->receivers != NULL) {
    receiver *r = inst->receivers;
    release_js(r);
    stop_receiver(inst, r);
  }
}

static void finalize_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static void set_constant(napi_env env, napi_value obj, const char *name, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

NAPI_MODULE_INIT() {
  instance *inst = calloc(1, sizeof *inst);
  if (inst == NULL) return NULL;
  napi_set_instance_data(env, inst, finalize_instance, NULL);
  napi_add_env_cleanup_hook(env, cleanup, inst);

  napi_property_descriptor fns[] = {
      {"openPacket", NULL, open_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startReceive", NULL, start_receive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopReceive", NULL, stop_receive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_frame, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addMembership", NULL, add_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropMembership", NULL, drop_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setsockoptInt", NULL, setsockopt_int, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getsockoptInt", NULL, getsockopt_int, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setsockoptBuffer", NULL, setsockopt_buffer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifindex", NULL, ifindex_of, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpSocket", NULL, tcp_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bind", NULL, bind_tcp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listen", NULL, listen_tcp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpMd5", NULL, tcp_md5, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketFamily", NULL, socket_family_of, NULL, NULL, NULL, napi_enumerable, NULL},
      {"savedSynTtl", NULL, saved_syn_ttl, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);

  napi_value c;
  napi_create_object(env, &c);
  set_constant(env, c, "ETH_P_ALL", ETH_P_ALL);
  set_constant(env, c, "ETH_P_ARP", ETH_P_ARP);
  set_constant(env, c, "ETH_P_IPV6", ETH_P_IPV6);
  set_constant(env, c, "PACKET_HOST", PACKET_HOST);
  set_constant(env, c, "PACKET_BROADCAST", PACKET_BROADCAST);
  set_constant(env, c, "PACKET_MULTICAST", PACKET_MULTICAST);
  set_constant(env, c, "PACKET_OTHERHOST", PACKET_OTHERHOST);
  set_constant(env, c, "PACKET_OUTGOING", PACKET_OUTGOING);
  set_constant(env, c, "SOL_SOCKET", SOL_SOCKET);
  set_constant(env, c, "SOL_PACKET", SOL_PACKET);
  set_constant(env, c, "SO_RCVBUF", SO_RCVBUF);
  set_constant(env, c, "SO_SNDBUF", SO_SNDBUF);
  set_constant(env, c, "SO_BINDTODEVICE", SO_BINDTODEVICE);
  set_constant(env, c, "SO_MARK", SO_MARK);
  set_constant(env, c, "IPPROTO_IP", IPPROTO_IP);
  set_constant(env, c, "IPPROTO_IPV6", IPPROTO_IPV6);
  set_constant(env, c, "IPPROTO_TCP", IPPROTO_TCP);
  set_constant(env, c, "IP_TTL", IP_TTL);
  set_constant(env, c, "IP_MINTTL", IP_MINTTL);
  set_constant(env, c, "IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS);
  set_constant(env, c, "IPV6_MINHOPCOUNT", IPV6_MINHOPCOUNT);
  set_constant(env, c, "TCP_MD5SIG", TCP_MD5SIG);
  set_constant(env, c, "TCP_MD5SIG_MAXKEYLEN", TCP_MD5SIG_MAXKEYLEN);
  set_constant(env, c, "TCP_SAVE_SYN", TCP_SAVE_SYN);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}
