/* LD_PRELOAD shim for before/after measurements of the HTTP client's libcurl settings without a rebuild:
 * ignores CURLMOPT_MAXCONNECTS and CURLOPT_PIPEWAIT, so a binary behaves as it did before
 * Sources/HTTPClient set them. Build: gcc -shared -fPIC -O2 -o /tmp/curl-defaults.so hack/curl-defaults-preload.c -ldl
 * Use: LD_PRELOAD=/tmp/curl-defaults.so .build/release/ecr-bench reconcile --trace-connects */
#define _GNU_SOURCE
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>

CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...) {
    va_list args;
    va_start(args, option);
    void *value = va_arg(args, void *); /* every option takes one long, pointer or curl_off_t: 64 bits */
    va_end(args);
    if (option == CURLMOPT_MAXCONNECTS) return CURLM_OK;
    CURLMcode (*real)(CURLM *, CURLMoption, ...) = dlsym(RTLD_NEXT, "curl_multi_setopt");
    return real(multi, option, value);
}

CURLcode curl_easy_setopt(CURL *handle, CURLoption option, ...) {
    va_list args;
    va_start(args, option);
    void *value = va_arg(args, void *);
    va_end(args);
    if (option == CURLOPT_PIPEWAIT) return CURLE_OK;
    CURLcode (*real)(CURL *, CURLoption, ...) = dlsym(RTLD_NEXT, "curl_easy_setopt");
    return real(handle, option, value);
}
