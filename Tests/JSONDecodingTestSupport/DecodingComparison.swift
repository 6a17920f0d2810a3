import Foundation
import JSONDecoding

/// `FlatJSONDecoder` against Foundation's `JSONDecoder`, for the differential tests of every module that decodes
/// with it: both must accept the same documents, decode the same values, and throw the same kind of error at the
/// same coding path.
public enum DecodingComparison {
    /// A decoding error without its free-text message (the two decoders word invalid JSON differently).
    public struct ErrorSummary: Error, Equatable, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    public static func summary(_ error: any Error) -> ErrorSummary {
        guard let error = error as? DecodingError else { return ErrorSummary(description: "\(error)") }
        switch error {
        case .dataCorrupted:
            // Foundation puts some syntax errors (and numbers too big for their type) at the root, others at the
            // member being read.
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

    public static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    public static func outcome<T: Decodable>(_ type: T.Type, _ body: Data, flat: Bool) -> Result<T, ErrorSummary> {
        do {
            return .success(
                flat ? try FlatJSONDecoder().decode(T.self, from: body) : try JSONDecoder().decode(T.self, from: body))
        } catch {
            return .failure(summary(error))
        }
    }

    /// Both decoders' results as comparable text: the value re-encoded with sorted keys, or the error summary.
    public static func encodedOutcomes<T: Codable>(_ type: T.Type, _ body: Data) -> (flat: String, foundation: String) {
        func text(_ result: Result<T, ErrorSummary>) -> String {
            switch result {
            case .success(let value):
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "unencodable"
            case .failure(let error):
                return "error: \(error)"
            }
        }
        return (text(outcome(T.self, body, flat: true)), text(outcome(T.self, body, flat: false)))
    }
}

/// A small deterministic generator, so a failing mutation can be reproduced.
public struct SplitMix64 {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
