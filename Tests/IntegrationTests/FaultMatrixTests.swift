import AsyncTestSupport
import CRDModels
import ECRAuth
import Foundation
import KubeClient
import KubeTestSupport
import Operator
import Testing

/// Issue 11's fault matrix (docs/faults.md), over the real wire: the operator runtime against the API test
/// server's fault injection, its AWS code (signer, client, retries, token cache) against `ECRTestServer`.
///
/// Tokens live 6 s and are replaced 3 s before they expire, so a refresh is due every 3 s and a test can see
/// one happen after a fault clears; the wide margin leaves a write 2 s after its token fetch before the
/// expiry its annotation states (whole seconds) has passed. Every test watches the target Secret in the
/// server's store and fails on any version that lost its uid, held no token, held an expired or an older
/// token than before (see `SecretObserver`); it also checks the Secret was never deleted over the wire.
@Suite(.serialized) struct FaultMatrixTests {
    static let refresh = RefreshPolicy(minimumMargin: 3, floor: 0.3, maximumJitter: 0)
    static let tokenLifetime: Duration = .seconds(6)
    static let settings = OperatorSettings(refresh: refresh)
    static let keyID = "AKIAFAULTMATRIX00001"
    static let secretPath = "/namespaces/team/secrets/ecr-login"
    static let statusPath = "/namespaces/team/awsecrimagepullsecrets/reg/status"

    /// What one test works with: the API server, the ECR stand-in and a running operator.
    struct Context {
        let harness: OperatorHarness
        let ecr: ECRTestServer
        let running: OperatorHarness.Running
        let secret: SecretObserver

        var server: KubeAPITestServer { harness.server }

        /// The resource's Ready condition, read over the wire.
        func ready() async -> Condition? {
            await harness.namespaced("team", "reg")?.status?.condition(.ready)
        }

        func credentialsValid() async -> Condition? {
            await harness.namespaced("team", "reg")?.status?.condition(.credentialsValid)
        }

        /// Waits until the Secret holds a token newer than `token` and the resource is Ready again.
        func refreshed(after token: Int) async -> Bool {
            await eventually(timeout: .seconds(15)) {
                guard (secret.latest?.token ?? 0) > token else { return false }
                return await ready()?.status == "True"
            }
        }

        /// The Secret's `tier` label, read over the wire.
        func tier() async -> String? {
            await harness.secret("team", "ecr-login")?.metadata.labels?["tier"]
        }

        /// Edits the resource's template labels (a spec change: the Secret must be written at once).
        func label(_ value: String) async throws {
            _ = try await harness.client.patch(
                AWSECRImagePullSecret.self, name: "reg", namespace: "team",
                mergePatch: .object([
                    "spec": .object(["secretTemplate": .object(["labels": .object(["tier": .string(value)])])])
                ]))
        }
    }

