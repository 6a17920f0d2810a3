# Sourced by the webhook benchmarks.

# write_review_body CORPUS_CASE OUT: the AdmissionReview an API server sent in a recorded kube-api-corpus case
# ("received"), with the corpus's placeholders filled in (times, and a fresh uid for each uid placeholder).
write_review_body() {
    python3 - "$1" "$2" <<'PY'
import json, sys, uuid
review = json.load(open(sys.argv[1]))["received"]
text = json.dumps(review).replace("<time>", "2026-11-30T00:00:00Z")
for i in range(10):
    text = text.replace("<uid:%d>" % i, str(uuid.uuid4()))
open(sys.argv[2], "w").write(text)
PY
}

# wrk_request_lua REVIEW: the Lua lines of wrk's request: POST the review written at REVIEW, or with HEALTHZ=1 a bare
# GET (the server and TLS without a review).
wrk_request_lua() {
    if [ "${HEALTHZ:-0}" = 1 ]; then
        echo 'wrk.method = "GET"'
    else
        printf '%s\n' 'wrk.method = "POST"' 'wrk.headers["Content-Type"] = "application/json"' \
            "wrk.body = io.open(\"$1\"):read(\"*a\")"
    fi
}
