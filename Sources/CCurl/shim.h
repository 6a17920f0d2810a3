#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
#include <curl/curl.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic, which Swift cannot call;
// these typed wrappers are what this module adds, with the few epoll calls of the client's loop and its thread name.
static inline CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ccurl_easy_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ccurl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ccurl_easy_setopt_write(CURL *h, CURLoption o, size_t (*f)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, o, f);
}
static inline CURLcode ccurl_easy_setopt_xferinfo(CURL *h, curl_xferinfo_callback f) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f);
}
static inline CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode ccurl_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode ccurl_multi_setopt_ptr(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode ccurl_multi_setopt_socketfunction(CURLM *m, curl_socket_callback f) {
    return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f);
}
static inline CURLMcode ccurl_multi_setopt_timerfunction(CURLM *m, curl_multi_timer_callback f) {
    return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, f);
}
static const curl_socket_t ccurl_socket_timeout = CURL_SOCKET_TIMEOUT;

// The client loop's epoll set (Swift's Glibc module imports neither <sys/epoll.h> nor <sys/eventfd.h>).
static inline int ccurl_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
static inline int ccurl_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/// Watches `fd` for what libcurl asked (CURL_POLL_IN, _OUT or _INOUT), level-triggered: adds an entry when
/// `known` is 0, else modifies it; either falls back to the other (a socket closed unannounced, its number reused).
/// 0, or -1 with errno set.
static inline int ccurl_epoll_watch(int ep, int fd, int what, int known) {
    struct epoll_event event = {0};
    event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    event.data.fd = fd;
    int first = known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(ep, first, fd, &event) == 0) return 0;
    if (errno != (known ? ENOENT : EEXIST)) return -1;
    return epoll_ctl(ep, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

/// Stops watching `fd` (already closed is fine: the kernel dropped it then).
static inline void ccurl_epoll_forget(int ep, int fd) { (void)epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); }

/// Waits up to `timeout` ms for at most `capacity` (<= 64) ready descriptors; writes each one's number and its
/// readiness as libcurl's CURL_CSELECT_* bits. Returns how many, or -1 with errno set.
static inline int ccurl_epoll_wait(int ep, int *fds, int *masks, int capacity, int timeout) {
    struct epoll_event events[64];
    int n = epoll_wait(ep, events, capacity < 64 ? capacity : 64, timeout);
    for (int i = 0; i < n; i++) {
        uint32_t ready = events[i].events;
        fds[i] = events[i].data.fd;
        masks[i] = ((ready & (EPOLLIN | EPOLLHUP)) ? CURL_CSELECT_IN : 0) | ((ready & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
            | ((ready & EPOLLERR) ? CURL_CSELECT_ERR : 0);
    }
    return n;
}

/// Names the calling thread (at most 15 bytes are kept); for the client's loop thread.
static inline void ccurl_name_this_thread(const char *name) { (void)prctl(PR_SET_NAME, name, 0, 0, 0); }

static inline int ccurl_supports_http2(void) {
    return (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2) != 0;
}
#endif
