import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import KubeTestSupport
import Synchronization
import Testing

@testable import KubeClient

/// Every REST operation over libcurl against the Kubernetes API test server, plain and TLS.
@Suite struct KubeClientWireTests {
    @Test(arguments: wireTLSModes)
    func crudConflictsAndStatusBodies(tls: Bool) async throws {
        try await withWireClient(tls: tls) { server, client in
            try await makeNamespace(client, "team")
            let created = try await client.create(secret("s1", in: "team", labels: ["app": "web"]))
            #expect(created.metadata.uid != nil)
            #expect(created.data?["key"] == Data("v".utf8))
            let stored = server.object("secrets", namespace: "team", name: "s1")
            #expect(stored?["data"]?["key"] == .string("dg=="))

            var fetched = try await client.get(Secret.self, name: "s1", namespace: "team")
            #expect(fetched.metadata.resourceVersion == created.metadata.resourceVersion)
            fetched.data = ["key": Data("new".utf8)]
            let updated = try await client.update(fetched)
            #expect(updated.metadata.resourceVersion != created.metadata.resourceVersion)
            #expect(server.object("secrets", namespace: "team", name: "s1")?["data"]?["key"] == .string("bmV3"))

            // A write from the stale copy is a 409 Conflict with the server's Status.
            let conflict = await apiError { _ = try await client.update(created) }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.httpStatus == 409)
            #expect(conflict?.status?.reason == "Conflict")
            #expect(conflict?.message.contains("the object has been modified") == true)

            let duplicate = await apiError { _ = try await client.create(secret("s1", in: "team")) }
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.status?.details?.name == "s1")

            let invalid = await apiError { _ = try await client.create(secret("Not_A_Name", in: "team")) }
            #expect(invalid?.isInvalid == true)
            #expect(invalid?.httpStatus == 422)
            #expect(invalid?.causes.contains { $0.field == "metadata.name" } == true)

            // Merge patch: null deletes a label, a value adds one.
            let patched = try await client.patch(
                Secret.self, name: "s1", namespace: "team",
                mergePatch: .object(["metadata": .object(["labels": .object(["app": .null, "tier": .string("x")])])]))
            #expect(patched.metadata.labels == ["tier": "x"])

            // Delete preconditions: a wrong uid is a 409 and the object survives.
            let precondition = await apiError {
                try await client.delete(
                    Secret.self, name: "s1", namespace: "team", preconditions: DeletePreconditions(uid: "wrong"))
            }
            #expect(precondition?.isConflict == true)
            #expect(server.object("secrets", namespace: "team", name: "s1") != nil)
            try await client.delete(
                Secret.self, name: "s1", namespace: "team", preconditions: DeletePreconditions(uid: created.metadata.uid),
                propagationPolicy: .background)
            #expect(server.object("secrets", namespace: "team", name: "s1") == nil)

