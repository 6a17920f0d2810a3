import CRDModels
import KubeClient
import Synchronization

/// Each cluster resource's namespace selection, kept while neither the namespace cache nor what the resource asks
/// for has changed. A refresh (new registries, a new token) selects what the last reconcile selected, and at 5,000
/// namespaces copying the cache and resolving the selector took 15 – 35 ms before the first Secret write.
public final class NamespaceSelectionCache: Sendable {
    /// What a selection is resolved from.
    struct Inputs: Hashable {
        var namespacesGeneration: Int
        var list: [String]
        var selector: LabelSelector?
        var watchNamespace: String?
    }

    private let entries = Mutex<[String: (inputs: Inputs, selection: NamespaceSelection.Result)]>([:])

    public init() {}

    /// The selection of the resource named `name` over the namespaces in `namespaces`.
    func selection(
        for name: String, list: [String], selector: LabelSelector?, watchNamespace: String?,
        namespaces: ObjectStore<CachedNamespace>
    ) -> NamespaceSelection.Result {
        // The generation before the contents: a selection is never older than the generation it is kept under.
        let inputs = Inputs(
            namespacesGeneration: namespaces.generation, list: list, selector: selector,
            watchNamespace: watchNamespace)
        if let entry = entries.withLock({ $0[name] }), entry.inputs == inputs { return entry.selection }
        // Read in place under the store's lock: copying 10,000 namespaces out first took 5 ms, and building an
        // array of them 8 ms more.
        let selection = namespaces.withObjects { objects in
            NamespaceSelection.resolve(
                list: list, selector: selector, namespaces: objects, watchNamespace: watchNamespace)
        }
        entries.withLock { $0[name] = (inputs, selection) }
        return selection
    }

    /// Drops the selection of a resource that is gone.
    func forget(_ name: String) {
        _ = entries.withLock { $0.removeValue(forKey: name) }
    }

    var count: Int { entries.withLock { $0.count } }
}
