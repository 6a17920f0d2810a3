import CRDModels
import Foundation
import HTTPClient
import JSONDecodingTestSupport
import KubeClient

/// The client side of the corpus: every recorded answer whose shape KubeClient decodes (object,
/// list, metadata-only object and list, watch event, Status) must decode with KubeClient's own
/// types, so the client accepts what a real kube-apiserver sends, and its decoder (`FlatJSONDecoder`)
/// must read each exactly as Foundation's `JSONDecoder` does.
enum ClientDecoding {
    /// The kinds the client has a model for.
    static let types: [any KubeResource.Type] = [
        Secret.self, Namespace.self, ServiceAccount.self, Lease.self, Event.self, AWSECRImagePullSecret.self,
        ClusterAWSECRImagePullSecret.self, PartialObjectMetadata.self,
    ]

    /// Decoding problems of one recorded step's response (empty when everything decodes).
    static func check(step: JSONValue, response: JSONValue) -> [String] {
        var problems: [String] = []
        let status = Int(response["status"]?.testNumber ?? 0)
        if let body = response["body"], case .object = body {
            if let problem = checkBody(body, status: status) { problems.append(problem) }
        }
        let accept = step["request"]?["headers"]?["Accept"]?.stringValue ?? ""
        let path = step["request"]?["path"]?.stringValue ?? ""
        let plural = path.split(separator: "/").last.map(String.init) ?? ""
        let eventType: (any KubeResource.Type)? =
            accept.hasPrefix("application/json;as=PartialObjectMetadata")
            ? PartialObjectMetadata.self : types.first { $0.resource.plural == plural }
        for (index, event) in (response["events"]?.arrayValue ?? []).enumerated() {
            guard let eventType else { break }
            if let problem = decodeWatchEvent(eventType, event) { problems.append("event \(index): \(problem)") }
        }
        return problems
    }

    private static func checkBody(_ body: JSONValue, status: Int) -> String? {
        let kind = body["kind"]?.stringValue ?? ""
        guard let data = try? body.serialized() else { return "cannot serialise the recorded body" }
        if kind == "Status" {
            if status >= 300 {
                let error = KubeAPIError.fromResponse(httpStatus: status, headers: [], body: data, request: nil)
                return error.status == nil ? "KubeAPIError.fromResponse kept no Status" : nil
            }
            return decode(Status.self, data)
        }
        if let type = types.first(where: { $0.resource.kind == kind }) { return decodeObject(type, data) }
        if kind.hasSuffix("List"), let type = types.first(where: { $0.resource.kind + "List" == kind }) {
            return decodeList(type, data)
        }
        return nil
    }

    private static func decodeObject<R: KubeResource>(_ type: R.Type, _ data: Data) -> String? {
        decode(R.self, data)
    }

    private static func decodeList<R: KubeResource>(_ type: R.Type, _ data: Data) -> String? {
        decode(ObjectList<R>.self, data)
    }

    private static func decodeWatchEvent<R: KubeResource>(_ type: R.Type, _ event: JSONValue) -> String? {
        guard let data = try? event.serialized() else { return "cannot serialise the recorded event" }
        return decode(WatchEvent<R>.self, data)
    }

    private static func decode<T: Codable>(_ type: T.Type, _ data: Data) -> String? {
        let (flat, foundation) = DecodingComparison.encodedOutcomes(T.self, data)
        if foundation.hasPrefix("error: ") { return "\(T.self) does not decode: \(foundation)" }
        return flat == foundation ? nil : "\(T.self) decodes differently: \(flat) instead of \(foundation)"
    }
}