            let missing = await apiError { _ = try await client.get(Secret.self, name: "s1", namespace: "team") }
            #expect(missing?.isNotFound == true)
            #expect(missing?.status?.reason == "NotFound")
            #expect(missing?.status?.details?.kind == "secrets")
            #expect(try await client.getIfPresent(Secret.self, name: "s1", namespace: "team") == nil)
        }
    }

    @Test func customResourceStatusSubresourceAndUnconditionalUpdate() async throws {
        try await withWireClient(tls: false) { server, client in
            try server.seed(JSONValue.parse(Data(Widget.crd.utf8)))
            try await makeNamespace(client, "w")
            var widget = try await client.create(
                Widget(metadata: ObjectMeta(name: "a", namespace: "w"), spec: .init(size: 1), status: .init(phase: "ignored")))
            #expect(widget.status == nil)
            #expect(widget.metadata.generation == 1)

            widget.status = .init(phase: "Ready")
            widget.spec.size = 99
            let afterStatus = try await client.updateStatus(widget)
            #expect(afterStatus.status?.phase == "Ready")
            #expect(afterStatus.spec.size == 1)
            #expect(afterStatus.metadata.generation == 1)

            var specChange = afterStatus
            specChange.spec.size = 2
            let afterSpec = try await client.update(specChange)
            #expect(afterSpec.metadata.generation == 2)
            #expect(afterSpec.status?.phase == "Ready")

            // Custom resources refuse a PUT without resourceVersion (422).
            var unconditional = afterSpec
            unconditional.metadata.resourceVersion = nil
            let refused = await apiError { _ = try await client.update(unconditional) }
            #expect(refused?.isInvalid == true)

            let patchedStatus = try await client.patch(
                Widget.self, name: "a", namespace: "w",
                mergePatch: .object(["status": .object(["phase": .string("Degraded")])]), subresource: "status")
            #expect(patchedStatus.status?.phase == "Degraded")
            let list = try await client.list(Widget.self, namespace: "w")
            #expect(list.items.map(\.metadata.name) == ["a"])
            #expect(list.items.first?.kind == "Widget")
        }
    }

    @Test func selectorsAndPagination() async throws {
        try await withWireClient(tls: false) { server, client in
            try await makeNamespace(client, "p")
            for index in 0..<5 {
                _ = try await client.create(
                    secret("s\(index)", in: "p", labels: ["parity": index % 2 == 0 ? "even" : "odd", "n": "\(index)"]))
            }
            let even = try await client.list(Secret.self, namespace: "p", options: ListOptions(labelSelector: "parity=even"))
            #expect(Set(even.items.compactMap(\.metadata.name)) == ["s0", "s2", "s4"])
            let notOdd = try await client.list(
                Secret.self, namespace: "p", options: ListOptions(labelSelector: "parity!=odd,n in (0,4)"))
            #expect(Set(notOdd.items.compactMap(\.metadata.name)) == ["s0", "s4"])
            let byName = try await client.list(
                Secret.self, namespace: "p", options: ListOptions(fieldSelector: "metadata.name=s3"))
            #expect(byName.items.map(\.metadata.name) == ["s3"])

            let first = try await client.list(Secret.self, namespace: "p", options: ListOptions(limit: 2))
            #expect(first.items.count == 2)
            let token = try #require(first.metadata.continue)
            let second = try await client.list(
                Secret.self, namespace: "p", options: ListOptions(limit: 2, continueToken: token))
            #expect(second.items.count == 2)
            #expect(Set(first.items.map(\.metadata.name)).isDisjoint(with: second.items.map(\.metadata.name)))

            let all = try await client.listAll(Secret.self, namespace: "p", pageSize: 2)
            #expect(all.items.count == 5)
            #expect(all.metadata.continue == nil)
            #expect(server.requestCount(method: "GET", pathContains: "limit=2&continue=") >= 3)

            // An expired continue token is 410 Gone.
            server.expireContinueTokens()
            let gone = await apiError {
                _ = try await client.list(Secret.self, namespace: "p", options: ListOptions(limit: 2, continueToken: token))
            }
            #expect(gone?.isGone == true)

            // Across namespaces.
            let everywhere = try await client.list(Secret.self, options: ListOptions(labelSelector: "parity"))
            #expect(everywhere.items.count == 5)
        }
    }

    @Test func metadataOnlyListAndWatch() async throws {
        try await withWireClient(tls: wireTLSModes.last!) { server, client in
            try await makeNamespace(client, "m")
            _ = try await client.create(secret("managed", in: "m", labels: ["managed": "yes"], value: "SECRET-VALUE"))
            _ = try await client.create(secret("other", in: "m"))
            let list = try await client.listMetadata(
                Secret.resource, namespace: "m", options: ListOptions(labelSelector: "managed=yes"))
            #expect(list.kind == "PartialObjectMetadataList")
            #expect(list.items.map(\.metadata.name) == ["managed"])
            #expect(list.items.first?.kind == "PartialObjectMetadata")

            // The raw wire body carries no data (not just dropped by our decoder).
            let raw = try await client.perform(
                "GET", path: Secret.resource.path(namespace: "m"), accept: KubeClient.metadataListAccept)
            #expect(!String(decoding: raw.body, as: UTF8.self).contains("U0VDUkVULVZBTFVF"))

            let stream = client.watchMetadata(
                Secret.resource, namespace: "m",
                options: WatchOptions(labelSelector: "managed=yes", resourceVersion: list.metadata.resourceVersion))
            var iterator = stream.makeAsyncIterator()
            var updated = try await client.get(Secret.self, name: "managed", namespace: "m")
            updated.metadata.labels?["touched"] = "1"
            _ = try await client.update(updated)
            var seen: PartialObjectMetadata?
            while let event = try await iterator.next() {
                if case .modified(let object) = event {
                    seen = object
                    break
                }
            }
            #expect(seen?.metadata.labels?["touched"] == "1")
            #expect(seen?.kind == "PartialObjectMetadata")
            _ = server
        }
    }

    @Test(arguments: wireTLSModes)
    func watchDeliversChangesAndBookmarks(tls: Bool) async throws {
        try await withWireClient(tls: tls) { server, client in
            server.updateOptions { $0.bookmarkInterval = .milliseconds(100) }
            try await makeNamespace(client, "wt")
            let start = try await client.list(Secret.self, namespace: "wt")
            var iterator = client.watch(
                Secret.self, namespace: "wt",
                options: WatchOptions(resourceVersion: start.metadata.resourceVersion, timeoutSeconds: 30)
            ).makeAsyncIterator()
            var object = try await client.create(secret("x", in: "wt"))
            object.data = ["key": Data("2".utf8)]
            object = try await client.update(object)
            try await client.delete(Secret.self, name: "x", namespace: "wt")
            var types: [String] = []
            var bookmarks = 0
            while types.count < 3 || bookmarks == 0, let event = try await iterator.next() {
                if case .bookmark = event { bookmarks += 1 } else { types.append(event.type) }
            }
            #expect(types == ["ADDED", "MODIFIED", "DELETED"])
            #expect(bookmarks >= 1)
        }
    }

    /// `Task {}` does not inherit a task executor preference: the watch's reader takes `KubeClient.taskExecutor`
    /// (a task-local, inherited) as its own, so the operator's one thread reads and decodes its watch events. The
    /// test's own task has no preference: every job the counting executor runs is the reader's.
    @Test func aWatchIsReadOnTheTaskLocalExecutor() async throws {
        try await withWireClient(tls: false) { server, client in
            try await makeNamespace(client, "ex")
            let executor = CountingTaskExecutor()
            let seen = try await KubeClient.$taskExecutor.withValue(executor) {
                var iterator = client.watch(Secret.self, namespace: "ex", options: WatchOptions(timeoutSeconds: 30))
                    .makeAsyncIterator()
                _ = try await client.create(secret("x", in: "ex"))
                return try await iterator.next()
            }
            #expect(seen?.type == "ADDED")
            #expect(executor.jobs > 0)

            // Without it, the reader runs on the global pool.
            let unused = CountingTaskExecutor()
            var iterator = client.watch(Secret.self, namespace: "ex", options: WatchOptions(timeoutSeconds: 30))
                .makeAsyncIterator()
            _ = try await client.create(secret("y", in: "ex"))
            while let event = try await iterator.next() {
                if case .added(let added) = event, added.metadata.name == "y" { break }
            }
            #expect(unused.jobs == 0)
        }
    }

    @Test func watchFromACompactedVersionIsGoneBothWays() async throws {
        try await withWireClient(tls: false) { server, client in
            try await makeNamespace(client, "g")
            let old = try await client.list(Secret.self, namespace: "g").metadata.resourceVersion
            _ = try await client.create(secret("a", in: "g"))
            server.compactWatchHistory()
            // ERROR event with 410 Expired inside a 200 stream.
            let eventForm = await apiError {
                for try await _ in client.watch(Secret.self, namespace: "g", options: WatchOptions(resourceVersion: old)) {}
            }
            #expect(eventForm?.isGone == true)
            #expect(eventForm?.status?.reason == "Expired")
            #expect(eventForm?.message.contains("too old resource version") == true)
            // HTTP 410 on the watch request itself.
            server.injectFault(method: "GET", pathContains: "watch=1", status: 410)
            let httpForm = await apiError {
                for try await _ in client.watch(Secret.self, namespace: "g", options: WatchOptions(resourceVersion: "1")) {}
            }
            #expect(httpForm?.isGone == true)
            #expect(httpForm?.httpStatus == 410)
        }
    }

    @Test func throttlingCarriesRetryAfter() async throws {
        try await withWireClient(tls: false) { server, client in
            server.injectFault(method: "GET", pathContains: "/namespaces/default", status: 429, retryAfterSeconds: 2)
            let throttled = await apiError { _ = try await client.get(Namespace.self, name: "default") }
            #expect(throttled?.isThrottled == true)
            #expect(throttled?.retryAfter == .seconds(2))
            #expect(throttled?.status?.details?.retryAfterSeconds == 2)
            _ = try await client.get(Namespace.self, name: "default")
        }
    }

    @Test func serverErrorsAndTransportErrorsAreDistinct() async throws {
        try await withWireClient(tls: false) { server, client in
            server.injectFault(method: "GET", pathContains: "/namespaces/default", status: 503)
            let unavailable = await apiError { _ = try await client.get(Namespace.self, name: "default") }
            #expect(unavailable?.code == .serverError)
            #expect(unavailable?.httpStatus == 503)
            // A per-request deadline shorter than the server's delay ends in a transport timeout.
            server.injectLatency(.seconds(3), method: "GET", pathContains: "/namespaces/kube-system", count: 1)
            let slow = await apiError {
                _ = try await client.get(Namespace.self, name: "kube-system", timeout: .milliseconds(500))
            }
            #expect(slow?.code == .transport)
            #expect((slow?.cause as? HTTPClientError)?.code == .timedOut)
        }
        let closed = KubeClient(config: KubeConfig(server: "http://127.0.0.1:1"), requestTimeout: .seconds(5))
        let refused = await apiError { _ = try await closed.get(Namespace.self, name: "default") }
        #expect(refused?.isTransport == true)
    }

    @Test func concurrentRequestsAreBoundedByTheLimiter() async throws {
        try await withWireClient(tls: false) { server, _ in
            server.injectLatency(.milliseconds(200), method: "GET", pathContains: "/namespaces/default")
            let config = try KubeConfig.parse(yaml: server.kubeconfigYAML(), directory: "/")
            let limited = KubeClient(config: config, maxConcurrentRequests: 2)
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { _ = try await limited.get(Namespace.self, name: "default") } }
                try await group.waitForAll()
            }
            // Six 200 ms requests two at a time take three rounds.
            #expect(ContinuousClock.now - started >= .milliseconds(600))
            #expect(server.requestCount(method: "GET", pathContains: "/namespaces/default") == 6)
            let usage = await limited.limiter.usage
            #expect(usage.inUse == 0 && usage.waiting == 0)
        }
    }

    /// Open watches hold a connection each (HTTP/1.1) but no request slot: with more watches than request slots
    /// (the operator keeps one per referenced credentials Secret), reads and writes still get a connection. Before,
    /// the client capped its connections at its request budget and the watches used them all up.
    @Test(.timeLimit(.minutes(1))) func watchesBeyondTheRequestBudgetLeaveRequestsAConnection() async throws {
        try await withWireClient(tls: true) { server, _ in
            let config = try KubeConfig.parse(yaml: server.kubeconfigYAML(), directory: "/")
            let limited = KubeClient(config: config, maxConcurrentRequests: 2, requestTimeout: .seconds(5))
            try await makeNamespace(limited, "w")
            let list = try await limited.listMetadata(Secret.resource, namespace: "w")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<6 {
                    let stream = limited.watchMetadata(
                        Secret.resource, namespace: "w",
                        options: WatchOptions(
                            fieldSelector: "metadata.name=s\(index)", resourceVersion: list.metadata.resourceVersion))
                    group.addTask { for try await _ in stream {} }
                }
                await expectEventually { server.openWatchCount >= 6 }
                // A create and a read beside six open watches, on a client with two request slots.
                _ = try await limited.create(secret("s0", in: "w"))
                let read = try await limited.get(Secret.self, name: "s0", namespace: "w")
                #expect(read.metadata.name == "s0")
                group.cancelAll()
            }
        }
    }

    /// A non-resource GET (`/readyz` here; `ecr-bench` reads a cluster's `/metrics`) answers the body; a path the
    /// server does not serve is a `KubeAPIError`, as a resource's would be.
    @Test func nonResourceGETAnswersTheBodyAndFailsAsResourceReadsDo() async throws {
        try await withWireClient(tls: true) { server, client in
            let body = try await client.nonResourceGET("/readyz", accept: "text/plain")
            #expect(String(decoding: body, as: UTF8.self) == "ok")
            #expect(server.requestCount(method: "GET", pathContains: "/readyz") == 1)
            let missing = await apiError { _ = try await client.nonResourceGET("/no-such-path", accept: "text/plain") }
            #expect(missing?.isNotFound == true)
        }
    }

    @Test func leasesRoundTripMicroTime() async throws {
        try await withWireClient(tls: wireTLSModes.last!) { server, client in
            let now = Timestamp.formatMicro(Date())
            let lease = try await client.create(
                Lease(
                    metadata: ObjectMeta(name: "operator-leader", namespace: "kube-system"),
                    spec: LeaseSpec(holderIdentity: "pod-a", leaseDurationSeconds: 15, acquireTime: now, renewTime: now,
                                    leaseTransitions: 0)))
            #expect(lease.spec?.renewTime == now)
            var renewed = try #require(await client.getIfPresent(Lease.self, name: "operator-leader", namespace: "kube-system"))
            renewed.spec?.renewTime = Timestamp.formatMicro(Date().addingTimeInterval(2))
            let after = try await client.update(renewed)
            #expect(after.spec?.renewTime == renewed.spec?.renewTime)
            // Another candidate writing from the old copy loses.
            var rival = lease
            rival.spec?.holderIdentity = "pod-b"
            let lost = await apiError { _ = try await client.update(rival) }
            #expect(lost?.isConflict == true)
            #expect(server.object("leases", namespace: "kube-system", name: "operator-leader")?["spec"]?["holderIdentity"]
                == .string("pod-a"))
        }
    }
}

