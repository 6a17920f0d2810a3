"""The built operator binary as a process against the sandbox API server and moto_server, scraped over HTTP.

The API test server runs as a process with the CRDs (see `APIServer`); this module creates a namespace, AWS
keys and two resources in it. The operator under test runs with leader election, the webhook (a throwaway
certificate) and AWS at a moto_server of its own, and gets one AdmissionReview from the corpus, so that every
metric it exports has samples.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = pathlib.Path("/work/shared/kube-api-corpus/cases/admission-aeps-create.json")
SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>.*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def binary() -> pathlib.Path:
    for path in [ROOT / ".build" / "debug" / "ecr-pullsecret-operator", ROOT / ".build" / "release" / "ecr-pullsecret-operator"]:
        if path.exists():
            return path
    pytest.skip("ecr-pullsecret-operator is not built (hack/test.sh builds it before running these tests)")


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.5)


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# A namespace, AWS keys (moto accepts any), a cluster resource that succeeds and a namespaced one whose
# credentials Secret does not exist (an error by reason).
SANDBOX_OBJECTS = [
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


class APIServer:
    """The API test server as a process (`ecr-sandbox apiserver`: HTTPS on loopback, the CRDs installed)."""

    def __init__(self, kubeconfig: pathlib.Path):
        self.kubeconfig = kubeconfig
        config = yaml.safe_load(kubeconfig.read_text())
        cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
        self.server, self.token = cluster["server"], user["token"]
        self.context = None
        if "certificate-authority-data" in cluster:
            self.context = ssl.create_default_context(
                cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())

    def create(self, obj: dict) -> None:
        group_version, kind = obj["apiVersion"], obj["kind"]
        base = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        namespace = obj["metadata"].get("namespace")
        plural = kind.lower() + ("es" if kind.endswith("s") else "s")
        path = f"{base}/namespaces/{namespace}/{plural}" if namespace else f"{base}/{plural}"
        request = urllib.request.Request(
            self.server + path, data=json.dumps(obj).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10, context=self.context).close()


def start_api_server(exe: pathlib.Path, tmp: pathlib.Path, stack: contextlib.ExitStack) -> APIServer:
    sandbox = exe.parent / "ecr-sandbox"
    if not sandbox.exists():
        pytest.skip("ecr-sandbox is not built (hack/test.sh builds it before running these tests)")
    out = tmp / "apiserver"
    process = subprocess.Popen(
        [str(sandbox), "apiserver", "--out-dir", str(out), "--crd-directory", str(ROOT / "config" / "crd")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=open(tmp / "apiserver.log", "w"), text=True)
    stack.callback(stop, process)
    line = process.stdout.readline()
    assert line.startswith("ready "), f"ecr-sandbox apiserver did not start: {line!r}, {(tmp / 'apiserver.log').read_text()}"
    return APIServer(out / "kubeconfig")


class RunningOperator:
    def __init__(self, metrics_url: str, lease: str, webhook_url: str, webhook_ca: pathlib.Path):
        self.metrics_url = metrics_url
        self.lease = lease
        self.webhook_url = webhook_url
        self.webhook_ca = webhook_ca

    def scrape(self) -> str:
        status, text = http_get(self.metrics_url)
        assert status == 200, f"/metrics answered {status}"
        return text


@contextlib.contextmanager
def running_operator():
    exe = binary()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        tmp = pathlib.Path(tmp)
        api = start_api_server(exe, tmp, stack)
        moto_port = free_port()
        moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(stop, moto)
        for obj in SANDBOX_OBJECTS:
            api.create(obj)

        certs = tmp / "certs"
        certs.mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(certs / "tls.key"), "-out", str(certs / "tls.crt")], check=True, capture_output=True)
        metrics_port, health_port, webhook_port = free_port(), free_port(), free_port()
        lease = "metrics-test"
        operator_log = open(tmp / "operator.log", "w")
        operator = subprocess.Popen(
            [str(exe), "--kubeconfig", str(api.kubeconfig), "--log-format", "text",
             "--metrics-bind-address", f"127.0.0.1:{metrics_port}",
             "--health-probe-bind-address", f"127.0.0.1:{health_port}",
             "--leader-elect", "true", "--leader-election-namespace", "default", "--leader-election-id", lease,
             "--webhook-bind-address", "127.0.0.1", "--webhook-port", str(webhook_port),
             "--webhook-cert-dir", str(certs)],
            env={**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}"},
            stdout=operator_log, stderr=subprocess.STDOUT)
        stack.callback(stop, operator)
        wait_for("/readyz", lambda: http_get(f"http://127.0.0.1:{health_port}/readyz")[0] == 200)

        review = json.loads(CORPUS.read_text())["received"]
        context = ssl.create_default_context(cafile=str(certs / "tls.crt"))
        request = urllib.request.Request(
            f"https://127.0.0.1:{webhook_port}/validate-awsecrimagepullsecret",
            data=json.dumps(review).encode(), method="POST", headers={"Content-Type": "application/json"})
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=10, context=context).close()

        running = RunningOperator(f"http://127.0.0.1:{metrics_port}/metrics", lease,
                                  f"https://localhost:{webhook_port}/healthz", certs / "tls.crt")
        needed = ["rest_client_requests_total", "ecr_pullsecret_errors_total", "ecr_pullsecret_aws_requests_total",
                  "controller_runtime_webhook_requests_total", "ecr_pullsecret_token_expires_in_seconds"]

        def everything_recorded():
            names = {name for name, _, _ in parse_exposition(running.scrape())[0]}
            return all(n in names for n in needed)

        try:
            wait_for(f"samples of {needed}", everything_recorded)
        except AssertionError:
            print((tmp / "operator.log").read_text()[-4000:])
            raise
        yield running
