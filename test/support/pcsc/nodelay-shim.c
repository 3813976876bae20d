/*
 * LD_PRELOAD shim for pcscd: sets TCP_NODELAY on every accepted socket. Debian's vpcd
 * writes a frame's length and payload in two writes without it, so every APDU waits
 * ~44 ms on Nagle and delayed ACKs; with it an APDU takes under a millisecond.
 * On a Unix socket (pcscd's clients) the setsockopt fails harmlessly.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void nodelay(int fd) {
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
}

int accept(int s, struct sockaddr *addr, socklen_t *len) {
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  int fd = real(s, addr, len);
  nodelay(fd);
  return fd;
}

int accept4(int s, struct sockaddr *addr, socklen_t *len, int flags) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  int fd = real(s, addr, len, flags);
  nodelay(fd);
  return fd;
}