    static func resource() -> AWSECRImagePullSecret {
        AWSECRImagePullSecret(
            metadata: ObjectMeta(name: "reg", namespace: "team"),
            spec: .init(
                secretName: "ecr-login", awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds"))))
    }

    /// Tokens from `ecr`; STS (for `spec.awsAccess.roleARN`) from `sts` when given.
    static func tokens(_ ecr: ECRTestServer, _ harness: OperatorHarness, sts: MotoServer? = nil) -> ECRTokenSource {
        var environment = ["AWS_ENDPOINT_URL": ecr.endpoint]
        environment["AWS_ENDPOINT_URL_STS"] = sts?.endpoint
        return ECRTokenSource.make(
            environment: environment, refresh: refresh,
            retryPolicy: RetryPolicy(baseDelay: .milliseconds(20), maxDelay: .milliseconds(100)),
            logger: harness.logger)
    }

    /// Runs `body` with an operator whose resource `team/reg` has written `team/ecr-login` (with `create`
    /// false: not created yet); afterwards checks the Secret's history. With `sts`, the resource assumes a
    /// role there on top of its keys.
    func withOperator(
        create: Bool = true, sts: MotoServer? = nil, _ body: (Context) async throws -> Void
    ) async throws {
        let ecr = try await ECRTestServer.start(tokenLifetime: Self.tokenLifetime)
        try await withTeardown({ await ecr.shutdown() }) {
            try await withOperatorHarness { harness in
                try await harness.createNamespace("team")
                try await harness.createCredentials(namespace: "team", keyID: Self.keyID)
                try await SecretObserver.observe(harness.server, namespace: "team", name: "ecr-login") { secret in
                    let tokens = Self.tokens(ecr, harness, sts: sts)
                    try await harness.withOperator(tokens: tokens, settings: Self.settings) { running in
                        let context = Context(harness: harness, ecr: ecr, running: running, secret: secret)
                        try await requireEventually { running.runtime.isReady }
                        if create {
                            var resource = Self.resource()
                            if sts != nil {
                                resource.spec.awsAccess.roleARN = "arn:aws:iam::123456789012:role/ecr-pull"
                            }
                            _ = try await harness.client.create(resource)
                            try await requireEventually { await context.ready()?.status == "True" }
                            // The observer polls the store: let it see the first version before any fault.
                            try await requireEventually { secret.latest != nil }
                        }
                        try await body(context)
                    }
                    #expect(secret.problems == [])
                    #expect(harness.server.requestCount(method: "DELETE", pathContains: Self.secretPath) == 0)
                }
            }
        }
    }

    // MARK: 1. API outage

    @Test func apiOutageDuringARefresh() async throws {
        try await withOperator { context in
            let reads = context.server.requestCount(method: "GET", pathContains: "/secrets/aws-creds")
            // Every request fails, watches stay open (as when etcd or the API server's storage is down).
            context.server.injectFault(status: 503, count: 1_000_000)
            let before = try #require(context.secret.latest)
            // The refresh came due and was refused at least twice (backoff, not one try and give up).
            await expectEventually(timeout: .seconds(15)) {
                context.server.requestCount(method: "GET", pathContains: "/secrets/aws-creds") >= reads + 2
            }
            #expect(context.secret.latest?.resourceVersion == before.resourceVersion)
            context.server.clearFaults()
            #expect(await context.refreshed(after: before.token ?? 0))
        }
    }

    // MARK: 2. Watches

    @Test func watchDroppedMidStreamIsResumed() async throws {
        try await withOperator { context in
            let watches = context.server.requestCount(pathContains: "watch=1")
            // The resource watch that follows this clean close drops its connection after one event.
            context.server.dropNextWatch(pathContains: "/v1alpha1/awsecrimagepullsecrets?", afterEvents: 1)
            context.server.closeWatches()
            try await context.label("one")
            await expectEventually { await context.tier() == "one" }
            try await context.label("two")
            await expectEventually { await context.tier() == "two" }
            // And an abrupt drop of every watch.
            context.server.closeWatches(abruptly: true)
            try await context.label("three")
            await expectEventually { await context.tier() == "three" }
            #expect(context.server.requestCount(pathContains: "watch=1") > watches + 5)
            // Reconciling goes on: the next refresh happens.
            #expect(await context.refreshed(after: context.secret.latest?.token ?? 0))
        }
    }

    @Test func goneMidStreamRelists() async throws {
        try await withOperator { context in
            let resources = "/v1alpha1/awsecrimagepullsecrets?"
            func lists() -> Int {
                context.server.requestCount(method: "GET", pathContains: resources)
                    - context.server.requestCount(method: "GET", pathContains: resources + "watch=1")
            }
            let listsBefore = lists()
            // New watches fail for now, so the edit below is seen only through a list.
            context.server.injectFault(method: "GET", pathContains: "watch=1", status: 503, count: 1_000_000)
            // Every open watch gets ERROR 410 Expired mid-stream: the informers must relist.
            context.server.expireWatches()
            await expectEventually { lists() > listsBefore }
            try await context.label("gold")
            // The history is compacted again: a re-watch from the relisted version is 410 too.
            context.server.compact()
            context.server.clearFaults()
            await expectEventually(timeout: .seconds(15)) { await context.tier() == "gold" }
            #expect(lists() >= listsBefore + 2)
            #expect(await context.refreshed(after: context.secret.latest?.token ?? 0))
        }
    }

    // MARK: 3. Write errors

    /// A write the API server refuses, and the status it answers with.
    struct WriteFault: Sendable, CustomTestStringConvertible {
        enum Write: String, Sendable, CaseIterable {
            case secretUpdate = "PUT Secret", secretCreate = "POST Secret", status = "PUT status"
        }

        var write: Write
        var status: Int
        var testDescription: String { "\(status) on \(write.rawValue)" }
        /// 429 carries `Retry-After: 1`.
        var retryAfterSeconds: Int? { status == 429 ? 1 : nil }

        var method: String { write == .secretCreate ? "POST" : "PUT" }
        var path: String {
            switch write {
            case .secretUpdate: FaultMatrixTests.secretPath
            case .secretCreate: "/namespaces/team/secrets"
            case .status: FaultMatrixTests.statusPath
            }
        }

        static let all = Write.allCases.flatMap { write in
            [409, 429, 500, 503].map { WriteFault(write: write, status: $0) }
        }
    }

    @Test(arguments: WriteFault.all) func writeRefused(_ fault: WriteFault) async throws {
        try await withOperator(create: fault.write == .secretUpdate) { context in
            let server = context.server
            let inject = {
                server.injectFault(
                    method: fault.method, pathContains: fault.path, status: fault.status, count: 1_000_000,
                    retryAfterSeconds: fault.retryAfterSeconds)
            }
            let attempts = { server.requestTimes(method: fault.method, pathContains: fault.path) }
            let before = attempts().count
            switch fault.write {
            case .secretUpdate:
                inject()
                try await context.label("gold")
            case .secretCreate, .status:
                inject()
                _ = try await context.harness.client.create(Self.resource())
            }
            if fault.write == .status {
                // The Secret is written once per token, not again on every retry of the status write.
                await expectEventually { attempts().count >= before + 3 }
                let tokens = context.secret.versions.map(\.token)
                #expect(!tokens.isEmpty && Set(tokens).count == tokens.count)
                #expect(await context.ready() == nil)
            } else {
                // While the fault lasts the status says so, and the Secret keeps its last good token.
                await expectEventually { await context.ready()?.reason == "SecretWriteFailed" }
                #expect(await context.ready()?.message.contains("team/ecr-login") == true)
                await expectEventually { attempts().count >= before + 3 }
            }
            if let retryAfter = fault.retryAfterSeconds {
                // 429: each retry waits as long as the server asked. (The first gap is left out: a resource
                // created as the operator starts may be reconciled twice at once, from its watch event and
                // from the startup pass.)
                let times = Array(attempts().dropFirst(before + 1))
                #expect(times.count >= 2)
                for (earlier, later) in zip(times, times.dropFirst()) {
                    #expect(later - earlier >= .seconds(retryAfter) - .milliseconds(50))
                }
            }
            server.clearFaults()
            await expectEventually(timeout: .seconds(15)) { await context.ready()?.status == "True" }
            let secret = try #require(await context.harness.secret("team", "ecr-login"))
            if fault.write == .secretUpdate { #expect(secret.metadata.labels?["tier"] == "gold") }
        }
    }

    // MARK: 4. AWS

    @Test func awsThrottling() async throws {
        try await withOperator { context in
            // A short burst is absorbed by the AWS client's retries: the refresh happens, Ready never drops.
            context.ecr.fail(with: .throttling, count: 2)
            #expect(await context.refreshed(after: context.secret.latest?.token ?? 0))
            #expect(context.ecr.failuresServed == 2)
            #expect(await context.ready()?.status == "True")

            // Sustained throttling: the refresh fails, the status says why, the Secret keeps its token.
            context.ecr.fail(with: .throttling)
            let kept = try #require(context.secret.latest)
            await expectEventually(timeout: .seconds(15)) { await context.ready()?.reason == "TokenRequestFailed" }
            #expect(await context.ready()?.message.contains("ThrottlingException") == true)
            #expect(await context.credentialsValid()?.status == "False")
            #expect(context.secret.latest?.resourceVersion == kept.resourceVersion)

            // Throttled, the operator holds off AWS for 30 s; a change to the resource is reconciled at once.
            context.ecr.clearFailures()
            try await context.label("after-throttling")
            #expect(await context.refreshed(after: kept.token ?? 0))
        }
    }

    static let credentialFailures: [ECRTestServer.AWSFailure] = [.expiredToken, .unrecognizedClient]

    @Test(arguments: credentialFailures)
    func awsRejectsTheCredentials(_ failure: ECRTestServer.AWSFailure) async throws {
        try await withOperator { context in
            context.ecr.reject(accessKeyID: Self.keyID, with: failure)
            let kept = try #require(context.secret.latest)
            await expectEventually(timeout: .seconds(15)) { await context.ready()?.reason == "TokenRequestFailed" }
            #expect(await context.ready()?.message.contains(failure.code) == true)
            #expect(await context.credentialsValid()?.status == "False")
            #expect(context.secret.latest?.resourceVersion == kept.resourceVersion)

            // The user rotates the keys: the credential Secret's change is noticed, no restart needed.
            _ = try await context.harness.client.patch(
                Secret.self, name: "aws-creds", namespace: "team",
                mergePatch: .object([
                    "data": .object([
                        "AWS_ACCESS_KEY_ID": .string(Data("AKIAFAULTMATRIX00002".utf8).base64EncodedString())
                    ])
                ]))
            #expect(await context.refreshed(after: kept.token ?? 0))
            #expect(await context.credentialsValid()?.status == "True")
        }
    }

    /// An assumed-role session that expires (ECR answers `ExpiredTokenException` once): the client drops the
    /// session, assumes the role again at STS (moto) and retries; the refresh succeeds and Ready never drops.
    @Test func assumedRoleSessionExpiresAndIsRenewed() async throws {
        let moto = try await MotoServer.start()
        defer { stopInBackground(moto) }
        try await withOperator(sts: moto) { context in
            #expect(moto.requestCount(action: "AssumeRole") == 1)
            let readySince = await context.ready()?.lastTransitionTime
            let session = try #require(context.ecr.accessKeyIDs.last)
            #expect(session != Self.keyID)
            context.ecr.fail(with: .expiredToken, count: 1)
            #expect(await context.refreshed(after: context.secret.latest?.token ?? 0))
            #expect(context.ecr.failuresServed == 1)
            #expect(moto.requestCount(action: "AssumeRole") == 2)
            let renewed = try #require(context.ecr.accessKeyIDs.last)
            #expect(renewed != session && renewed != Self.keyID)
            #expect(await context.ready()?.lastTransitionTime == readySince)
        }
    }

    /// The same against moto checking signatures and IAM: an unknown key is refused (403
    /// `InvalidClientTokenId`, as XML), nothing is written; once the keys are replaced by good ones, the
    /// Secret is written without a restart.
    @Test func motoRefusesAnUnknownKeyUntilTheKeysAreReplaced() async throws {
        let moto = try await MotoServer.start(initialNoAuthActionCount: 3)
        defer { stopInBackground(moto) }
        let good = try moto.createUser("ecr-puller", allowing: ["ecr:GetAuthorizationToken"])
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team", keyID: "AKIAUNKNOWNKEY000001")
            let tokens = ECRTokenSource.make(
                environment: ["AWS_ENDPOINT_URL": moto.endpoint],
                retryPolicy: RetryPolicy(baseDelay: .milliseconds(20), maxDelay: .milliseconds(100)),
                logger: harness.logger)
            try await harness.withOperator(tokens: tokens) { running in
                _ = try await harness.client.create(Self.resource())
                await expectEventually {
                    await harness.namespaced("team", "reg")?.status?.condition(.ready)?.reason == "TokenRequestFailed"
                }
                let status = await harness.namespaced("team", "reg")?.status
                #expect(status?.condition(.ready)?.message.contains("InvalidClientTokenId") == true)
                #expect(status?.condition(.credentialsValid)?.status == "False")
                #expect(await harness.secret("team", "ecr-login") == nil)

                _ = try await harness.client.patch(
                    Secret.self, name: "aws-creds", namespace: "team",
                    mergePatch: .object([
                        "data": .object([
                            "AWS_ACCESS_KEY_ID": .string(Data(good.accessKeyID.utf8).base64EncodedString()),
                            "AWS_SECRET_ACCESS_KEY": .string(Data(good.secretAccessKey.utf8).base64EncodedString()),
                        ])
                    ]))
                await expectEventually { await harness.secret("team", "ecr-login") != nil }
                await expectEventually {
                    await harness.namespaced("team", "reg")?.status?.condition(.ready)?.status == "True"
                }
                #expect(moto.recordedRequests().compactMap(\.accessKeyID).last == good.accessKeyID)
                let written = await harness.namespaced("team", "reg")?.status
                #expect(written.map { "\($0)" }?.contains(good.secretAccessKey) == false)
            }
        }
    }

    // MARK: 5. Leader killed mid-write

    /// With `heldRequest` false the killed leader's PUT is applied and only its answer is lost; with true the PUT
    /// itself is held and lands after the other replica has written: its stale resourceVersion must fence it.
    @Test(arguments: [false, true]) func leaderKilledMidWrite(heldRequest: Bool) async throws {
        let ecr = try await ECRTestServer.start(tokenLifetime: Self.tokenLifetime)
        try await withTeardown({ await ecr.shutdown() }) {
            try await withOperatorHarness { harness in
                try await harness.createNamespace("team")
                try await harness.createCredentials(namespace: "team", keyID: Self.keyID)
                func election(_ identity: String) -> LeaderElectionConfiguration {
                    LeaderElectionConfiguration(
                        namespace: "default", name: "ecr-pullsecret-operator", identity: identity,
                        timings: LeaderElectionTimings(
                            leaseDuration: .seconds(2), renewDeadline: .milliseconds(1500),
                            retryPeriod: .milliseconds(200)))
                }
                try await SecretObserver.observe(harness.server, namespace: "team", name: "ecr-login") { secret in
                    let a = harness.startOperator(
                        tokens: Self.tokens(ecr, harness), settings: Self.settings,
                        leaderElection: election("replica-a"))
                    try await withTeardown({ await a.stop() }) {
                        await expectEventually { a.runtime.isLeading }
                        try await harness.withOperator(
                            tokens: Self.tokens(ecr, harness), settings: Self.settings,
                            leaderElection: election("replica-b")
                        ) { b in
                            _ = try await harness.client.create(Self.resource())
                            await expectEventually { secret.latest?.token != nil }
                            let first = try #require(secret.latest)

                            // The leader's next Secret write is held for 6 s (its answer, or the request itself);
                            // kill the leader while it waits. Lease writes fail meanwhile, so it cannot hand the
                            // Lease over on its way out, as a killed process cannot: the other waits for it to expire.
                            let puts = harness.server.requestCount(method: "PUT", pathContains: Self.secretPath)
                            harness.server.injectLatency(
                                .seconds(6), method: "PUT", pathContains: Self.secretPath, count: 1,
                                holdsRequest: heldRequest)
                            _ = try await harness.client.patch(
                                AWSECRImagePullSecret.self, name: "reg", namespace: "team",
                                mergePatch: .object([
                                    "spec": .object([
                                        "secretTemplate": .object(["labels": .object(["tier": .string("gold")])])
                                    ])
                                ]))
                            await expectEventually {
                                harness.server.requestCount(method: "PUT", pathContains: Self.secretPath) > puts
                            }
                            harness.server.injectFault(
                                method: "PUT", pathContains: "/leases/ecr-pullsecret-operator", status: 503,
                                count: 1_000_000)
                            a.task.cancel()
                            _ = await a.task.result
                            #expect(!a.runtime.isLeading)
                            harness.server.clearFaults()
                            let released = try await harness.client.get(
                                Lease.self, name: "ecr-pullsecret-operator", namespace: "default")
                            #expect(released.spec?.holderIdentity == "replica-a")

                            await expectEventually { b.runtime.isLeading }
                            await expectEventually(timeout: .seconds(15)) {
                                (secret.latest?.token ?? 0) > (first.token ?? 0)
                                    && secret.latest?.labels["tier"] == "gold"
                            }
                            let lease = try await harness.client.get(
                                Lease.self, name: "ecr-pullsecret-operator", namespace: "default")
                            #expect(lease.spec?.holderIdentity == "replica-b")
                            if heldRequest {
                                // The new leader wrote before the dead one's PUT landed; once it lands it is
                                // refused (409), so the Secret never goes back to the older token (observer).
                                #expect(harness.server.heldRequestCount == 1)
                                await expectEventually { harness.server.heldRequestCount == 0 }
                                await expectEventually { await harness.secret("team", "ecr-login") != nil }
                            }
                            #expect(
                                await harness.namespaced("team", "reg")?.status?.condition(.ready)?.status == "True")
                        }
                    }
                    #expect(secret.problems == [])
                    #expect(harness.server.requestCount(method: "DELETE", pathContains: Self.secretPath) == 0)
                }
            }
        }
    }
}

/// Every version of one Secret, read straight from the API test server's store every 20 ms (no HTTP, so
/// injected faults do not touch it), and what was wrong with any of them: a Secret that disappeared or
/// was replaced (another uid), held no token, a token already expired when written, or an older token
/// than a version before it.
final class SecretObserver: Sendable {
    struct Version: Sendable {
        var resourceVersion: String
        var uid: String
        /// The number of the `ECRTestServer` token it holds (nil: none).
        var token: Int?
        var expiresAt: Date?
        var labels: [String: String]
        /// When it was first seen (taken before the read, so an expiry after it was in the future at write).
        var seenAt: Date
    }

