import CRDModels
import Foundation
import HTTPClient
import Testing
@testable import Webhook

/// The AdmissionReviews a real kube-apiserver v1.26.1 sent to a validating webhook (the corpus's `admission-*`
/// cases, `received`), fed byte for byte (placeholders filled in) to the webhook over TLS with libcurl.
@Suite(.serialized)
struct RecordedAdmissionReviewTests {
    /// What the product specifies for each recorded request. nil `received`: the API server sent nothing.
    enum Expected {
        case allowed
        case denied(containing: String)
        case notSent
    }

    static let expectations: [String: Expected] = [
        "admission-aeps-create": .allowed,
        // Both recorded PUTs rename spec.secretName, which is immutable.
        "admission-aeps-update": .denied(containing: "spec.secretName"),
        "admission-aeps-patch": .allowed,
        // DELETE: never blocked (the chart does not even send it: see test/chart).
        "admission-aeps-delete": .allowed,
        // dryRun=All: decided like the real request (sideEffects: None, so the API server sends it).
        "admission-aeps-dryrun": .allowed,
        // The /status subresource is not in the rules: status writes never wait for the webhook.
        "admission-aeps-status": .notSent,
        // The operator's own identity is allowed for the cluster kind under the default policy.
        "admission-caeps-create": .allowed,
        "admission-caeps-update": .denied(containing: "spec.secretName"),
        "admission-caeps-patch": .allowed,
        "admission-caeps-delete": .allowed,
        "admission-caeps-dryrun": .allowed,
        "admission-caeps-status": .notSent,
        // The object the capture webhook denied is valid for ours.
        "admission-deny": .allowed,
    ]

    @Test func everyRecordedReviewGetsTheSpecifiedDecision() async throws {
        let files = try RecordedAdmission.files()
        #expect(Set(files.map(\.name)) == Set(Self.expectations.keys), "a case without an expectation")
        try await withWebhook { fixture in
            for file in files {
                let expected = try #require(Self.expectations[file.name])
                guard let received = file.received else {
                    guard case .notSent = expected else {
                        Issue.record("\(file.name): the API server sent nothing")
                        continue
                    }
                    continue
                }
                let request = try #require(received["request"], "\(file.name)")
                let kind = try #require(RecordedAdmission.endpoint(of: request), "\(file.name)")
                let uid = try #require(request["uid"]?.stringValue)
                let response = try await fixture.post(try received.serialized(), path: kind.path)
                #expect(response.status == 200, "\(file.name): \(String(decoding: response.body, as: UTF8.self))")
                let answer = try JSONValue.parse(response.body)
                #expect(answer["apiVersion"] == received["apiVersion"], "\(file.name)")
                #expect(answer["kind"] == received["kind"], "\(file.name)")
                #expect(answer["request"] == nil)
                let review = try #require(answer["response"], "\(file.name)")
                #expect(review["uid"]?.stringValue == uid, "\(file.name): response.uid must echo request.uid")
                switch expected {
                case .allowed:
                    #expect(review["allowed"] == .bool(true), "\(file.name): \(review)")
                    #expect(review["status"] == nil, "\(file.name)")
                case .denied(let fragment):
                    #expect(review["allowed"] == .bool(false), "\(file.name)")
                    // The API server passes code, reason and message through to the client (admission-deny).
                    #expect(review["status"]?["code"] == .number(403), "\(file.name)")
                    #expect(review["status"]?["reason"]?.stringValue == "Forbidden", "\(file.name)")
                    let message = review["status"]?["message"]?.stringValue ?? ""
                    #expect(message.contains(fragment), "\(file.name): \(message)")
                case .notSent:
                    Issue.record("\(file.name): recorded a request the rules should not match")
                }
            }
        }
    }

