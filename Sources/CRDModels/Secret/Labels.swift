/// Labels the operator puts on every target Secret.
///
/// The owner labels name the custom resource so the operator can list its Secrets by label selector
/// (metadata-only) and so `kubectl get secrets -l ecr.pullsecrets.dev/owner-name=team-registry` works.
/// Label values are at most 63 characters, which is why validation limits `metadata.name` to 63.
public enum Labels {
    /// `app.kubernetes.io/managed-by`.
    public static let managedBy = "app.kubernetes.io/managed-by"
    /// The value of `managedBy` on Secrets this operator writes.
    public static let managedByValue = "ecr-pullsecret-operator"
    /// Kind of the owning custom resource: `AWSECRImagePullSecret` or `ClusterAWSECRImagePullSecret`.
    public static let ownerKind = "\(prefix)owner-kind"
    /// Name of the owning custom resource.
    public static let ownerName = "\(prefix)owner-name"
    /// Namespace of the owning custom resource; absent for the cluster kind.
    public static let ownerNamespace = "\(prefix)owner-namespace"

    /// Every label key with this prefix is reserved for the operator (secretTemplate may not set it).
    public static let prefix = "\(APIGroup.name)/"

    /// The labels a Secret owned by `resource` carries.
    public static func owned<R: ImagePullSecretResource>(by resource: R) -> [String: String] {
        var labels = [managedBy: managedByValue, ownerKind: R.resource.kind]
        if let name = resource.metadata.name { labels[ownerName] = name }
        if R.resource.namespaced, let namespace = resource.metadata.namespace { labels[ownerNamespace] = namespace }
        return labels
    }

    /// A label selector string (`k=v,k=v`) matching the Secrets owned by `resource`, for list/watch calls.
    public static func ownedSelector<R: ImagePullSecretResource>(by resource: R) -> String {
        owned(by: resource).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Whether `key` is one the operator manages (secretTemplate may not set it).
    public static func isReserved(_ key: String) -> Bool {
        key == managedBy || key.hasPrefix(prefix)
    }
}

/// Annotations the operator reads or writes.
public enum Annotations {
    /// RFC 3339 expiry of the earliest token in the Secret, written on every target Secret.
    public static let expiresAt = "\(Labels.prefix)expires-at"
    /// Set to `"true"` on an existing Secret that this operator may take over; otherwise a Secret of the
    /// target name that the resource does not own is left alone and reported as a conflict.
    public static let adopt = "\(Labels.prefix)adopt"
    public static let adoptValue = "true"

    /// Whether `key` is one the operator manages (secretTemplate may not set it).
    public static func isReserved(_ key: String) -> Bool { key.hasPrefix(Labels.prefix) }
}

/// Finalizers the operator puts on its custom resources.
public enum Finalizers {
    /// On resources that name ServiceAccounts: removes the Secret from their `imagePullSecrets` before
    /// the resource goes.
    public static let serviceAccounts = "\(Labels.prefix)service-accounts"
}
