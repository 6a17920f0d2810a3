#!/usr/bin/env python3
"""Writes the fuzz seed corpora in Fuzz/Corpus/<target>/ from the kube-api corpus, the repo's samples and
test fixtures. Run once when the fixtures change; the seeds are committed (CI has no kube-api corpus).

Usage: Fuzz/make-seeds.py [KUBE_API_CORPUS_DIR]   (default test/kube-api-corpus)
"""
import base64
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1] / "test" / "kube-api-corpus") / "cases"
OUT = ROOT / "Fuzz" / "Corpus"


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = OUT / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def cases():
    return [json.loads(p.read_text()) for p in sorted(CORPUS.glob("*.json"))] if CORPUS.is_dir() else []


def placeholders(text):
    """The corpus's <uid:3>, <rv:3>, <time> placeholders as plausible values."""
    text = re.sub(r"<uid:(\d+)>", lambda m: "00000000-0000-0000-0000-%012d" % int(m.group(1)), text)
    text = re.sub(r"<(list)?rv:(\d+)>", lambda m: str(1000 + int(m.group(2))), text)
    return text.replace("<time>", "2023-01-01T00:00:00Z")


# admission: every AdmissionReview the recorder's webhook received, and edits of them.
for case in cases():
    if case.get("received"):
        review = json.loads(placeholders(json.dumps(case["received"])))
        write("admission", json.dumps(review))
        obj = (review.get("request") or {}).get("object") or {}
        if "spec" in obj:
            spec = obj["spec"]
            spec.setdefault("awsAccess", {}).update(accessKeyId="AKIAEXAMPLE", secretAccessKey="x" * 40)
            spec["registries"] = [{"accountID": "123456789012", "region": "eu-west-1"}]
            spec["refreshInterval"] = "1h30m"
            write("admission", json.dumps(review))

# watch: each recorded watch's events as a stream, prefixed with a chunk-size byte.
for case in cases():
    for step in case.get("steps", []):
        events = (step.get("response") or {}).get("events") if step.get("watch") else None
        if events:
            lines = "".join(json.dumps(json.loads(placeholders(json.dumps(e))), separators=(",", ":")) + "\n"
                            for e in events)
            write("watch", b"\x07" + lines.encode())
            write("watch", b"\x3f" + lines.encode()[:-1])
write("watch", b"\x01" + json.dumps({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                                     "status": "Failure", "reason": "Expired", "code": 410}}).encode() + b"\n")
write("watch", b"\x02" + json.dumps({"type": "BOOKMARK", "object": {"kind": "Secret", "apiVersion": "v1",
                                     "metadata": {"resourceVersion": "42"}}}).encode() + b"\n")

# goduration: the unit tests' values.
for text in ["6h", "1h30m", "90s", "10m", "1.5h", "0", "0s", "300ms", "1h0m0s", "2us", "2µs", "7ns", "-1m", "+1m",
             ".5s", "1.s", "", "1d", "1hh", "1.2.3s", "1h 30m", "99999999999999999999h", "3000000h",
             "2562047h47m16.854775807s", "-2562047h47m16.854775808s", "0.000000001s", "1.0000000001s"]:
    write("goduration", text)

# labelselector: selectors from the samples and the corpus's ?labelSelector= queries.
selectors = [
    {"selector": {"matchLabels": {"team": "a"}}, "labels": {"team": "a"}},
    {"selector": {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]}]},
     "labels": {"env": "prod"}},
    {"selector": {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"},
                                       {"key": "a.b/c", "operator": "Exists"}]}, "labels": {}},
    {"selector": {"matchExpressions": [{"key": "x", "operator": "NotIn", "values": []}]}},
]
for item in selectors:
    write("labelselector", json.dumps(item))
for case in cases():
    for step in case.get("steps", []):
        query = (step.get("request") or {}).get("query") or {}
        if "labelSelector" in query:
            write("labelselector", query["labelSelector"])
for text in ["app in (web,db),!legacy", "team!=a,env", "a=b,c==d", "x notin (y)", "!"]:
    write("labelselector", text)

# kubeconfig: the shapes the unit tests use.
write("kubeconfig", """apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c
  cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true, tls-server-name: api}
users:
- name: u
  user: {token: abc}
- name: b
  user: {username: admin, password: secret}
- name: e
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token], env: [{name: A, value: b}],
           provideClusterInfo: true, interactiveMode: Never}
contexts:
- name: main
  context: {cluster: c, user: u, namespace: team-a}
- name: a
  context: {cluster: c, user: e}
""")
write("kubeconfig", """apiVersion: v1
clusters: [{name: c, cluster: {server: "http://127.0.0.1:8080/"}}]
users: [{name: u, user: {auth-provider: {name: gcp}}}]
contexts: [{name: a, context: {cluster: c, user: u}}]
current-context: a
""")
write("kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\n")

# awserror: a status byte, then an error, token or STS body.
bodies = [
    '{"__type":"com.amazonaws.ecr#InvalidParameterException","message":"bad registry id"}',
    '{"__type":"UnrecognizedClientException","Message":"The security token included in the request is invalid."}',
    '{"__type":"ThrottlingException:http://internal.amazon.com/","message":"Rate exceeded"}',
    '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not &lt;allowed&gt; &amp; no'
    '</Message></Error><RequestId>abc</RequestId></ErrorResponse>',
    '<Response><Errors><Error><Code>SignatureDoesNotMatch</Code><Message><![CDATA[x]]></Message></Error>'
    '</Errors><RequestID>r</RequestID></Response>',
    '{"authorizationData":[{"authorizationToken":"QVdTOnBhc3N3b3Jk","expiresAt":1.7385984915E9,'
    '"proxyEndpoint":"https://146325435496.dkr.ecr.us-west-2.amazonaws.com"}]}',
    '{"authorizationData":{"authorizationToken":"QVdTOnB3","expiresAt":1420070400}}',
    '<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s'
    '</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2026-11-30T10:00:00Z</Expiration>'
    '</Credentials><AssumedRoleUser><Arn>arn:aws:sts::210987654321:assumed-role/r/s</Arn></AssumedRoleUser>'
    '</AssumeRoleResult></AssumeRoleResponse>',
    "", "Service Unavailable",
]
for status, body in zip([0, 3, 29, 3, 3, 200, 200, 200, 100, 103], bodies):
    write("awserror", bytes([status]) + body.encode())

# credentials: container/IMDS JSON, timestamps and INI files.
for text in [
    '{"AccessKeyId":"ASIAX","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-30T10:00:00Z","AccountId":"1"}',
    '{"Code":"Success","LastUpdated":"2026-11-30T09:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAX",'
    '"SecretAccessKey":"s","Token":"t","Expiration":"2026-11-30T10:00:00.123Z"}',
    '{"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"}',
    "2026-11-30T10:00:00+01:00",
    "[default]\naws_access_key_id = AKIA\naws_secret_access_key=s # c\n[profile dev]\nrole_arn = arn\n"
    "source_profile = default\n; comment\nregion=us-west-2\n  continued = x\n",
]:
    write("credentials", text)
print("seeds:", {p.name: len(list(p.iterdir())) for p in sorted(OUT.iterdir())})