/// Authentication over the wire: bearer tokens, client certificates, token files, exec plugins.
@Suite struct KubeClientAuthWireTests {
    @Test func bearerTokenIsCheckedOverPlainHTTP() async throws {
        let server = try await KubeAPITestServer.start(tls: false)
        let good = KubeClient(config: KubeConfig(server: server.baseURL, auth: .token(server.token!)))
        let wrong = KubeClient(config: KubeConfig(server: server.baseURL, auth: .token("nope")))
        let listed = try await good.list(Namespace.self)
        #expect(listed.items.count >= 4)
        let denied = await apiError { _ = try await wrong.list(Namespace.self) }
        #expect(denied?.isUnauthorized == true)
        #expect(denied?.httpStatus == 401)
        await server.shutdown()
    }

    @Test(.enabled(if: wireTLSModes.contains(true), "needs the test server's TLS"))
    func clientCertificateAuthenticates() async throws {
        try await withWireClient(tls: true, user: "alice") { server, client in
            let config = client.config
            #expect(config.tls.clientCertificatePEM != nil)
            guard case .none = config.auth else { Issue.record("the certificate kubeconfig has no token"); return }
            let namespaces = try await client.list(Namespace.self)
            #expect(namespaces.items.contains { $0.metadata.name == "default" })
            _ = server
        }
    }

