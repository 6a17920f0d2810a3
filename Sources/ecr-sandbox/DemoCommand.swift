import ArgumentParser
import CRDModels
import Foundation
import KubeClient
import KubeTestSupport
import Logging
import Operator
import ServiceLifecycle

/// `ecr-sandbox demo`: the operator against a sandbox — the in-process Kubernetes API
/// test server and moto_server on loopback — showing what it writes. Passwords are never printed:
/// only their length, and whether the `auth` field agrees with them.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the operator in a sandbox (test API server + moto) and print what it does.")

    @Option(help: "Seconds to run before exiting (Ctrl-C exits earlier).")
    var seconds: Int = 15

    @Option(help: "Directory with the CustomResourceDefinitions.")
    var crdDirectory: String = "config/crd"

    @Option(help: "Write a kubeconfig for the sandbox API server here (to poke at it with kubectl while it runs).")
    var kubeconfigOut: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let logger = Logger(label: "demo")
        say("starting the Kubernetes API test server and moto_server …")
        // TLS because kubectl sends a bearer token only over TLS, and the report runs kubectl when it is installed.
        let server = try await KubeAPITestServer.start(tls: true, token: "demo-token")
        let moto = try await MotoServer.start()
        defer { moto.shutdown() }
        try server.installCRDs(fromDirectory: crdDirectory)
        if let kubeconfigOut {
            try server.writeKubeconfig(to: kubeconfigOut)
            say("kubeconfig written to \(kubeconfigOut) (kubectl --kubeconfig \(kubeconfigOut) get ecr -A)")
        }
        let config = try KubeConfig.parse(yaml: try server.kubeconfigYAML(), directory: "/tmp")
        let client = KubeClient(config: config, logger: logger)

        say("creating namespaces ops, team-a, team-b (labelled ecr-pull=true), sandbox (unlabelled)")
        _ = try await client.create(Namespace(metadata: ObjectMeta(name: "ops")))
        for name in ["team-a", "team-b"] {
            _ = try await client.create(Namespace(metadata: ObjectMeta(name: name, labels: ["ecr-pull": "true"])))
        }
        _ = try await client.create(Namespace(metadata: ObjectMeta(name: "sandbox")))
        say("creating the credentials Secret ops/aws-creds (moto accepts any keys)")
        _ = try await client.create(
            Secret(
                metadata: ObjectMeta(name: "aws-creds", namespace: "ops"),
                data: [
                    "AWS_ACCESS_KEY_ID": Data("AKIADEMOEXAMPLE00001".utf8),
                    "AWS_SECRET_ACCESS_KEY": Data("demo-secret-access-key".utf8),
                ]))

        let events = EventRecorder(client: client, configuration: .init(component: "ecr-pullsecret-operator"), logger: logger)
        let runtime = OperatorRuntime(
            client: client,
            tokens: ECRTokenSource.make(environment: ["AWS_ENDPOINT_URL": moto.endpoint], logger: logger),
            events: events, configuration: RuntimeConfiguration(), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: runtime)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let running = Task { try await group.run() }

        say("creating ClusterAWSECRImagePullSecret 'shared' (namespaceSelector ecr-pull=true, ecrPublic: false)")
        _ = try await client.create(
            ClusterAWSECRImagePullSecret(
                metadata: ObjectMeta(name: "shared"),
                spec: .init(
                    secretName: "ecr-login",
                    awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                    registries: [RegistrySpec(accountID: "123456789012"), RegistrySpec(accountID: "210987654321", region: "eu-west-1")],
                    namespaceSelector: LabelSelector(matchLabels: ["ecr-pull": "true"]))))
        try await Task.sleep(for: .seconds(2))
        say("labelling namespace sandbox ecr-pull=true: it should be picked up at once")
        let labelledAt = ContinuousClock.now
        _ = try await client.patch(
            Namespace.self, name: "sandbox",
            mergePatch: .object(["metadata": .object(["labels": .object(["ecr-pull": .string("true")])])]))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await client.get(Secret.self, name: "ecr-login", namespace: "sandbox")) != nil {
                say("  sandbox/ecr-login written \(ContinuousClock.now - labelledAt) after the label")
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .seconds(1))
        try await report(client: client, moto: moto)
        try await showAsAUserWould(server: server, client: client)

        let remaining = max(0, seconds - 4)
        say("running \(remaining) s more (Ctrl-C to stop) …")
        // Whichever comes first: the time is up, or Ctrl-C/SIGTERM stopped the service group.
        let (stopped, stoppedContinuation) = AsyncStream<Void>.makeStream()
        Task {
            _ = await running.result
            stoppedContinuation.finish()
        }
        await withTaskGroup(of: Void.self) { race in
            race.addTask { try? await Task.sleep(for: .seconds(remaining)) }
            race.addTask { for await _ in stopped {} }
            await race.next()
            race.cancelAll()
        }
        await group.triggerGracefulShutdown()
        _ = await running.result
        say("operator stopped; \(moto.requestCount(target: "GetAuthorizationToken")) GetAuthorizationToken call(s) in total")
        await server.shutdown()
    }

    private func report(client: KubeClient, moto: MotoServer) async throws {
        let resource = try await client.get(ClusterAWSECRImagePullSecret.self, name: "shared")
        say("status of ClusterAWSECRImagePullSecret/shared:")
        if let status = resource.status {
            for condition in status.conditions ?? [] {
                say("  \(condition.type)=\(condition.status) (\(condition.reason)): \(condition.message)")
            }
            say("  namespaces: \(status.namespaces?.synced ?? 0)/\(status.namespaces?.desired ?? 0) synced")
            say("  registries: \((status.registries ?? []).joined(separator: ", "))")
            say("  expiresAt: \(status.expiresAt ?? "-")  nextRefreshTime: \(status.nextRefreshTime ?? "-")")
        }
        say("""
              note: moto_server issues every token with the fixed expiry 2015-01-01T00:00:00Z, so expiresAt is in
              the past and CredentialsValid says TokenExpiryInPast (the operator then refreshes at its shortest
              interval). With real AWS a token lasts 12 hours: expiresAt is about 12 h after lastRefreshTime,
              CredentialsValid=True (TokenIssued), and nextRefreshTime comes well before expiresAt.
            """)
        say("Secrets written (passwords hidden):")
        for namespace in ["team-a", "team-b", "sandbox"] {
            guard let secret = try? await client.get(Secret.self, name: "ecr-login", namespace: namespace),
                let data = secret.data?[".dockerconfigjson"], let config = try? DockerConfigJSON.decode(data)
            else {
                say("  \(namespace)/ecr-login: missing")
                continue
            }
            say("  \(namespace)/ecr-login  type=\(secret.type ?? "?")  expires-at=\(secret.metadata.annotations?[Annotations.expiresAt] ?? "?")")
            for (host, entry) in config.auths.sorted(by: { $0.key < $1.key }) {
                let consistent = entry.auth == Data("\(entry.username):\(entry.password)".utf8).base64EncodedString()
                say("    \(host)  username=\(entry.username)  password=<\(entry.password.count) chars>  auth consistent=\(consistent)")
            }
        }
        let events = (try? await client.list(Event.self, namespace: "default").items) ?? []
        if !events.isEmpty {
            say("events:")
            for event in events { say("  \(event.type ?? "") \(event.reason ?? ""): \(event.message ?? "") (×\(event.count ?? 1))") }
        }
        say("AWS calls at moto so far: \(moto.requestCount(target: "GetAuthorizationToken")) GetAuthorizationToken")
    }

    /// What a user runs on a cluster: `kubectl get ecr -A` (kubectl when installed, else the same columns from
    /// the API), and a `kubectl describe`-like view of the cluster resource with its Events.
    private func showAsAUserWould(server: KubeAPITestServer, client: KubeClient) async throws {
        say("\n$ kubectl get ecr -A")
        let kubeconfig = NSTemporaryDirectory() + "ecr-demo-kubeconfig-\(UUID().uuidString)"
        try server.writeKubeconfig(to: kubeconfig)
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let kubectl = try? await Command.run("kubectl", ["--kubeconfig", kubeconfig, "get", "ecr", "-A"])
        if let kubectl, kubectl.status == 0 {
            // The test server serves the CRDs' printer columns as a Table, as a real API server does.
            for line in kubectl.stdout.split(separator: "\n") { say("  \(line)") }
            return try await describe(client: client)
        }
        say("  (kubectl is not installed or failed: the columns it shows on a cluster, read from the API)")
        let rows =
            try await client.list(AWSECRImagePullSecret.self).items.map(listingRow)
            + client.list(ClusterAWSECRImagePullSecret.self).items.map(listingRow)
        let table = [["NAMESPACE", "KIND", "NAME", "SECRET", "READY", "REASON", "EXPIRES"]] + rows
        let widths = table[0].indices.map { column in table.map { $0[column].count }.max()! + 2 }
        for row in table {
            say("  " + zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined())
        }
        try await describe(client: client)
    }

    /// A `kubectl describe`-like view of the cluster resource with its Events, read from the API.
    private func describe(client: KubeClient) async throws {
        say("\n$ kubectl describe clusterawsecrimagepullsecret shared   (the same view, from the API)")
        let resource = try await client.get(ClusterAWSECRImagePullSecret.self, name: "shared")
        say("  Name:                shared")
        say("  Secret:              \(resource.spec.secretName)")
        let selector = resource.spec.namespaceSelector?.matchLabels?.map { "\($0.key)=\($0.value)" }
        say("  Namespace Selector:  \(selector?.sorted().joined(separator: ",") ?? "-")")
        if let status = resource.status {
            say("  Status:")
            say("    Last Refresh Time:  \(status.lastRefreshTime ?? "-")")
            say("    Expires At:         \(status.expiresAt ?? "-")   (moto's fixed expiry; see the note above)")
            say("    Next Refresh Time:  \(status.nextRefreshTime ?? "-")")
            say("    Conditions:")
            for condition in status.conditions ?? [] {
                say("      \(condition.type)=\(condition.status)  \(condition.reason): \(condition.message)")
            }
        }
        let events = try await client.list(Event.self).items.filter {
            $0.involvedObject.name == "shared" && $0.involvedObject.kind == "ClusterAWSECRImagePullSecret"
        }
        say("  Events:")
        if events.isEmpty { say("    <none>") }
        for event in events {
            say("    \(event.type ?? "")  \(event.reason ?? "")  (x\(event.count ?? 1))  \(event.message ?? "")")
        }
    }

    private func listingRow<R: ImagePullSecretResource>(_ resource: R) -> [String] {
        let ready = resource.status?.conditions?.first { $0.type == ConditionType.ready.rawValue }
        return [
            resource.metadata.namespace ?? "", R.resource.kind, resource.metadata.name ?? "", resource.spec.secretName,
            ready?.status ?? "", ready?.reason ?? "", resource.status?.expiresAt ?? "",
        ]
    }

    private func say(_ line: String) { print(line) }
}
