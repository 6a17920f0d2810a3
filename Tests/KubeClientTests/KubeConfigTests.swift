import CRDModels
import Foundation
import HTTPClient
import Synchronization
import Testing

@testable import KubeClient

@Suite struct KubeConfigTests {
    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    @Test func resolvesContextClusterUserAndRelativePaths() throws {
        let dir = try temporaryDirectory()
        try Self.caPEM.write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        try "CERT".write(to: dir.appendingPathComponent("client.crt"), atomically: true, encoding: .utf8)
        let yaml = """
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
            - name: c1
              cluster:
                server: https://127.0.0.1:6443/
                certificate-authority: ca.crt
                tls-server-name: kubernetes
            contexts:
            - name: dev
              context: {cluster: c1, user: u1, namespace: team-a}
            - name: other
              context: {cluster: c1, user: u2}
            users:
            - name: u1
              user:
                client-certificate: client.crt
                client-key-data: \(Data("KEY".utf8).base64EncodedString())
                token: abc
            - name: u2
              user:
                tokenFile: secrets/token
            """
        let config = try KubeConfig.parse(yaml: yaml, directory: dir.path)
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.namespace == "team-a")
        #expect(config.contextName == "dev")
        #expect(config.tls.caPEM == Data(Self.caPEM.utf8))
        #expect(config.tls.serverName == "kubernetes")
        #expect(config.tls.clientCertificatePEM == Data("CERT".utf8))
        #expect(config.tls.clientKeyPEM == Data("KEY".utf8))
        guard case .token(let token) = config.auth else { Issue.record("want token"); return }
        #expect(token == "abc")
        #expect(!config.description.contains("abc"))

