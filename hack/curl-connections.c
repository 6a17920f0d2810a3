/* hack/bench-curl-connections.sh: mirrors CurlLoop (one multi handle, one easy handle per request: added,
 * completed, removed, freed; CURLPIPE_MULTIPLEX; MAX_HOST_CONNECTIONS; HTTP_VERSION_2TLS) to count the
 * connections libcurl opens (sum of CURLINFO_NUM_CONNECTS) for bursts of PUTs with and without PIPEWAIT and
 * CURLMOPT_MAXCONNECTS. Arguments: url total concurrency hostlimit pipewait maxconnects rounds. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static size_t sink(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
    if (argc < 8) { fprintf(stderr, "url total concurrency hostlimit pipewait maxconnects rounds\n"); return 2; }
    const char *url = argv[1];
    int total = atoi(argv[2]), conc = atoi(argv[3]), limit = atoi(argv[4]), pipewait = atoi(argv[5]);
    long maxconnects = atol(argv[6]); int rounds = atoi(argv[7]);
    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)limit);
    if (maxconnects > 0) curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, maxconnects);
    static const char body[] = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":{\".dockerconfigjson\":\"eyJhdXRocyI6e319\"}}";
    long connects = 0; int h2 = 0, h1 = 0;
    double start = now();
    for (int r = 0; r < rounds; r++) {
        int started = 0, done = 0, running = 0;
        while (done < total) {
            while (started < total && started - done < conc) {
                CURL *e = curl_easy_init();
                curl_easy_setopt(e, CURLOPT_URL, url);
                curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
                curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
                curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
                if (pipewait) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
                curl_multi_add_handle(m, e);
                started++;
            }
            curl_multi_perform(m, &running);
            CURLMsg *msg; int left;
            while ((msg = curl_multi_info_read(m, &left))) {
                if (msg->msg != CURLMSG_DONE) continue;
                CURL *e = msg->easy_handle; long n = 0, v = 0;
                curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &n);
                curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &v);
                if (msg->data.result != CURLE_OK) fprintf(stderr, "error %s\n", curl_easy_strerror(msg->data.result));
                connects += n; if (v == CURL_HTTP_VERSION_2_0) h2++; else h1++;
                curl_multi_remove_handle(m, e); curl_easy_cleanup(e); done++;
            }
            curl_multi_poll(m, NULL, 0, 100, NULL);
        }
        /* idle between bursts (the operator between refreshes) */
        for (int i = 0; i < 3; i++) { curl_multi_perform(m, &running); curl_multi_poll(m, NULL, 0, 50, NULL); }
    }
    printf("connections %ld  requests %d (h2 %d, http/1.1 %d)  %.3f s\n", connects, total * rounds, h2, h1, now() - start);
    return 0;
}
