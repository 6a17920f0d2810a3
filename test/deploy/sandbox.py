"""The pieces of the deployment smoke test: the API test server and the operator as processes, moto, certificates.

The operator runs as the chart's Pod would: in a private mount namespace (`unshare -m`) with the root filesystem
read-only, where a tmpfs over /run holds the ServiceAccount files at the in-cluster path and a tmpfs over /tmp (the
chart's emptyDir) holds the webhook certificate at the path the chart mounts it, then as UID/GID 65532 with no
capabilities and no new privileges (`setpriv`), with exactly the chart's arguments and environment and no
kubeconfig, and under the chart's CPU limit as the kubelet applies it (`CPUGroup`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
UID = 65532

# Plural and scope of the kinds the smoke test writes, keyed by (apiVersion, kind).
RESOURCES = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "Secret"): ("secrets", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("ecr.pullsecrets.dev/v1alpha1", "AWSECRImagePullSecret"): ("awsecrimagepullsecrets", True),
    ("ecr.pullsecrets.dev/v1alpha1", "ClusterAWSECRImagePullSecret"): ("clusterawsecrimagepullsecrets", False),
}


def load_chart_helpers():
    """test/chart/conftest.py: the one place that renders the chart with the real Helm engine."""
    spec = importlib.util.spec_from_file_location("chart_helpers", ROOT / "test" / "chart" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def built_binary(name: str) -> pathlib.Path:
    for configuration in ("debug", "release"):
        path = ROOT / ".build" / configuration / name
        if path.exists():
            return path
    raise AssertionError(f"{name} is not built: run `swift build` (hack/test.sh builds it before this test)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(what: str, check, timeout: float = 20.0, interval: float = 0.1, context=lambda: ""):
    """Polls `check` until it returns something truthy; fails naming `what`, the last value or error, and
    `context()` (e.g. the operator's last log lines)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as error:  # noqa: BLE001 - kept for the failure message
            last = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}\n{context()}")