    /// Variants of recorded requests for the rules the recordings do not exercise: inline keys warn, an update
    /// that leaves the spec alone (labels, finalizer removal while deleting) is allowed even when the spec would
    /// not pass today's rules, and a spec change is still checked.
    @Test func recordedShapesWithInlineKeysAndMetadataOnlyUpdates() async throws {
        let files = Dictionary(uniqueKeysWithValues: try RecordedAdmission.files().map { ($0.name, $0) })
        try await withWebhook { fixture in
            // CREATE with inline keys: allowed, with the warning.
            var create = try #require(files["admission-aeps-create"]?.received)
            create[path: ["request", "object", "spec", "awsAccess"]] = .object([
                "region": .string("us-west-2"), "accessKeyId": .string("AKIAEXAMPLE0001"),
                "secretAccessKey": .string("not-a-real-secret"),
            ])
            let warned = try await decision(fixture, create, .namespaced)
            #expect(warned["allowed"] == .bool(true))
            let warnings = warned["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(warnings.count == 1 && warnings[0].contains("inline"), "\(warnings)")
            #expect(!String(describing: warned).contains("not-a-real-secret"))

            // A namespaced resource on the operator's identity (not allowed by default) that predates the rule:
            // removing the finalizer while it is being deleted must pass, or the resource (and its namespace)
            // could never go; so must a label edit.
            var update = try #require(files["admission-aeps-update"]?.received)
            var old = try #require(update["request"]?["oldObject"])
            old[path: ["spec", "awsAccess"]] = .object(["region": .string("us-west-2")])
            old[path: ["metadata", "finalizers"]] = .array([.string("ecr.pullsecrets.dev/service-accounts")])
            var new = old
            new[path: ["metadata", "finalizers"]] = .array([])
            new[path: ["metadata", "deletionTimestamp"]] = .string("2026-11-30T05:00:00Z")
            update[path: ["request", "oldObject"]] = old
            update[path: ["request", "object"]] = new
            let finalizerRemoval = try await decision(fixture, update, .namespaced)
            #expect(finalizerRemoval["allowed"] == .bool(true), "\(finalizerRemoval)")

            new = old
            new[path: ["metadata", "labels", "team"]] = .string("a")
            update[path: ["request", "object"]] = new
            let relabelled = try await decision(fixture, update, .namespaced)
            #expect(relabelled["allowed"] == .bool(true))

            // A spec change is checked against the rules as ever.
            new[path: ["spec", "ecrPublic"]] = .bool(true)
            update[path: ["request", "object"]] = new
            let changed = try await decision(fixture, update, .namespaced)
            #expect(changed["allowed"] == .bool(false))
            #expect(changed["status"]?["message"]?.stringValue?.contains("--allow-ambient-credentials") == true)
        }
    }

    /// Fields the real server sends that the decoder must take in its stride: `oldObject: null`, `options`,
    /// `requestKind`/`requestResource`, `userInfo.extra`, `requestSubResource`, unknown future fields.
    @Test func decoderAcceptsEveryFieldTheRealServerSends() async throws {
        let files = Dictionary(uniqueKeysWithValues: try RecordedAdmission.files().map { ($0.name, $0) })
        var review = try #require(files["admission-caeps-create"]?.received)
        #expect(review["request"]?["oldObject"] == .null)
        review[path: ["request", "userInfo", "extra"]] = .object([
            "authentication.kubernetes.io/pod-name": .array([.string("kubectl-abc")]),
            "scopes.example.com": .array([]),
        ])
        review[path: ["request", "requestSubResource"]] = .string("")
        review[path: ["request", "subResource"]] = .string("")
        review[path: ["request", "aFieldFromTheFuture"]] = .object(["x": .number(1)])
        let parsed = try AdmissionReviewer.parse(try review.serialized(), for: .cluster)
        #expect(parsed.operation == "CREATE")
        #expect(parsed.name == "conf-adm-create")
        try await withWebhook { fixture in
            let answer = try await decision(fixture, review, .cluster)
            #expect(answer["allowed"] == .bool(true))
        }
    }

    /// Runs `body` against a fresh webhook over TLS and always awaits its shutdown.
    private func withWebhook(_ body: (WebhookFixture) async throws -> Void) async throws {
        let fixture = try await WebhookFixture.start()
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    private func decision(_ fixture: WebhookFixture, _ review: JSONValue, _ kind: WebhookKind) async throws -> JSONValue {
        let response = try await fixture.post(try review.serialized(), path: kind.path)
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        let answer = try JSONValue.parse(response.body)
        #expect(answer["response"]?["uid"] == review["request"]?["uid"])
        return answer["response"] ?? .null
    }
}

/// One recorded admission case: its name and the AdmissionReview it received (placeholders filled in).
struct RecordedAdmission {
    var name: String
    var received: JSONValue?

    /// The corpus vendored in the repository.
    static func directory() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("test/kube-api-corpus/cases")
    }

    static func files() throws -> [RecordedAdmission] {
        let directory = directory()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("admission-") && $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let file = try JSONValue.parse(Data(contentsOf: directory.appendingPathComponent(name)))
            let received = file["received"].flatMap { $0 == .null ? nil : fillPlaceholders($0) }
            return RecordedAdmission(name: String(name.dropLast(5)), received: received)
        }
    }

    /// The webhook path the chart routes this request's kind to.
    static func endpoint(of request: JSONValue) -> WebhookKind? {
        WebhookKind.allCases.first { $0.rawValue == request["kind"]?["kind"]?.stringValue }
    }

    /// The corpus replaces generated values by `<time>`, `<uid:N>`, `<rv:N>`; a real server sends real ones.
    static func fillPlaceholders(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where text == "<time>":
            return .string("2026-11-30T04:00:00Z")
        case .string(let text) where text.hasPrefix("<uid:") && text.hasSuffix(">"):
            let number = Int(text.dropFirst(5).dropLast()) ?? 0
            return .string(String(format: "6c1f0a3e-0000-4000-8000-%012d", number))
        case .string(let text) where text.hasPrefix("<rv:") && text.hasSuffix(">"):
            return .string(String(1000 + (Int(text.dropFirst(4).dropLast()) ?? 0)))
        case .array(let items):
            return .array(items.map(fillPlaceholders))
        case .object(let members):
            return .object(members.mapValues(fillPlaceholders))
        default:
            return value
        }
    }
}

extension JSONValue {
    /// The value at `path` of nested objects; setting creates the objects on the way.
    subscript(path path: [String]) -> JSONValue? {
        get {
            path.reduce(Optional(self)) { value, key in value?[key] }
        }
        set {
            guard let key = path.first else {
                if let newValue { self = newValue }
                return
            }
            guard case .object(var members) = self else { return }
            var child = members[key] ?? .object([:])
            if path.count == 1 {
                members[key] = newValue
            } else {
                child[path: Array(path.dropFirst())] = newValue
                members[key] = child
            }
            self = .object(members)
        }
    }
}
