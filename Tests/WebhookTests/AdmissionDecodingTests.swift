import CRDModels
import Foundation
import JSONDecodingTestSupport
import Testing
@testable import Webhook

/// `FlatJSONDecoder` against Foundation's `JSONDecoder`, which it replaces on the webhook's path: for the
/// recorded reviews and thousands of mutations of them, both must accept the same documents, decode the same
/// values, and throw the same kind of error at the same coding path. (The decoder's own edge cases:
/// JSONDecodingTests.)
struct AdmissionDecodingTests {
    typealias ErrorSummary = DecodingComparison.ErrorSummary

    static func outcome<T: Decodable>(_ type: T.Type, _ body: Data, flat: Bool) -> Result<T, ErrorSummary> {
        DecodingComparison.outcome(T.self, body, flat: flat)
    }

    /// What `AdmissionReviewer.parse` reads of a review, comparable.
    struct Envelope<Object: Decodable & Equatable>: Equatable {
        var apiVersion: String
        var kind: String
        var request: [String?]?
        var object: Result<Object, AdmissionRequestError>?
        var oldObject: Result<Object, AdmissionRequestError>?

        init(_ envelope: AdmissionEnvelope<Object>) {
            apiVersion = envelope.apiVersion
            kind = envelope.kind
            let request = envelope.request
            self.request = request.map {
                [$0.uid, $0.kind.group, $0.kind.version, $0.kind.kind, $0.name, $0.namespace, $0.operation]
            }
            object = request?.object.map { later in
                Result { () throws(AdmissionRequestError) in try later.value("object", kind: "\(Object.self)") }
            }
            oldObject = request?.oldObject.map { later in
                Result { () throws(AdmissionRequestError) in try later.value("oldObject", kind: "\(Object.self)") }
            }
        }
    }

    /// Whether both decoders agree on `body`. The one difference allowed: JSONDecoder checks only the strings it
    /// reads, so it accepts a document with a bad escape, control character or invalid UTF-8 in a member nobody
    /// asks for; FlatJSON refuses it (and so must `JSONSerialization`, which reads everything).
    static func compareEnvelopes(_ body: Data, _ label: String) -> Bool {
        func agree<T: Equatable>(_ flat: Result<T, ErrorSummary>, _ foundation: Result<T, ErrorSummary>) -> Bool {
            if flat == foundation { return true }
            guard case .failure(ErrorSummary(description: "dataCorrupted")) = flat else { return false }
            return (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) == nil
        }
        let namespaced = agree(
            outcome(AdmissionEnvelope<AWSECRImagePullSecret>.self, body, flat: true).map(Envelope.init),
            outcome(AdmissionEnvelope<AWSECRImagePullSecret>.self, body, flat: false).map(Envelope.init))
        let cluster = agree(
            outcome(AdmissionEnvelope<ClusterAWSECRImagePullSecret>.self, body, flat: true).map(Envelope.init),
            outcome(AdmissionEnvelope<ClusterAWSECRImagePullSecret>.self, body, flat: false).map(Envelope.init))
        // What the webhook decodes: only name, namespace and spec of the objects.
        typealias Admitted = AdmittedObject<ClusterAWSECRImagePullSecretSpec>
        let admitted = agree(
            outcome(AdmissionEnvelope<Admitted>.self, body, flat: true).map(Envelope.init),
            outcome(AdmissionEnvelope<Admitted>.self, body, flat: false).map(Envelope.init))
        #expect(namespaced && cluster && admitted, "\(label): \(String(decoding: body, as: UTF8.self))")
        return namespaced && cluster && admitted
    }

    static func recordedBodies() throws -> [(name: String, body: Data)] {
        try RecordedAdmission.files().compactMap { file in
            try file.received.map { (file.name, try $0.serialized()) }
        }
    }

    @Test func recordedReviewsDecodeAlike() throws {
        let bodies = try Self.recordedBodies()
        #expect(bodies.count >= 10)
        for (name, body) in bodies {
            _ = Self.compareEnvelopes(body, name)
            guard case .success = Self.outcome(AdmissionEnvelope<AWSECRImagePullSecret>.self, body, flat: true) else {
                Issue.record("\(name) did not decode")
                continue
            }
        }
    }

    /// Byte-level mutations (replace, insert, delete, truncate, repeat a slice) of every recorded review.
    @Test func mutatedReviewsDecodeAlike() throws {
        var random = SplitMix64(seed: 0x5EED)
        let alphabet = Array(#"{}[],:"\ 0123456789-+.eEtrufalsn/abu"#.utf8) + [0x00, 0x0A, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        var compared = 0
        var failures = 0
        for (name, original) in try Self.recordedBodies() {
            for round in 0..<400 {
                var bytes = [UInt8](original)
                for _ in 0...(round % 3) {
                    let at = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 5 {
                    case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                    case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                    case 2: bytes.remove(at: at)
                    case 3: bytes.removeSubrange(at...)
                    default:
                        let end = min(bytes.count, at + 1 + Int(random.next() % 40))
                        bytes.insert(contentsOf: bytes[at..<end], at: at)
                    }
                    if bytes.isEmpty { bytes = [UInt8(ascii: "{")] }
                }
                compared += 1
                if !Self.compareEnvelopes(Data(bytes), "\(name) mutation \(round)") { failures += 1 }
                if failures > 5 { return }
            }
        }
        #expect(compared > 4000)
    }
}
