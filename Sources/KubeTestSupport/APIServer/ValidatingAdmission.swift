import CRDModels
import Foundation
import HTTPClient
import Synchronization

/// One write as validating admission sees it (apiserver `admission.Attributes`).
struct AdmissionAttributes {
    var type: APIResourceType
    var subresource: String
    /// `CREATE`, `UPDATE` or `DELETE`.
    var operation: String
    var namespace: String
    var name: String
    var object: JSONValue?
    var oldObject: JSONValue?
    /// The write's options object (`CreateOptions`, `UpdateOptions`, `DeleteOptions`), without `dryRun`.
    var options: [String: JSONValue]
    var dryRun: Bool
    var user: UserInfo
}

/// kube-apiserver's `ValidatingAdmissionWebhook` plugin for webhooks registered by
/// `admissionregistration.k8s.io/v1` ValidatingWebhookConfiguration objects: each webhook whose
/// rules, namespaceSelector and objectSelector match gets an `admission.k8s.io/v1` AdmissionReview
/// POSTed to its `clientConfig.url` over TLS (trusting `caBundle`), within `timeoutSeconds`. A denial
/// becomes the client's error with the webhook's code, reason and message; `warnings` become
/// `Warning` headers; a failed call is ignored or refused as `failurePolicy` says.
///
/// Called with the store's lock held, like the rest of a write: a webhook must answer without
/// calling back into this server (the corpus's and the tests' webhooks do).
enum ValidatingAdmission {
    static let configurations = GroupResource(
        group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations")

    static let type = APIResourceType(
        group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration",
        listKind: "ValidatingWebhookConfigurationList", plural: "validatingwebhookconfigurations",
        singular: "validatingwebhookconfiguration", namespaced: false, categories: ["api-extensions"])

    /// Calls every matching webhook, `configurations` in name order, then webhook order; returns the warnings of
    /// the webhooks that allowed. Throws the first denial (with all warnings so far attached).
    static func admit(
        _ attributes: AdmissionAttributes, configurations: [JSONValue], namespaceLabels: [String: String]?
    ) throws(APIError) -> [String] {
        var warnings: [String] = []
        for configuration in configurations {
            for webhook in configuration["webhooks"]?.arrayValue ?? []
            where matches(webhook, attributes, namespaceLabels: namespaceLabels) {
                do throws(APIError) {
                    warnings += try call(webhook, attributes)
                } catch {
                    var error = error
                    error.warnings = warnings + error.warnings
                    throw error
                }
            }
        }
        return warnings
    }

    // MARK: Matching

    static func matches(_ webhook: JSONValue, _ attributes: AdmissionAttributes, namespaceLabels: [String: String]?)
        -> Bool
    {
        let rules = webhook["rules"]?.arrayValue ?? []
        guard rules.contains(where: { ruleMatches($0, attributes) }) else { return false }
        if let selector = selector(webhook["namespaceSelector"]), let namespaceLabels,
            !selector.matches(namespaceLabels)
        {
            return false
        }
        if let selector = selector(webhook["objectSelector"]) {
            let candidates = [attributes.object, attributes.oldObject].compactMap { $0 }
            if !candidates.contains(where: { selector.matches(LabelQuery.labels(of: $0)) }) { return false }
        }
        return true
    }

    private static func selector(_ json: JSONValue?) -> LabelSelector? {
        guard let json, json != .null else { return nil }
        return try? json.decode(as: LabelSelector.self)
    }

    /// admissionregistration `RuleWithOperations` (the `rules.Matcher` of the webhook plugin).
    static func ruleMatches(_ rule: JSONValue, _ attributes: AdmissionAttributes) -> Bool {
        func list(_ key: String) -> [String] { rule[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        let type = attributes.type
        guard list("operations").contains(where: { $0 == "*" || $0 == attributes.operation }),
            list("apiGroups").contains(where: { $0 == "*" || $0 == type.group }),
            list("apiVersions").contains(where: { $0 == "*" || $0 == type.version })
        else { return false }
        let resourceMatches = list("resources").contains { pattern in
            let parts = pattern.split(separator: "/", maxSplits: 1).map(String.init)
            let resource = parts.first ?? ""
            let subresource = parts.count > 1 ? parts[1] : ""
            guard resource == "*" || resource == type.plural else { return false }
            return subresource == "*" || subresource == attributes.subresource
        }
        guard resourceMatches else { return false }
        switch rule["scope"]?.stringValue ?? "*" {
        case "Cluster": return !type.namespaced
        case "Namespaced": return type.namespaced
        default: return true
        }
    }

    // MARK: Calling

    /// The AdmissionReview a webhook receives.
    static func review(_ attributes: AdmissionAttributes, uid: String) -> JSONValue {
        let type = attributes.type
        let kind: JSONValue = .object([
            "group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind),
        ])
        let resource: JSONValue = .object([
            "group": .string(type.group), "version": .string(type.version), "resource": .string(type.plural),
        ])
        var user: [String: JSONValue] = [
            "username": .string(attributes.user.name), "groups": .array(attributes.user.groups.map(JSONValue.string)),
        ]
        if let uid = attributes.user.uid { user["uid"] = .string(uid) }
        var options = attributes.options
        if attributes.dryRun { options["dryRun"] = .array([.string("All")]) }
        var request: [String: JSONValue] = [
            "uid": .string(uid), "kind": kind, "resource": resource, "requestKind": kind, "requestResource": resource,
            "name": .string(attributes.name), "operation": .string(attributes.operation),
            "userInfo": .object(user), "object": attributes.object ?? .null, "oldObject": attributes.oldObject ?? .null,
            "dryRun": .bool(attributes.dryRun), "options": .object(options),
        ]
        if !attributes.namespace.isEmpty { request["namespace"] = .string(attributes.namespace) }
        if !attributes.subresource.isEmpty {
            request["subResource"] = .string(attributes.subresource)
            request["requestSubResource"] = .string(attributes.subresource)
        }
        return .object([
            "kind": .string("AdmissionReview"), "apiVersion": .string("admission.k8s.io/v1"),
            "request": .object(request),
        ])
    }

    /// One webhook call: its warnings when it allows; a denial or (failurePolicy Fail) a failed call throws.
    private static func call(_ webhook: JSONValue, _ attributes: AdmissionAttributes) throws(APIError) -> [String] {
        let name = webhook["name"]?.stringValue ?? ""
        let sideEffects = webhook["sideEffects"]?.stringValue ?? "Unknown"
        if attributes.dryRun && !["None", "NoneOnDryRun"].contains(sideEffects) {
            throw APIError(
                code: 400, reason: "BadRequest",
                message: "admission webhook \"\(name)\" does not support dry run")
        }
        let uid = UUID().uuidString.lowercased()
        do {
            let response = try post(review(attributes, uid: uid), to: webhook)
            guard let result = response["response"], result["uid"]?.stringValue == uid else {
                let got = response["response"]?["uid"]?.stringValue ?? ""
                throw CallFailure("expected response.uid=\"\(uid)\", got \"\(got)\"")
            }
            let warnings = (result["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
                .map { "299 - " + GoSyntax.quote($0) }
            if result["allowed"] == .bool(true) { return warnings }
            var error = denial(webhook: name, status: result["status"])
            error.warnings = warnings
            throw error
        } catch let error as APIError {
            throw error
        } catch {
            if webhook["failurePolicy"]?.stringValue == "Ignore" { return [] }
            throw APIError(
                code: 500, reason: "InternalError",
                message: "Internal error occurred: failed calling webhook \"\(name)\": \(error)")
        }
    }

    private final class Outcome: Sendable {
        let result = Mutex<Result<HTTPResponse, any Error>?>(nil)
    }

    struct CallFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// `webhookerrors.ToStatusErr`: the webhook's Status, at least 400, its message prefixed.
    static func denial(webhook name: String, status: JSONValue?) -> APIError {
        let deniedBy = "admission webhook \"\(name)\" denied the request"
        let status = status ?? .object([:])
        let code = status["code"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 0
        let reason = status["reason"]?.stringValue ?? ""
        let text = status["message"]?.stringValue ?? ""
        let message =
            !text.isEmpty
            ? "\(deniedBy): \(text)" : !reason.isEmpty ? "\(deniedBy): \(reason)" : "\(deniedBy) without explanation"
        let details = status["details"].flatMap { $0 == .null ? nil : $0 }
        return APIError(code: max(code, 400), reason: reason, message: message, details: details)
    }

    /// POSTs the review and waits for the answer: the write path is synchronous, so this thread blocks
    /// while the transfer runs on libcurl's own thread.
    private static func post(_ review: JSONValue, to webhook: JSONValue) throws -> JSONValue {
        guard let url = webhook["clientConfig"]?["url"]?.stringValue else {
            throw CallFailure("only clientConfig.url is supported by the test server")
        }
        let caPEM = webhook["clientConfig"]?["caBundle"]?.stringValue.flatMap { Data(base64Encoded: $0) }
        let seconds = webhook["timeoutSeconds"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 10
        let request = HTTPRequest(
            method: "POST", url: url + (url.contains("?") ? "&" : "?") + "timeout=\(seconds)s",
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")],
            body: try review.serialized(), timeout: .seconds(seconds))
        let client = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: caPEM)))
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let response = try await client.send(request)
                outcome.result.withLock { $0 = .success(response) }
            } catch {
                outcome.result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        guard let result = outcome.result.withLock({ $0 }) else { throw CallFailure("no answer") }
        let response = try result.get()
        guard response.status == 200 else { throw CallFailure("the server responded with status \(response.status)") }
        return try JSONValue.parse(response.body)
    }
}
