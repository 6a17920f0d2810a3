import CRDModels

/// The smallest OpenAPI v3 discovery kubectl needs: per group/version, one PATCH operation per
/// kind that declares the `fieldValidation` query parameter. kubectl's `apply`/`create` check that
/// parameter to decide that the server validates fields; without it they try client-side schema
/// validation, which needs full OpenAPI and fails ("failed to download openapi").
///
/// Deliberate difference: there are no schemas (so `kubectl explain` does not work), and the
/// server does not act on `fieldValidation` (unknown fields are kept, never rejected or pruned).
/// `/openapi/v2` answers 404.
enum OpenAPIStub {
    /// The root document, sent as kube-apiserver sends it: JSON labelled `text/plain`.
    static func rootResponse(_ types: [APIResourceType]) -> APIResponse {
        let body = (try? root(types).serialized()).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return .text(status: 200, body: body)
    }

    static func root(_ types: [APIResourceType]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for type in types {
            let key = type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)"
            paths[key] = .object(["serverRelativeURL": .string("/openapi/v3/\(key)?hash=0")])
        }
        return .object(["paths": .object(paths)])
    }

    static func groupVersion(group: String, version: String, types: [APIResourceType]) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.version == version }
        guard !served.isEmpty else { return nil }
        var paths: [String: JSONValue] = [:]
        for type in served {
            let prefix = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
            let path = type.namespaced
                ? "\(prefix)/namespaces/{namespace}/\(type.plural)/{name}" : "\(prefix)/\(type.plural)/{name}"
            paths[path] = .object([
                "patch": .object([
                    "x-kubernetes-action": .string("patch"),
                    "x-kubernetes-group-version-kind": .object([
                        "group": .string(group), "version": .string(version), "kind": .string(type.kind),
                    ]),
                    "parameters": .array([
                        .object([
                            "name": .string("fieldValidation"), "in": .string("query"),
                            "schema": .object(["type": .string("string"), "uniqueItems": .bool(true)]),
                        ])
                    ]),
                    "responses": .object([:]),
                ])
            ])
        }
        return .object([
            "openapi": .string("3.0.0"),
            "info": .object(["title": .string("Kubernetes"), "version": .string("v1.26.1")]),
            "paths": .object(paths),
            "components": .object(["schemas": .object([:])]),
        ])
    }
}
