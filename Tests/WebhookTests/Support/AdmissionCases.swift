import CRDModels
import Foundation
import Webhook

/// Builders for AdmissionReview bodies, as the API server sends them.
enum Reviews {
    static let group = "ecr.pullsecrets.dev"

    static func namespaced(
        name: String = "team-registry", namespace: String = "team-a", secretName: String = "ecr-login",
        awsAccess: [String: Any] = ["region": "us-west-2", "secretRef": ["name": "aws-creds"]],
        extraSpec: [String: Any] = [:]
    ) -> [String: Any] {
        var spec: [String: Any] = ["secretName": secretName, "awsAccess": awsAccess]
        spec.merge(extraSpec) { $1 }
        return [
            "apiVersion": "\(group)/v1alpha1", "kind": "AWSECRImagePullSecret",
            "metadata": ["name": name, "namespace": namespace, "uid": "uid-\(name)"], "spec": spec,
        ]
    }

    static func cluster(
        name: String = "shared", secretName: String = "ecr-login", namespaces: [String] = ["team-a", "team-b"],
        awsAccess: [String: Any] = ["region": "us-west-2", "secretRef": ["name": "aws-creds", "namespace": "ecr-system"]],
        extraSpec: [String: Any] = [:]
    ) -> [String: Any] {
        var spec: [String: Any] = ["secretName": secretName, "awsAccess": awsAccess, "namespaces": namespaces]
        spec.merge(extraSpec) { $1 }
        return [
            "apiVersion": "\(group)/v1alpha1", "kind": "ClusterAWSECRImagePullSecret",
            "metadata": ["name": name, "uid": "uid-\(name)"], "spec": spec,
        ]
    }

    static func body(
        kind: WebhookKind, operation: String = "CREATE", object: [String: Any]?, old: [String: Any]? = nil,
        uid: String = UUID().uuidString, version: String = "v1alpha1",
        reviewVersion: String = "admission.k8s.io/v1"
    ) -> Data {
        let subject = object ?? old ?? [:]
        let metadata = subject["metadata"] as? [String: Any] ?? [:]
        let plural = kind == .namespaced ? "awsecrimagepullsecrets" : "clusterawsecrimagepullsecrets"
        var request: [String: Any] = [
            "uid": uid,
            "kind": ["group": group, "version": version, "kind": kind.rawValue],
            "resource": ["group": group, "version": version, "resource": plural],
            "requestKind": ["group": group, "version": version, "kind": kind.rawValue],
            "name": metadata["name"] ?? "",
            "operation": operation,
            "userInfo": ["username": "alice", "groups": ["system:authenticated"]],
            "object": object ?? NSNull(),
            "oldObject": old ?? NSNull(),
            "dryRun": false,
        ]
        if kind == .namespaced { request["namespace"] = metadata["namespace"] ?? "" }
        let review: [String: Any] = ["apiVersion": reviewVersion, "kind": "AdmissionReview", "request": request]
        return try! JSONSerialization.data(withJSONObject: review, options: [.sortedKeys])
    }
}

/// One rule, exercised allowed or denied. Used by the pure tests and again over HTTPS.
struct AdmissionCase: CustomStringConvertible, Sendable {
    var name: String
    var kind: WebhookKind
    var operation: String = "CREATE"
    var object: JSONValue?
    var old: JSONValue?
    var policy: AmbientCredentialsPolicy = .clusterOnly
    var existing: [SecretClaim] = []
    var allowed: Bool
    /// Each must appear in the denial message (field names, rule words, the other resource's name).
    var messageContains: [String] = []
    /// Each must appear in one of the warnings.
    var warningContains: [String] = []

    var description: String { name }

    init(
        _ name: String, _ kind: WebhookKind, operation: String = "CREATE", object: [String: Any]?,
        old: [String: Any]? = nil, policy: AmbientCredentialsPolicy = .clusterOnly, existing: [SecretClaim] = [],
        allowed: Bool, messageContains: [String] = [], warningContains: [String] = []
    ) {
        self.name = name
        self.kind = kind
        self.operation = operation
        self.object = object.map { try! JSONValue.parse(JSONSerialization.data(withJSONObject: $0)) }
        self.old = old.map { try! JSONValue.parse(JSONSerialization.data(withJSONObject: $0)) }
        self.policy = policy
        self.existing = existing
        self.allowed = allowed
        self.messageContains = messageContains
        self.warningContains = warningContains
    }

    func body(uid: String) -> Data {
        func dictionary(_ value: JSONValue?) -> [String: Any]? {
            guard let value, let data = try? value.serialized() else { return nil }
            return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        return Reviews.body(kind: kind, operation: operation, object: dictionary(object), old: dictionary(old), uid: uid)
    }
}

enum AdmissionCases {
    static let otherTeamA = SecretClaim(
        kind: "AWSECRImagePullSecret", name: "other", namespace: "team-a", secretName: "ecr-login",
        targetNamespaces: ["team-a"])
    static let clusterClaimingTeamA = SecretClaim(
        kind: "ClusterAWSECRImagePullSecret", name: "platform", namespace: nil, secretName: "ecr-login",
        targetNamespaces: ["team-a", "team-z"])
    static let clusterElsewhere = SecretClaim(
        kind: "ClusterAWSECRImagePullSecret", name: "elsewhere", namespace: nil, secretName: "ecr-login",
        targetNamespaces: ["team-y"])
    static let selfClaim = SecretClaim(
        kind: "AWSECRImagePullSecret", name: "team-registry", namespace: "team-a", secretName: "ecr-login",
        targetNamespaces: ["team-a"])