    private let state = Locked<(versions: [Version], problems: [String])>(([], []))

    var versions: [Version] { state.withLock { $0.versions } }
    var latest: Version? { state.withLock { $0.versions.last } }
    var problems: [String] { state.withLock { $0.problems } }

    static func observe<T>(
        _ server: KubeAPITestServer, namespace: String, name: String, _ body: (SecretObserver) async throws -> T
    ) async throws -> T {
        let observer = SecretObserver()
        let polling = Task {
            while !Task.isCancelled {
                observer.sample(server, namespace: namespace, name: name)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        return try await withTeardown({
            polling.cancel()
            await polling.value
        }) {
            try await body(observer)
        }
    }

    private func sample(_ server: KubeAPITestServer, namespace: String, name: String) {
        let now = Date()
        let object = server.object("secrets", namespace: namespace, name: name)
        state.withLock { state in
            guard let object else {
                if !state.versions.isEmpty, state.problems.last != "deleted" { state.problems.append("deleted") }
                return
            }
            let metadata = object["metadata"]
            let resourceVersion = metadata?["resourceVersion"]?.stringValue ?? ""
            guard resourceVersion != state.versions.last?.resourceVersion else { return }
            let config = object["data"]?[".dockerconfigjson"]?.stringValue
                .flatMap { Data(base64Encoded: $0) }.flatMap { try? DockerConfigJSON.decode($0) }
            var labels: [String: String] = [:]
            if case .object(let fields)? = metadata?["labels"] {
                for (key, value) in fields { labels[key] = value.stringValue }
            }
            let version = Version(
                resourceVersion: resourceVersion, uid: metadata?["uid"]?.stringValue ?? "",
                token: config?.auths.values.first.flatMap { ECRTestServer.number(ofPassword: $0.password) },
                expiresAt: metadata?["annotations"]?[Annotations.expiresAt]?.stringValue.flatMap(Timestamp.parse),
                labels: labels, seenAt: now)
            let label = "version \(resourceVersion)"
            if let first = state.versions.first, first.uid != version.uid { state.problems.append("\(label): new uid") }
            if version.token == nil { state.problems.append("\(label): no token") }
            if let expiresAt = version.expiresAt, expiresAt <= now {
                state.problems.append("\(label): written with a token that expired at \(expiresAt)")
            }
            if let previous = state.versions.last?.token, let token = version.token, token < previous {
                state.problems.append("\(label): token-\(token) replaced the newer token-\(previous)")
            }
            state.versions.append(version)
        }
    }
}