        let other = try KubeConfig.parse(yaml: yaml, directory: dir.path, context: "other")
        #expect(other.namespace == "default")
        guard case .tokenFile(let path, let interval) = other.auth else { Issue.record("want tokenFile"); return }
        #expect(path == dir.path + "/secrets/token")
        #expect(interval == .seconds(60))
    }

    @Test func kubeconfigListMergesFirstWins() throws {
        let dir = try temporaryDirectory()
        let first = dir.appendingPathComponent("a.yaml")
        let second = dir.appendingPathComponent("b.yaml")
        try """
            current-context: one
            clusters:
            - {name: shared, cluster: {server: "https://first:1", insecure-skip-tls-verify: true}}
            contexts:
            - {name: one, context: {cluster: shared, user: shared}}
            """.write(to: first, atomically: true, encoding: .utf8)
        try """
            current-context: two
            clusters:
            - {name: shared, cluster: {server: "https://second:2"}}
            - {name: onlyhere, cluster: {server: "https://third:3"}}
            contexts:
            - {name: two, context: {cluster: onlyhere}}
            users:
            - {name: shared, user: {username: admin, password: pw}}
            """.write(to: second, atomically: true, encoding: .utf8)
        let env = ["KUBECONFIG": "\(first.path):\(dir.path)/missing.yaml:\(second.path)"]
        let config = try KubeConfig.load(environment: env)
        #expect(config.contextName == "one")
        #expect(config.server == "https://first:1")
        #expect(config.tls.insecureSkipVerify)
        guard case .basic(let user, _) = config.auth else { Issue.record("want basic"); return }
        #expect(user == "admin")
        let two = try KubeConfig.load(context: "two", environment: env)
        #expect(two.server == "https://third:3")
        // An explicit path wins over KUBECONFIG.
        let explicit = try KubeConfig.load(kubeconfigPath: second.path, environment: env)
        #expect(explicit.contextName == "two")
    }

    @Test func homeConfigIsTheFallback() throws {
        let home = try temporaryDirectory()
        try FileManager.default.createDirectory(
            at: home.appendingPathComponent(".kube"), withIntermediateDirectories: true)
        try """
            current-context: h
            clusters: [{name: c, cluster: {server: "http://home:8080"}}]
            contexts: [{name: h, context: {cluster: c}}]
            """.write(to: home.appendingPathComponent(".kube/config"), atomically: true, encoding: .utf8)
        let config = try KubeConfig.resolve(environment: ["HOME": home.path])
        #expect(config.server == "http://home:8080")
        guard case .none = config.auth else { Issue.record("want no auth"); return }
    }

    @Test func badConfigurationsNameTheProblem() throws {
        func failure(_ yaml: String, context: String? = nil) -> String {
            do {
                _ = try KubeConfig.parse(yaml: yaml, directory: "/nonexistent", context: context)
                return "no error"
            } catch {
                return String(describing: error)
            }
        }
        let base = """
            current-context: x
            clusters: [{name: c, cluster: {server: "https://s"}}]
            contexts: [{name: x, context: {cluster: c, user: nobody}}]
            """
        #expect(failure(base).contains(#"names user "nobody", which is not defined"#))
        #expect(failure(base, context: "y").contains(#"context "y" is not defined"#))
        #expect(failure("clusters: []").contains("current-context is not set"))
        #expect(failure("clusters: 7").contains("not a valid kubeconfig"))
        let missingCA = """
            current-context: x
            clusters: [{name: c, cluster: {server: "https://s", certificate-authority: ca.pem}}]
            contexts: [{name: x, context: {cluster: c}}]
            """
        #expect(failure(missingCA).contains("certificate-authority /nonexistent/ca.pem"))
        let authProvider = """
            current-context: x
            clusters: [{name: c, cluster: {server: "https://s"}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            users: [{name: u, user: {auth-provider: {name: gcp}}}]
            """
        #expect(failure(authProvider).contains("auth-provider is not supported"))
        #expect(throws: KubeConfigError.self) {
            try KubeConfig.load(kubeconfigPath: "/nonexistent/kubeconfig", environment: [:])
        }
    }

    @Test func inClusterReadsTheServiceAccountMount() throws {
        let dir = try temporaryDirectory()
        try "tok-1\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try Self.caPEM.write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        try "ops\n".write(to: dir.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        let env = ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"]
        let config = try KubeConfig.inCluster(environment: env, serviceAccountDirectory: dir.path)
        #expect(config.server == "https://[fd00::1]:443")
        #expect(config.namespace == "ops")
        #expect(config.tls.caPEM == Data(Self.caPEM.utf8))
        guard case .tokenFile(let path, _) = config.auth else { Issue.record("want tokenFile"); return }
        #expect(path == dir.path + "/token")
        // resolve() picks in-cluster when no kubeconfig is named.
        let resolved = try KubeConfig.resolve(environment: env, serviceAccountDirectory: dir.path)
        #expect(resolved.contextName == "in-cluster")
        let v4 = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"],
            serviceAccountDirectory: dir.path)
        #expect(v4.server == "https://10.0.0.1:6443")
        #expect(throws: KubeConfigError.self) { try KubeConfig.inCluster(environment: [:]) }
    }

    @Test func tokenFileIsReReadEveryMinuteAndAfterInvalidate() async throws {
        let dir = try temporaryDirectory()
        let tokenURL = dir.appendingPathComponent("token")
        try "one".write(to: tokenURL, atomically: true, encoding: .utf8)
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let provider = CredentialProvider(
            auth: .tokenFile(path: tokenURL.path, refreshInterval: .seconds(60)), now: { clock.withLock { $0 } })
        #expect(try await provider.authorization() == "Bearer one")
        try "two".write(to: tokenURL, atomically: true, encoding: .utf8)
        #expect(try await provider.authorization() == "Bearer one")
        clock.withLock { $0 += 61 }
        #expect(try await provider.authorization() == "Bearer two")
        try "three".write(to: tokenURL, atomically: true, encoding: .utf8)
        await provider.invalidate()
        #expect(try await provider.authorization() == "Bearer three")
        // A vanished file keeps the last good token.
        try FileManager.default.removeItem(at: tokenURL)
        await provider.invalidate()
        #expect(try await provider.authorization() == "Bearer three")
    }
}

