"""The built operator binary as a process against the API test server and moto_server, scraped over HTTP.

The API test server, certificates and HTTP helpers are the deployment smoke test's (test/deploy/sandbox.py). This
module creates a namespace, AWS keys (moto accepts any) and two resources, runs the operator with leader
election, the webhook and AWS at a moto_server of its own, and sends it one AdmissionReview from the corpus, so
that every metric it exports has samples.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "test" / "kube-api-corpus" / "cases" / "admission-aeps-create.json"
SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>.*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _load_sandbox():
    spec = importlib.util.spec_from_file_location("deploy_sandbox", ROOT / "test" / "deploy" / "sandbox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sandbox = _load_sandbox()

# A cluster resource that succeeds and a namespaced one whose credentials Secret does not exist (an error by reason).
OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "metrics-test"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "aws-creds", "namespace": "metrics-test"},
     "stringData": {"AWS_ACCESS_KEY_ID": "AKIAMETRICSTEST00001", "AWS_SECRET_ACCESS_KEY": "metrics-test-key"}},
    {"apiVersion": "ecr.pullsecrets.dev/v1alpha1", "kind": "ClusterAWSECRImagePullSecret",
     "metadata": {"name": "metrics-shared"},
     "spec": {"secretName": "ecr-login", "namespaces": ["metrics-test"],
              "awsAccess": {"region": "us-west-2", "secretRef": {"name": "aws-creds", "namespace": "metrics-test"}}}},
    {"apiVersion": "ecr.pullsecrets.dev/v1alpha1", "kind": "AWSECRImagePullSecret",
     "metadata": {"name": "no-credentials", "namespace": "metrics-test"},
     "spec": {"secretName": "ecr-broken", "awsAccess": {"region": "us-west-2", "secretRef": {"name": "absent"}}}},
]
# Names that appear only once something happened: a reconcile, an error, an AWS call, an admission request.
NEEDED = ["rest_client_requests_total", "ecr_pullsecret_errors_total", "ecr_pullsecret_aws_requests_total",
          "controller_runtime_webhook_requests_total", "ecr_pullsecret_token_expires_in_seconds"]


def binary() -> pathlib.Path:
    return sandbox.built_binary("ecr-pullsecret-operator")


def parse_exposition(text: str) -> tuple[list[tuple[str, dict[str, str], float]], dict[str, str]]:
    """(samples as (name, labels, value), {family: type}) of a Prometheus text exposition."""
    samples, types = [], {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        labels = {k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                  for k, v in LABEL.findall(match["labels"] or "")}
        samples.append((match["name"], labels, float(match["value"])))
    return samples, types


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RunningOperator:
    def __init__(self, metrics_url: str, lease: str, webhook_url: str, webhook_ca: str):
        self.metrics_url = metrics_url
        self.lease = lease
        self.webhook_url = webhook_url
        self.webhook_ca = webhook_ca

    def scrape(self) -> str:
        status, text = sandbox.http(self.metrics_url)
        assert status == 200, f"/metrics answered {status}"
        return text


@contextlib.contextmanager
def running_operator():
    exe = binary()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        tmp = pathlib.Path(tmp)
        api = sandbox.APIServer(tmp / "apiserver")
        stack.callback(api.stop)
        moto_port = sandbox.free_port()
        moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(stop, moto)
        for obj in OBJECTS:
            api.create(obj)

        certs = sandbox.Certificates(tmp / "certs", "localhost")
        metrics_port, health_port, webhook_port = (sandbox.free_port() for _ in range(3))
        lease = "metrics-test"
        log_path = tmp / "operator.log"
        operator = subprocess.Popen(
            [str(exe), "--kubeconfig", str(tmp / "apiserver" / "kubeconfig"), "--log-format", "text",
             "--metrics-bind-address", f"127.0.0.1:{metrics_port}",
             "--health-probe-bind-address", f"127.0.0.1:{health_port}",
             "--leader-elect", "true", "--leader-election-namespace", "default", "--leader-election-id", lease,
             "--webhook-bind-address", "127.0.0.1", "--webhook-port", str(webhook_port),
             "--webhook-cert-dir", str(certs.directory)],
            env={**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}"},
            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
        stack.callback(stop, operator)

        def log_tail():
            return log_path.read_text()[-4000:]

        sandbox.eventually("/readyz", lambda: sandbox.http(f"http://127.0.0.1:{health_port}/readyz")[0] == 200,
                           timeout=90, context=log_tail)
        review = json.loads(CORPUS.read_text())["received"]
        status, answer = sandbox.http(f"https://localhost:{webhook_port}/validate-awsecrimagepullsecret",
                                      method="POST", body=review, ca=certs.ca)
        assert status == 200, answer

        running = RunningOperator(f"http://127.0.0.1:{metrics_port}/metrics", lease,
                                  f"https://localhost:{webhook_port}/healthz", certs.ca)

        def everything_recorded():
            names = {name for name, _, _ in parse_exposition(running.scrape())[0]}
            return all(n in names for n in NEEDED)

        sandbox.eventually(f"samples of {NEEDED}", everything_recorded, timeout=90, context=log_tail)
        yield running
