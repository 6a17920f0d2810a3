import CRDModels
import Foundation
import Testing
@testable import Webhook

/// `FlatJSONDecoder` against Foundation's `JSONDecoder`, which it replaces on the webhook's path: for the
/// recorded reviews, thousands of mutations of them, and hand-picked edge cases, both must accept the same
/// documents, decode the same values, and throw the same kind of error at the same coding path.
struct FlatJSONDecoderTests {
    /// A decoding error without its free-text message (the two decoders word invalid JSON differently).
    struct ErrorSummary: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static func summary(_ error: any Error) -> ErrorSummary {
        guard let error = error as? DecodingError else { return ErrorSummary(description: "\(error)") }
        switch error {
        case .dataCorrupted:
            // Foundation puts some syntax errors at the root, others at the member being read.
            return ErrorSummary(description: "dataCorrupted")
        case .keyNotFound(let key, let context):
            return ErrorSummary(description: "keyNotFound \(key.stringValue) at \(path(context))")
        case .typeMismatch(let type, let context):
            return ErrorSummary(description: "typeMismatch \(type) at \(path(context))")
        case .valueNotFound(let type, let context):
            return ErrorSummary(description: "valueNotFound \(type) at \(path(context))")
        @unknown default:
            return ErrorSummary(description: "\(error)")
        }
    }

    static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func outcome<T: Decodable>(_ type: T.Type, _ body: Data, flat: Bool) -> Result<T, ErrorSummary> {
        do {
            return .success(
                flat ? try FlatJSONDecoder().decode(T.self, from: body) : try JSONDecoder().decode(T.self, from: body))
        } catch {
            return .failure(summary(error))
        }
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

    struct Sample: Codable, Equatable {
        var text: String?
        var flag: Bool?
        var small: Int8?
        var count: Int?
        var big: UInt64?
        var ratio: Double?
        var list: [String]?
        var nested: [[Int]]?
        var map: [String: String]?
        var any: JSONValue?
        var optionals: [String?]?
    }

    @Test(arguments: [
        #"{}"#,
        #"{"text":"plain","flag":true,"count":-42,"ratio":1.5e3,"list":["a","b"],"nested":[[1],[],[2,3]]}"#,
        #"{"text":"esc \"q\" \\ \/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00 é"}"#,
        #"{"te\u0078t":"escaped key"}"#,
        #"{"count":1.0}"#, #"{"count":1e2}"#, #"{"count":1.5}"#, #"{"count":9223372036854775807}"#,
        #"{"count":9223372036854775808}"#, #"{"count":-9223372036854775808}"#, #"{"small":128}"#, #"{"small":-128}"#,
        #"{"big":18446744073709551615}"#, #"{"big":-1}"#, #"{"big":-0}"#,
        #"{"ratio":-0.0}"#, #"{"ratio":1E-2}"#, #"{"ratio":"1"}"#,
        #"{"text":null,"flag":null,"list":null}"#, #"{"text":1}"#, #"{"flag":"true"}"#, #"{"list":"a"}"#,
        #"{"list":[1]}"#, #"{"list":[null]}"#, #"{"list":{}}"#, #"{"nested":[[1,"x"]]}"#, #"{"map":[]}"#,
        #"{"map":{"a":"1","b":2}}"#, #"{"map":null}"#, #"{"map":{"a":null}}"#, #"{"map":{"a":"1","a":2}}"#,
        #"{"map":{"a":2,"a":"1"}}"#, #"{"map":{"\u0061":"escaped","b":"\n"}}"#, #"{"list":[]}"#,
        #"{"optionals":["a",null,"b"]}"#,
        #"{"any":{"a":[1,true,null,"s",{"b":{}}],"c":-1.25}}"#, #"{"text":"a","text":"b"}"#,
        #" { "text" : "spaced" } "#, #"{"text":"a",}"#, #"{"list":["a",]}"#, #"{"list":[,]}"#, #"{"list":["a",,]}"#,
        #"{,}"#, #"{"count":01}"#, #"{"count":-}"#, #"{"count":1.}"#,
        #"{"count":.5}"#, "{\"text\":\"tab\tinside\"}", #"{"text":"\x"}"#, #"{"text":"\u12"}"#, #"{"flag":tru}"#,
        #"{"text":"a"} x"#, #"[]"#, #"null"#, #""#, #"{"#, #"{"text""#, #"{"text":"unterminated}"#,
    ])
    func edgeCasesDecodeAlike(_ text: String) {
        let body = Data(text.utf8)
        #expect(Self.outcome(Sample.self, body, flat: true) == Self.outcome(Sample.self, body, flat: false))
    }

    /// Maps past the indexing threshold, with a repeated key (the first one wins, as with `JSONDecoder`).
    @Test func largeMapsDecodeAlike() {
        let members = (0..<200).map { #""k\#($0)":"v\#($0)""# } + [#""k7":"again""#]
        let body = Data(#"{"map":{\#(members.joined(separator: ","))}}"#.utf8)
        let flat = Self.outcome(Sample.self, body, flat: true)
        #expect(flat == Self.outcome(Sample.self, body, flat: false))
        #expect((try? flat.get())?.map?["k7"] == "v7")
    }

    @Test func nestingIsBounded() {
        let deep = Data((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)
        #expect(throws: DecodingError.self) { try FlatJSONDecoder().decode(JSONValue.self, from: deep) }
        let fine = Data((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)
        #expect(throws: Never.self) { try FlatJSONDecoder().decode(JSONValue.self, from: fine) }
    }

    @Test func invalidUTF8IsRefused() {
        let body = Data([UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")])
        #expect(throws: DecodingError.self) { try FlatJSONDecoder().decode(String.self, from: body) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(String.self, from: body) }
    }
}

/// A small deterministic generator, so a failing mutation can be reproduced.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