    @Test(.enabled(if: wireTLSModes.contains(true), "needs the test server's TLS"))
    func wrongOrMissingCredentialsAre401() async throws {
        let server = try await KubeAPITestServer.start(tls: true)
        let tls = TLSConfiguration(caPEM: server.caPEM)
        let wrong = KubeClient(config: KubeConfig(server: server.baseURL, tls: tls, auth: .token("nope")))
        let denied = await apiError { _ = try await wrong.list(Namespace.self) }
        #expect(denied?.isUnauthorized == true)
        // No credentials at all is system:anonymous, whom RBAC refuses (kube-apiserver: 403, not 401).
        let anonymous = KubeClient(config: KubeConfig(server: server.baseURL, tls: tls))
        let forbidden = await apiError { _ = try await anonymous.list(Namespace.self) }
        #expect(forbidden?.httpStatus == 403)
        // A client that does not trust the server's CA fails the TLS handshake: a transport error.
        let untrusting = KubeClient(config: KubeConfig(server: server.baseURL, auth: .token(server.token!)))
        let refused = await apiError { _ = try await untrusting.list(Namespace.self) }
        #expect(refused?.isTransport == true)
        await server.shutdown()
    }

    @Test(.enabled(if: wireTLSModes.contains(true), "needs the test server's TLS"))
    func inClusterConfigWithRotatedTokenFile() async throws {
        let server = try await KubeAPITestServer.start(tls: true)
        do {
            let dir = try temporaryDirectory()
            try Data("stale-token".utf8).write(to: dir.appendingPathComponent("token"))
            try server.caPEM!.write(to: dir.appendingPathComponent("ca.crt"))
            try Data("kube-system".utf8).write(to: dir.appendingPathComponent("namespace"))
            let port = try #require(URL(string: server.baseURL)?.port)
            let config = try KubeConfig.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(port)"],
                serviceAccountDirectory: dir.path)
            let client = KubeClient(config: config)
            #expect(config.namespace == "kube-system")
            // A stale token: 401, re-read (still stale), 401 again: the error surfaces.
            let stale = await apiError { _ = try await client.get(Lease.self, name: "none", namespace: config.namespace) }
            #expect(stale?.isUnauthorized == true)
            #expect(server.requestCount(pathContains: "/leases/none") == 2)
            // The kubelet rotates the file. Within the one-minute cache the next 401 re-reads it at once.
            try Data(server.token!.utf8).write(to: dir.appendingPathComponent("token"))
            let lease = try await client.getIfPresent(Lease.self, name: "none", namespace: config.namespace)
            #expect(lease == nil)
            #expect(server.requestCount(pathContains: "/leases/none") == 4)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test(.enabled(if: wireTLSModes.contains(true), "needs the test server's TLS"))
    func execPluginClientCertificateOverTLS() async throws {
        let server = try await KubeAPITestServer.start(tls: true)
        do {
            let dir = try temporaryDirectory()
            let pair = try server.clientCertificate(user: "exec-user")
            let credential = try JSONValue.object([
                "apiVersion": .string("client.authentication.k8s.io/v1"), "kind": .string("ExecCredential"),
                "status": .object([
                    "clientCertificateData": .string(String(decoding: pair.certificatePEM, as: UTF8.self)),
                    "clientKeyData": .string(String(decoding: pair.keyPEM, as: UTF8.self)),
                ]),
            ]).serialized()
            try credential.write(to: dir.appendingPathComponent("credential.json"))
            let plugin = dir.appendingPathComponent("cert-plugin.sh")
            try "#!/bin/sh\ncat \"$(dirname \"$0\")/credential.json\"\n".write(to: plugin, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)
            let config = KubeConfig(
                server: server.baseURL, tls: TLSConfiguration(caPEM: server.caPEM),
                auth: .exec(ExecConfig(command: plugin.path, baseEnvironment: ["PATH": "/usr/bin:/bin"])))
            let client = try await KubeClient.connect(config: config)
            let list = try await client.list(Namespace.self)
            #expect(!list.items.isEmpty)
            // Without the plugin's certificate the same server refuses (system:anonymous: 403, as kube-apiserver).
            let anonymous = KubeClient(config: KubeConfig(server: server.baseURL, tls: TLSConfiguration(caPEM: server.caPEM)))
            let denied = await apiError { _ = try await anonymous.list(Namespace.self) }
            #expect(denied?.httpStatus == 403)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func execPluginTokenOverTheWire() async throws {
        let server = try await KubeAPITestServer.start(tls: wireTLSModes.last!)
        do {
            let dir = try temporaryDirectory()
            let plugin = dir.appendingPathComponent("token-plugin.sh")
            try """
                #!/bin/sh
                printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$SERVER_TOKEN"
                """.write(to: plugin, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)
            let yaml = """
                current-context: x
                clusters: [{name: c, cluster: {server: "\(server.baseURL)"\(server.caPEM == nil ? "" : ", certificate-authority: ca.pem")}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                users:
                - name: u
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: ./token-plugin.sh
                      env: [{name: SERVER_TOKEN, value: "\(server.token!)"}]
                      interactiveMode: Never
                """
            try server.caPEM?.write(to: dir.appendingPathComponent("ca.pem"))
            try yaml.write(to: dir.appendingPathComponent("config"), atomically: true, encoding: .utf8)
            let config = try KubeConfig.load(
                kubeconfigPath: dir.appendingPathComponent("config").path, environment: ["PATH": "/usr/bin:/bin"])
            let client = try await KubeClient.connect(config: config)
            let list = try await client.list(Namespace.self)
            #expect(!list.items.isEmpty)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}

/// Runs each job at once on the global pool and counts them.
final class CountingTaskExecutor: TaskExecutor {
    private let count = Mutex(0)
    var jobs: Int { count.withLock { $0 } }

    func enqueue(_ job: consuming ExecutorJob) {
        count.withLock { $0 += 1 }
        let job = UnownedJob(job)
        Task.detached { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
