import CRDModels

/// Which namespaces a resource targets, and which managed Secrets must go because their namespace
/// left the selection.
public enum NamespaceSelection {
    /// What the resolver needs to know about one namespace.
    public struct NamespaceInfo: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public var isTerminating: Bool

        public init(name: String, labels: [String: String] = [:], isTerminating: Bool = false) {
            self.name = name
            self.labels = labels
            self.isTerminating = isTerminating
        }
    }

    /// The outcome for a cluster resource.
    public struct Result: Sendable, Hashable {
        /// Existing, non-terminating namespaces to write, sorted.
        public var targets: [String]
        /// Listed explicitly but absent (reported as `NamespaceMissing`), sorted.
        public var missing: [String]
        /// Listed or selected but terminating: skipped, neither written nor reported as failures.
        public var terminating: [String]
        /// `targets` and `terminating`: the namespaces whose managed Secret is not pruned (looked up once per
        /// managed Secret, with the selection kept between reconciles by `NamespaceSelectionCache`).
        public var kept: Set<String>
    }

    /// The union of the explicit list and the selector's matches over `namespaces`. A nil selector
    /// selects nothing (only the list counts); an empty selector (`{}`) selects every namespace.
    /// `watchNamespace` (the operator's `--watch-namespace`) restricts everything when set.
    public static func resolve(
        list: [String], selector: LabelSelector?, namespaces: [NamespaceInfo], watchNamespace: String? = nil
    ) -> Result {
        var byName: [String: NamespaceInfo] = [:]
        for namespace in namespaces { byName[namespace.name] = namespace }
        var wanted = Set(list)
        if let selector {
            for namespace in namespaces where selector.matches(namespace.labels) { wanted.insert(namespace.name) }
        }
        if let watchNamespace, !watchNamespace.isEmpty { wanted = wanted.filter { $0 == watchNamespace } }
        var targets: [String] = []
        var missing: [String] = []
        var terminating: [String] = []
        for name in wanted.sorted() {
            guard let info = byName[name] else {
                missing.append(name)
                continue
            }
            if info.isTerminating { terminating.append(name) } else { targets.append(name) }
        }
        return Result(
            targets: targets, missing: missing, terminating: terminating, kept: Set(targets).union(terminating))
    }

    /// Namespaces holding a Secret managed for this resource that are no longer targeted: their
    /// Secret is deleted. Terminating namespaces are left alone (the namespace deletion removes it).
    public static func toPrune(managedSecretNamespaces: [String], result: Result) -> [String] {
        Set(managedSecretNamespaces.filter { !result.kept.contains($0) }).sorted()
    }
}