def http(url: str, *, method: str = "GET", body: Any = None, token: str | None = None,
         ca: str | None = None, content_type: str = "application/json") -> tuple[int, Any]:
    """One request; returns (status, parsed JSON or text). Never raises for an HTTP error status."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    context = ssl.create_default_context(cafile=ca) if url.startswith("https") else None
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class APIServer:
    """`ecr-sandbox apiserver`: the Kubernetes API test server as its own process, over HTTPS."""

    def __init__(self, directory: pathlib.Path, *, crds: bool = True, fail_once: tuple[str, ...] = ()):
        """`fail_once`: `METHOD:STATUS:PATH` faults (`--fail-once`), each failing the first matching request."""
        self.directory = directory
        command = [str(built_binary("ecr-sandbox")), "apiserver", "--out-dir", str(directory),
                   "--crd-directory", str(ROOT / "config" / "crd"), *[f"--fail-once={f}" for f in fail_once]]
        if not crds:
            command.append("--no-crds")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("ready https://"):
            self.process.kill()
            raise AssertionError(f"ecr-sandbox apiserver did not start: {line!r}")
        self.url = line.split()[1]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.ca = str(directory / "ca.crt")
        self.admin_token = (directory / "token").read_text()

    def stop(self) -> list[str]:
        """Stops the server (SIGTERM); returns the requests RBAC refused, one sentence each."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
        assert self.process.returncode == 0, f"ecr-sandbox apiserver exited with {self.process.returncode}"
        return json.loads((self.directory / "denials.json").read_text())

    def allowed_requests(self, user: str) -> set[tuple[str, str, str]]:
        """After `stop()`: the distinct (verb, apiGroup, resource[/subresource]) RBAC allowed `user`."""
        requests = json.loads((self.directory / "requests.json").read_text())
        return {(r["verb"], r["apiGroup"], r["resource"]) for r in requests if r["user"] == user}

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None,
                content_type: str = "application/json") -> tuple[int, Any]:
        return http(self.url + path, method=method, body=body, token=token or self.admin_token, ca=self.ca,
                    content_type=content_type)

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, f"GET {path}: {status} {body}"
        return body

    @staticmethod
    def path(api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
        plural, namespaced = RESOURCES[(api_version, kind)]
        prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced:
            prefix += f"/namespaces/{namespace}"
        return prefix + f"/{plural}" + (f"/{name}" if name else "")

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        path = self.path(obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace"))
        status, body = self.request("POST", path, obj)
        assert status == 201, f"POST {path} ({obj['kind']} {obj['metadata']['name']}): {status} {body}"
        return body

    def object(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        status, body = self.request("GET", self.path(api_version, kind, namespace, name))
        return body if status == 200 else None

    def service_account_token(self, namespace: str, name: str) -> str:
        """A token for the ServiceAccount, issued by the server through the TokenRequest API (as the kubelet asks)."""
        path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"
        request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                   "spec": {"audiences": [], "expirationSeconds": 3600}}
        status, body = self.request("POST", path, request)
        assert status == 201, f"TokenRequest for {namespace}/{name}: {status} {body}"
        return body["status"]["token"]


def granted(manifests, namespace: str, account: str) -> set[tuple[str, str, str]]:
    """The (verb, apiGroup, resource) the rendered (Cluster)Roles bound to the ServiceAccount grant, rule by rule
    expanded (the chart names no wildcard)."""
    subject = {"kind": "ServiceAccount", "name": account, "namespace": namespace}
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
             for kind in ("ClusterRole", "Role") for o in manifests.of_kind(kind)}
    result = set()
    for binding in manifests.of_kind("ClusterRoleBinding") + manifests.of_kind("RoleBinding"):
        if subject not in binding.get("subjects", []):
            continue
        ref = binding["roleRef"]
        role = roles[(ref["kind"], binding["metadata"].get("namespace") if ref["kind"] == "Role" else None,
                      ref["name"])]
        for rule in role["rules"]:
            result |= {(verb, group, resource) for verb in rule["verbs"] for group in rule["apiGroups"]
                       for resource in rule["resources"]}
    return result


class Certificates:
    """A CA and a webhook serving certificate for the Service name and 127.0.0.1, made with `openssl`."""

    def __init__(self, directory: pathlib.Path, dns_name: str):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.ca = str(directory / "ca.crt")

        def openssl(*arguments: str):
            result = subprocess.run(["openssl", *arguments], capture_output=True, text=True, cwd=directory)
            assert result.returncode == 0, f"openssl {' '.join(arguments)}: {result.stderr}"

        curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *curve, "-days", "1", "-subj", "/CN=smoke-webhook-ca", "-keyout", "ca.key",
                "-out", "ca.crt", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign")
        openssl("req", "-new", *curve, "-subj", "/CN=webhook", "-keyout", "tls.key", "-out", "tls.csr")
        (directory / "tls.ext").write_text(f"subjectAltName=DNS:{dns_name},IP:127.0.0.1\n"
                                           "extendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "1",
                "-days", "1", "-extfile", "tls.ext", "-out", "tls.crt")


# Runs as root inside the new mount namespace, then becomes the Pod's user: the root filesystem read-only
# (readOnlyRootFilesystem), a tmpfs over /run for the ServiceAccount files and the "image", and one over /tmp (the
# chart's emptyDir) with the webhook certificate where the chart mounts it. $1: staging directory (token, ca.crt,
# namespace, tls.crt, tls.key, the binary), $2: the webhook certificate directory, $3 and $4: the CPU cgroup to join
# and where the container sees its own (`CPUGroup`; empty for none); the rest: env and the command.
POD_SCRIPT = r"""
set -eu
stage=$1 certs=$2 cpu_group=$3 cpu_root=$4; shift 4
if [ -n "$cpu_group" ]; then
    echo $$ >"$cpu_group/cgroup.procs"
    mount --bind "$cpu_group" "$cpu_root"
fi
mount -o remount,bind,ro /
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /var/run/secrets/kubernetes.io/serviceaccount /run/image
cp "$stage/token" "$stage/ca.crt" "$stage/namespace" /var/run/secrets/kubernetes.io/serviceaccount/
cp "$stage/tls.crt" "$stage/tls.key" "$stage/ecr-pullsecret-operator" /run/image/
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p "$certs"
cp /run/image/tls.crt /run/image/tls.key "$certs/"
cd /
exec setpriv --reuid 65532 --regid 65532 --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs \
    -- "$@"
"""


def cpus(quantity: str) -> float:
    """A Kubernetes CPU quantity ("1", "500m", "1.5") in CPUs."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


class CPUGroup:
    """A container's CPU limit as the kubelet applies it: a cgroup of its own with a CFS quota of the limit, its files
    bind-mounted (by POD_SCRIPT, inside the Pod's mount namespace) where a container's cgroup namespace shows its own
    cgroup: at /sys/fs/cgroup/cpu (cgroup v1) or /sys/fs/cgroup (v2). Programs that size themselves from the quota
    (NIO's event loop group does) then see what they would see in the Pod. `create` returns the reason instead when
    this machine does not let us make one."""

    PERIOD = 100_000

    def __init__(self, path: pathlib.Path, root: str):
        self.path = path
        self.root = root

    @classmethod
    def create(cls, name: str, limit: str) -> CPUGroup | str:
        quota = round(cpus(limit) * cls.PERIOD)
        v1 = pathlib.Path("/sys/fs/cgroup/cpu")
        try:
            if (v1 / "cpu.cfs_quota_us").exists():
                group = cls(v1 / name, str(v1))
                group.path.mkdir()
                (group.path / "cpu.cfs_period_us").write_text(str(cls.PERIOD))
                (group.path / "cpu.cfs_quota_us").write_text(str(quota))
            elif "cpu" in pathlib.Path("/sys/fs/cgroup/cgroup.subtree_control").read_text().split():
                group = cls(pathlib.Path("/sys/fs/cgroup") / name, "/sys/fs/cgroup")
                group.path.mkdir()
                (group.path / "cpu.max").write_text(f"{quota} {cls.PERIOD}")
            else:
                return "no cgroup hierarchy with the cpu controller"
        except OSError as error:
            return f"cannot make a CPU cgroup: {error}"
        return group

    def remove(self):
        for _ in range(50):  # the last process may still be exiting
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion of container args."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), text)


class OperatorPod:
    """The built operator binary with the chart's container spec, run as the Pod would run it."""

    def __init__(self, container: dict[str, Any], *, pod_name: str, namespace: str, api: APIServer, token: str,
                 certificates: Certificates, cert_dir: str, stage: pathlib.Path, log_path: pathlib.Path):
        self.pod_name = pod_name
        self.webhook_ca = certificates.ca
        self.env = {}
        for variable in container.get("env", []):
            if "value" in variable:
                self.env[variable["name"]] = variable["value"]
            else:
                field = variable["valueFrom"]["fieldRef"]["fieldPath"]
                self.env[variable["name"]] = {"metadata.name": pod_name, "metadata.namespace": namespace}[field]
        self.env |= {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(api.port),
                     "HOME": "/", "PATH": "/usr/local/bin:/usr/bin:/bin"}
        self.args = [expand(a, self.env) for a in container["args"]]
        self.ports = {p["name"]: p["containerPort"] for p in container["ports"]}

        stage.mkdir(parents=True)
        (stage / "token").write_text(token)
        shutil.copy(api.ca, stage / "ca.crt")
        (stage / "namespace").write_text(namespace)
        for name in ("tls.crt", "tls.key"):
            shutil.copy(certificates.directory / name, stage / name)
        shutil.copy(built_binary("ecr-pullsecret-operator"), stage / "ecr-pullsecret-operator")
        for path in stage.iterdir():
            path.chmod(0o644 if path.name != "ecr-pullsecret-operator" else 0o755)

        limit = container.get("resources", {}).get("limits", {}).get("cpu")
        group = (CPUGroup.create(f"{pod_name}-{os.getpid()}-{stage.parent.name}", str(limit)) if limit
                 else "the chart sets no CPU limit")
        # Without one the tests still run, unlimited; the CPU limit's own test is then skipped with this reason.
        self.cpu_group, self.no_cpu_group_reason = (group, None) if isinstance(group, CPUGroup) else (None, group)

        self.log_path = log_path
        self.log = open(log_path, "w")
        command = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", POD_SCRIPT, "pod",
                   str(stage), cert_dir, str(self.cpu_group.path) if self.cpu_group else "",
                   self.cpu_group.root if self.cpu_group else "",
                   "env", "-i", *[f"{k}={v}" for k, v in self.env.items()],
                   "/run/image/ecr-pullsecret-operator", *self.args]
        # unshare, sh and setpriv exec one another: this pid is the operator's, and SIGTERM reaches it directly.
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})

    def probe_url(self, probe: dict[str, Any]) -> str:
        get = probe["httpGet"]
        port = self.ports[get["port"]] if isinstance(get["port"], str) else get["port"]
        return f"http://127.0.0.1:{port}{get['path']}"

    def running(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> float:
        """SIGTERM; returns the seconds until the process ended (killed after 15 s)."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - sent

    def output(self, last: int = 40) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text().splitlines()[-last:])

    def close(self):
        if self.running():
            self.process.kill()
            self.process.wait()
        self.log.close()
        if self.cpu_group:
            self.cpu_group.remove()


def running_as_pod_is_possible() -> str | None:
    """Why the operator cannot be run as a Pod here (None when it can)."""
    if os.geteuid() != 0:
        return "needs root (to unshare a mount namespace and drop to UID 65532); CI runs as root"
    for tool in ("unshare", "setpriv", "openssl"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (hack/install-deps.sh installs util-linux and openssl)"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare --mount is not permitted here: {probe.stderr.decode().strip()}"
    return None
