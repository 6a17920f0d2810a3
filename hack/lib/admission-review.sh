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
