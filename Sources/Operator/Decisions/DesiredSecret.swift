import CRDModels
import FoundationEssentials
import KubeClient

/// One registry's docker credential, as it goes into `.dockerconfigjson`.
public struct RegistryCredential: Sendable, Hashable {
    /// Registry host, e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com` or `public.ecr.aws`.
    public var host: String
    public var username: String
    public var password: String

    public init(host: String, username: String, password: String) {
        self.host = host
        self.username = username
        self.password = password
    }
}

/// The exact Secret the operator wants for one resource in one namespace, and how to turn an
/// existing Secret into it without touching what others put there.
public struct DesiredSecret: Sendable, Hashable {
    public static let dockerConfigKey = DockerConfigJSON.secretKey
    public static let managedByLabel = Labels.managedBy
    public static let managedByValue = Labels.managedByValue
    public static let expiresAtAnnotation = Annotations.expiresAt

    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var owner: OwnerReference
    public private(set) var dockerConfigJSON: Data
    /// `dockerConfigJSON` as the Secret's JSON carries it: encoded once per reconcile, not once per namespace.
    public private(set) var dockerConfigBase64: String

    /// Builds the desired Secret.
    /// - Parameters:
    ///   - ownerLabels: the labels naming the custom resource (and the managed-by label is added).
    ///   - templateLabels, templateAnnotations: `spec.secretTemplate`; the operator's own keys win.
    ///   - credentials: one per registry host; must not be empty, nor hold an empty password.
    public static func build(
        name: String, namespace: String, owner: OwnerReference, ownerLabels: [String: String],
        templateLabels: [String: String]?, templateAnnotations: [String: String]?,
        credentials: [RegistryCredential], expiresAt: Date
    ) throws -> DesiredSecret {
        guard !credentials.isEmpty else {
            throw OperatorError(code: .emptyCredential, message: "no registry credentials to write")
        }
        for credential in credentials where credential.password.isEmpty || credential.username.isEmpty {
            throw OperatorError(
                code: .emptyCredential, message: "empty credential for registry \(credential.host); not writing it")
        }
        var labels = templateLabels ?? [:]
        for (key, value) in ownerLabels { labels[key] = value }
        labels[managedByLabel] = managedByValue
        var annotations = templateAnnotations ?? [:]
        annotations[expiresAtAnnotation] = Timestamp.format(expiresAt)
        var controller = owner
        controller.controller = true
        controller.blockOwnerDeletion = true
        let dockerConfig = try encodeDockerConfig(credentials)
        return DesiredSecret(
            name: name, namespace: namespace, labels: labels, annotations: annotations, owner: controller,
            dockerConfigJSON: dockerConfig, dockerConfigBase64: dockerConfig.base64EncodedString())
    }

    /// `.dockerconfigjson` bytes (CRDModels' `DockerConfigJSON`, canonical: sorted keys).
    static func encodeDockerConfig(_ credentials: [RegistryCredential]) throws -> Data {
        var config = DockerConfigJSON()
        for credential in credentials {
            config.set(host: credential.host, username: credential.username, password: credential.password)
        }
        return try config.encoded()
    }

    /// A new Secret for a create.
    public var secret: Secret {
        Secret(
            metadata: ObjectMeta(
                name: name, namespace: namespace, labels: labels, annotations: annotations, ownerReferences: [owner]),
            data: [Self.dockerConfigKey: dockerConfigJSON], type: SecretOwnership.dockerConfigJSONType)
    }

    /// `existing` changed to match: our labels, annotations, data and controller reference set,
    /// everything else (other labels, other owners, other data keys) kept; the adopt annotation is
    /// dropped once adopted. Nil when `existing` already matches (no write needed).
    /// Labels and owner references `existing` already holds are kept as they are (not copied): a refresh sends
    /// the same ones again, and its answer then shares them (`KubeClient`'s `template`).
    public func updating(_ existing: Secret) -> Secret? {
        var updated = existing
        var metadata = existing.metadata
        var labels = metadata.labels ?? [:]
        for (key, value) in self.labels where labels[key] != value { labels[key] = value }
        metadata.labels = labels
        var annotations = metadata.annotations ?? [:]
        for (key, value) in self.annotations { annotations[key] = value }
        annotations[SecretOwnership.adoptAnnotation] = nil
        metadata.annotations = annotations.isEmpty ? nil : annotations
        if metadata.ownerReferences?.count != 1 || metadata.ownerReferences?.first != owner {
            var references = (metadata.ownerReferences ?? []).filter { $0.controller != true && $0.uid != owner.uid }
            references.append(owner)
            metadata.ownerReferences = references
        }
        updated.metadata = metadata
        var data = existing.data ?? [:]
        data[Self.dockerConfigKey] = dockerConfigJSON
        updated.data = data
        updated.type = SecretOwnership.dockerConfigJSONType
        return updated == existing ? nil : updated
    }
}