    static let all: [AdmissionCase] = [
        // CRDModels field rules.
        .init("valid namespaced", .namespaced, object: Reviews.namespaced(), allowed: true),
        .init("valid cluster", .cluster, object: Reviews.cluster(), allowed: true),
        .init(
            "missing region", .namespaced,
            object: Reviews.namespaced(awsAccess: ["region": "", "secretRef": ["name": "aws-creds"]]),
            allowed: false, messageContains: ["spec.awsAccess.region"]),
        .init(
            "secretName not a DNS-1123 subdomain", .namespaced, object: Reviews.namespaced(secretName: "Bad_Name"),
            allowed: false, messageContains: ["spec.secretName"]),
        .init(
            "refreshInterval too short", .namespaced,
            object: Reviews.namespaced(extraSpec: ["refreshInterval": "1m"]),
            allowed: false, messageContains: ["spec.refreshInterval"]),
        .init(
            "refreshInterval in range", .namespaced, object: Reviews.namespaced(extraSpec: ["refreshInterval": "6h"]),
            allowed: true),
        .init(
            "registry account not 12 digits", .namespaced,
            object: Reviews.namespaced(extraSpec: ["registries": [["accountID": "12345"]]]),
            allowed: false, messageContains: ["spec.registries[0].accountID"]),
        .init(
            "cluster secretRef without namespace", .cluster,
            object: Reviews.cluster(awsAccess: ["region": "us-west-2", "secretRef": ["name": "aws-creds"]]),
            allowed: false, messageContains: ["spec.awsAccess.secretRef.namespace"]),
        // Immutability on UPDATE.
        .init(
            "secretName changed on UPDATE", .namespaced, operation: "UPDATE",
            object: Reviews.namespaced(secretName: "renamed"), old: Reviews.namespaced(),
            allowed: false, messageContains: ["spec.secretName", "immutable"]),
        .init(
            "other fields changed on UPDATE", .namespaced, operation: "UPDATE",
            object: Reviews.namespaced(awsAccess: ["region": "eu-west-1", "secretRef": ["name": "aws-creds"]]),
            old: Reviews.namespaced(), existing: [selfClaim], allowed: true),
        .init(
            "cluster secretName changed on UPDATE", .cluster, operation: "UPDATE",
            object: Reviews.cluster(secretName: "renamed"), old: Reviews.cluster(),
            allowed: false, messageContains: ["spec.secretName", "immutable"]),
        // Namespaced secretRef stays in its namespace.
        .init(
            "namespaced secretRef in another namespace", .namespaced,
            object: Reviews.namespaced(
                awsAccess: ["region": "us-west-2", "secretRef": ["name": "aws-creds", "namespace": "kube-system"]]),
            allowed: false, messageContains: ["spec.awsAccess.secretRef.namespace"]),
        .init(
            "namespaced secretRef naming its own namespace", .namespaced,
            object: Reviews.namespaced(
                awsAccess: ["region": "us-west-2", "secretRef": ["name": "aws-creds", "namespace": "team-a"]]),
            allowed: true),
        // Ambient credentials policy.
        .init(
            "namespaced ambient under cluster-only", .namespaced,
            object: Reviews.namespaced(awsAccess: ["region": "us-west-2"]),
            allowed: false, messageContains: ["spec.awsAccess", "--allow-ambient-credentials"]),
        .init(
            "namespaced ambient under all", .namespaced, object: Reviews.namespaced(awsAccess: ["region": "us-west-2"]),
            policy: .all, allowed: true),
        .init(
            "cluster ambient under cluster-only", .cluster, object: Reviews.cluster(awsAccess: ["region": "us-west-2"]),
            allowed: true),
        .init(
            "cluster ambient under none", .cluster, object: Reviews.cluster(awsAccess: ["region": "us-west-2"]),
            policy: .none, allowed: false, messageContains: ["spec.awsAccess", "--allow-ambient-credentials"]),
        // Inline keys: allowed with a short warning that does not echo the key.
        .init(
            "inline keys warn", .namespaced,
            object: Reviews.namespaced(
                awsAccess: ["region": "us-west-2", "accessKeyId": "AKIAEXAMPLEKEY000001",
                            "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]),
            allowed: true, warningContains: ["inline"]),
        // Two resources may not write the same Secret in one namespace.
        .init(
            "same Secret claimed in the namespace", .namespaced, object: Reviews.namespaced(), existing: [otherTeamA],
            allowed: false, messageContains: ["spec.secretName", "AWSECRImagePullSecret team-a/other"]),
        .init(
            "same Secret claimed by a cluster resource", .namespaced, object: Reviews.namespaced(),
            existing: [clusterClaimingTeamA],
            allowed: false, messageContains: ["\"team-a\" is already claimed by another resource"]),
        .init(
            "same Secret name in other namespaces only", .namespaced, object: Reviews.namespaced(),
            existing: [clusterElsewhere], allowed: true),
        .init(
            "cluster resource over a namespaced claim", .cluster, object: Reviews.cluster(), existing: [otherTeamA],
            allowed: false, messageContains: ["\"team-a\" is already claimed by another resource"]),
        .init(
            "UPDATE does not conflict with itself", .namespaced, operation: "UPDATE", object: Reviews.namespaced(),
            old: Reviews.namespaced(), existing: [selfClaim], allowed: true),
        // DELETE is never blocked, even of an invalid object.
        .init(
            "DELETE of an invalid object", .namespaced, operation: "DELETE", object: nil,
            old: Reviews.namespaced(awsAccess: ["region": ""]), existing: [otherTeamA], allowed: true),
    ]
}
