import Foundation
import HTTPClient
import JSONDecoding

@testable import CRDModels
@testable import ECRAuth
@testable import KubeClient
@testable import KubeTestSupport
@testable import Webhook

/// One fuzz target: a parser (or parser and decision) that must neither crash nor hang on any input.
///
/// `hack/fuzz.sh` runs each under libFuzzer (`ecr-fuzz`); `FuzzRegressionTests` replays the seeds in
/// `Fuzz/Corpus/<name>` and every crashing input saved in `Fuzz/Regressions/<name>`. Inputs that found bugs
/// stay there as regression tests. Internal parsers are reached with `@testable` (debug builds only).
public struct FuzzTarget: Sendable {
    public var name: String
    public var summary: String
    public var run: @Sendable (Data) -> Void
}

public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "admission", summary: "AdmissionReview decode + decide (Webhook)", run: admission),
        FuzzTarget(
            name: "watch", summary: "watch line splitter + event decoding, against JSONDecoder (KubeClient)",
            run: watch),
        FuzzTarget(name: "goduration", summary: "Go durations (CRDModels)", run: goDuration),
        FuzzTarget(name: "labelselector", summary: "label selectors (CRDModels, test server)", run: labelSelector),
        FuzzTarget(name: "kubeconfig", summary: "kubeconfig YAML (KubeClient)", run: kubeconfig),
        FuzzTarget(name: "awserror", summary: "AWS XML/JSON error and token bodies (ECRAuth)", run: awsBodies),
        FuzzTarget(
            name: "credentials", summary: "IMDS, container and shared-file credentials (ECRAuth)", run: credentials),
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    /// Both kinds, every ambient policy, no claims and a conflicting claim; the response must encode. The parse's fast
    /// path either declines the input or reads what the full reader reads.
    static func admission(_ data: Data) {
        for kind in WebhookKind.allCases {
            if let fast = AdmissionFastPath.parse(data, for: kind) {
                let full = Result { () throws(AdmissionRequestError) in try AdmissionReviewer.parseFully(data, for: kind) }
                precondition(full == .success(fast), "the fast path read \(kind) otherwise than the full reader")
            }
            guard let parsed = try? AdmissionReviewer.parse(data, for: kind) else { continue }
            _ = parsed.claim
            _ = parsed.displayName
            for policy in [AmbientCredentialsPolicy.clusterOnly, .all, .none] {
                let claims: [Result<[SecretClaim], any Error>?] = [
                    nil, .success([]), .success(parsed.claim.map { [$0] } ?? []),
                ]
                for existing in claims {
                    let response = AdmissionReviewer.decide(parsed, ambientPolicy: policy, existingClaims: existing)
                    _ = try? JSONEncoder().encode(AdmissionReview(response: response))
                    // The answer is for this request; a denial says why; removal is never blocked.
                    precondition(response.uid == parsed.uid, "response uid differs from the request's")
                    precondition(
                        response.allowed || response.status?.message.isEmpty == false, "denial without a message")
                    precondition(parsed.operation != "DELETE" || response.allowed, "DELETE denied")
                    precondition(
                        (response.warnings ?? []).allSatisfy { $0.count <= 120 }, "warning over 120 characters")
                }
            }
        }
    }

    /// The first byte picks the chunk size, so line boundaries fall anywhere; every line is decoded as the
    /// kinds the operator watches, by KubeClient's decoder and by `JSONDecoder`. How a stream is cut must not
    /// change its lines: the chunked result is compared with the whole body appended at once.
    static func watch(_ data: Data) {
        guard let first = data.first else { return }
        let body = Data(data.dropFirst())
        let chunked = splitLines(body, chunkSize: Int(first % 64) + 1)
        let whole = splitLines(body, chunkSize: max(body.count, 1))
        guard chunked == whole else {
            let sizes = [chunked, whole].map { $0.map { "\($0.map(\.count))" } ?? "line too long" }
            fatalError("LineSplitter: chunked \(sizes[0]), whole \(sizes[1])")
        }
        guard let lines = chunked else { return }
        for line in lines {
            decodeAlike(WatchEvent<Secret>.self, line)
            decodeAlike(WatchEvent<PartialObjectMetadata>.self, line)
            decodeAlike(WatchEvent<AWSECRImagePullSecret>.self, line)
            decodeAlike(WatchEvent<ClusterAWSECRImagePullSecret>.self, line)
        }
    }

    /// KubeClient's decoder (`FlatJSONDecoder`) must read what `JSONDecoder` reads, to the same value. The one
    /// difference allowed: it refuses a document that is not JSON at all, where `JSONDecoder` checks only the
    /// members it is asked for.
    static func decodeAlike<T: Codable>(_ type: T.Type, _ line: Data) {
        func encoded(_ value: T) -> Data? {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try? encoder.encode(value)
        }
        switch (try? FlatJSONDecoder().decode(T.self, from: line), try? JSONDecoder().decode(T.self, from: line)) {
        case (nil, nil):
            return
        case (let flat?, let foundation?):
            precondition(encoded(flat) == encoded(foundation), "FlatJSONDecoder read \(T.self) differently")
        case (nil, _?):
            precondition(
                (try? JSONSerialization.jsonObject(with: line, options: [.fragmentsAllowed])) == nil,
                "FlatJSONDecoder refused a \(T.self) that JSONDecoder reads")
        case (_?, nil):
            preconditionFailure("FlatJSONDecoder read a \(T.self) that JSONDecoder refuses")
        }
    }

    /// The lines of `body` fed in chunks of `chunkSize` bytes (a small limit, so fuzzing reaches it); nil when
    /// a line is too long.
    static func splitLines(_ body: Data, chunkSize: Int) -> [Data]? {
        var splitter = LineSplitter(maxLineBytes: 2048)
        var lines: [Data] = []
        var start = body.startIndex
        do {
            while start < body.endIndex {
                let end = min(start + chunkSize, body.endIndex)
                lines += try splitter.append(Data(body[start..<end]))
                start = end
            }
        } catch {
            return nil
        }
        if let rest = splitter.finish() { lines.append(rest) }
        return lines
    }

    /// Parses; a parsed duration formats back to text that parses to the same duration.
    static func goDuration(_ data: Data) {
        let text = text(data)
        guard let duration = try? GoDuration.parse(text) else { return }
        let formatted = GoDuration(duration)
        guard let again = formatted.duration, again == duration else {
            let back = formatted.duration.map { "\($0)" } ?? "nil"
            fatalError("GoDuration round trip: \(text.debugDescription) -> \(formatted.text) -> \(back)")
        }
    }

    /// JSON `{"selector": LabelSelector, "labels": {...}}`: validated in a cluster resource and matched; the
    /// raw text also goes through the test server's `?labelSelector=` parser.
    static func labelSelector(_ data: Data) {
        struct Input: Decodable {
            var selector: LabelSelector
            var labels: [String: String]?
        }
        if let input = try? JSONDecoder().decode(Input.self, from: data) {
            var resource = ClusterAWSECRImagePullSecret(
                metadata: ObjectMeta(name: "fuzz"),
                spec: ClusterAWSECRImagePullSecretSpec(
                    secretName: "ecr-login", awsAccess: AWSAccess(region: "us-west-2"),
                    namespaceSelector: input.selector))
            _ = resource.validate(ambientPolicy: .all)
            _ = input.selector.matches(input.labels ?? [:])
            resource.spec.namespaces = Array((input.labels ?? [:]).keys)
            _ = resource.validate(ambientPolicy: .none)
        }
        if let query = try? LabelQuery.parse(text(data)) {
            _ = query.matches(["app": "x", "team": "a"])
        }
    }

    /// Kubeconfig documents never read arbitrary files here: inputs naming device or proc files are skipped
    /// (a kubeconfig is trusted configuration; its paths are the admin's).
    static func kubeconfig(_ data: Data) {
        let text = text(data)
        for unsafe in ["/dev", "/proc", "/sys", "~"] where text.contains(unsafe) { return }
        _ = try? KubeConfig.parse(yaml: text, directory: "/nonexistent-fuzz-dir", environment: [:])
        _ = try? KubeConfig.parse(yaml: text, directory: "/nonexistent-fuzz-dir", context: "a", environment: [:])
    }

    /// The first byte picks the HTTP status; the rest is the body of an error, an ECR token response or an STS
    /// response.
    static func awsBodies(_ data: Data) {
        let status = 400 + Int(data.first ?? 0) % 200
        let body = Data(data.dropFirst())
        let response = HTTPResponse(status: status, headers: [HTTPHeader("x-amzn-ErrorType", "Fuzz:x")], body: body)
        _ = AWSErrorParser.parse(response, api: "fuzz:Call")
        _ = AWSErrorParser.parse(HTTPResponse(status: status, headers: [], body: body), api: "fuzz:Call")
        _ = try? ECRClient.parsePrivate(body, region: "us-west-2")
        _ = try? ECRClient.parsePublic(body)
        _ = try? STSClient.parseCredentials(body, api: "sts:AssumeRole")
    }

    /// The container and IMDS credential JSON, timestamps, and the shared `credentials`/`config` INI files.
    static func credentials(_ data: Data) {
        _ = try? ContainerCredentialProvider.parse(data, api: "container:GetCredentials")
        let text = text(data)
        _ = ISO8601.parse(text)
        let config = SharedConfigFiles(
            credentials: SharedConfigFiles.parseINI(text, configStyle: false),
            config: SharedConfigFiles.parseINI(text, configStyle: true))
        for name in Set(config.credentials.keys).union(config.config.keys).prefix(8) {
            _ = config.profile(name)
        }
    }
}