@Suite struct ExecPluginTests {
    /// Writes a plugin script that counts its runs in `count` and prints a token with that number.
    static func makePlugin(in dir: URL, expiration: String?) throws -> URL {
        let script = dir.appendingPathComponent("bin/plugin.sh")
        try FileManager.default.createDirectory(
            at: script.deletingLastPathComponent(), withIntermediateDirectories: true)
        let expiry = expiration.map { #","expirationTimestamp":"\#($0)""# } ?? ""
        try """
            #!/bin/sh
            n=$(cat "$COUNT_FILE" 2>/dev/null || echo 0)
            n=$((n+1))
            echo $n > "$COUNT_FILE"
            echo "$KUBERNETES_EXEC_INFO" > "$INFO_FILE"
            echo "args:$1" >&2
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s-%s"\(expiry)}}' "$n" "$1"
            """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    static func kubeconfig(dir: URL, extra: String = "") -> String {
        """
        current-context: x
        clusters: [{name: c, cluster: {server: "https://api:6443", insecure-skip-tls-verify: true}}]
        contexts: [{name: x, context: {cluster: c, user: u}}]
        users:
        - name: u
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: ./bin/plugin.sh
              args: [hello]
              env:
              - {name: COUNT_FILE, value: \(dir.path)/count}
              - {name: INFO_FILE, value: \(dir.path)/info}
              provideClusterInfo: true
              interactiveMode: Never
        \(extra)
        """
    }

    @Test func execPluginTokenIsCachedUntilExpiryAndRerunOn401() async throws {
        let dir = try temporaryDirectory()
        _ = try Self.makePlugin(in: dir, expiration: "2030-01-01T00:00:00Z")
        let config = try KubeConfig.parse(
            yaml: Self.kubeconfig(dir: dir), directory: dir.path, environment: ["PATH": "/usr/bin:/bin"])
        guard case .exec(let exec) = config.auth else { Issue.record("want exec"); return }
        #expect(exec.command == "./bin/plugin.sh")

        let seen = Mutex<[String]>([])
        let transport = FakeTransport { request in
            let auth = request.header("Authorization") ?? ""
            seen.withLock { $0.append(auth) }
            // The first token is "revoked": the server answers 401 once.
            if auth == "Bearer tok-1-hello" {
                return .json(401, #"{"kind":"Status","code":401,"reason":"Unauthorized","message":"Unauthorized"}"#)
            }
            return .json(200, #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a"}}"#)
        }
        let client = KubeClient(config: config, transport: transport)
        _ = try await client.get(Namespace.self, name: "a")
        _ = try await client.get(Namespace.self, name: "a")
        #expect(seen.withLock { $0 } == ["Bearer tok-1-hello", "Bearer tok-2-hello", "Bearer tok-2-hello"])
        let count = try String(contentsOf: dir.appendingPathComponent("count"), encoding: .utf8)
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        let info = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("info")))
        #expect(info["kind"] == .string("ExecCredential"))
        #expect(info["spec"]?["cluster"]?["server"] == .string("https://api:6443"))
        #expect(info["spec"]?["interactive"] == .bool(false))
    }

    @Test func expiredExecCredentialIsRerun() async throws {
        let dir = try temporaryDirectory()
        _ = try Self.makePlugin(in: dir, expiration: "2000-01-01T00:00:00Z")
        let config = try KubeConfig.parse(yaml: Self.kubeconfig(dir: dir), directory: dir.path)
        let provider = CredentialProvider(auth: config.auth)
        #expect(try await provider.authorization() == "Bearer tok-1-hello")
        #expect(try await provider.authorization() == "Bearer tok-2-hello")
    }

    @Test func failingPluginReportsExitStatusAndStderr() async throws {
        let dir = try temporaryDirectory()
        let script = dir.appendingPathComponent("fail.sh")
        try "#!/bin/sh\necho 'please log in' >&2\nexit 3\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        await #expect {
            _ = try await ExecPlugin.run(ExecConfig(command: script.path))
        } throws: { error in
            String(describing: error).contains("exited with status 3: please log in")
        }
        await #expect {
            _ = try await ExecPlugin.run(
                ExecConfig(command: "no-such-plugin-xyz", baseEnvironment: ["PATH": dir.path], installHint: "Install it."))
        } throws: { error in
            String(describing: error).contains("not found on PATH. Install it.")
        }
        let slow = dir.appendingPathComponent("slow.sh")
        try "#!/bin/sh\nexec sleep 30\n".write(to: slow, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: slow.path)
        let started = ContinuousClock.now
        await #expect {
            _ = try await ExecPlugin.run(ExecConfig(command: slow.path, timeout: .milliseconds(300)))
        } throws: { error in
            String(describing: error).contains("did not finish")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func malformedCredentialIsRejected() throws {
        #expect(throws: KubeConfigError.self) {
            try ExecPlugin.parseCredential(Data("not json".utf8), apiVersion: "client.authentication.k8s.io/v1", command: "p")
        }
        #expect(throws: KubeConfigError.self) {
            try ExecPlugin.parseCredential(
                Data(#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}"#.utf8),
                apiVersion: "client.authentication.k8s.io/v1", command: "p")
        }
        let ok = try ExecPlugin.parseCredential(
            Data(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#.utf8),
            apiVersion: "client.authentication.k8s.io/v1", command: "p")
        #expect(ok.token == "t")
        #expect(ok.expiration == Date(timeIntervalSince1970: 1_893_456_000))
    }
}
