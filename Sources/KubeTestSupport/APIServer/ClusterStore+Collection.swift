import CRDModels

extension ClusterStore {
    /// One pass of the background controllers the real control plane runs: the garbage collector
    /// (delete objects whose owners, matched by uid, are all gone; background propagation) and the
    /// namespace controller (empty a terminating namespace, then remove it).
    /// Foreground and Orphan deletion work through their finalizers, as in the real garbage collector.
    func collectGarbage() {
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<100 where collectOnce() {}
        collectionNeeded = false
    }

    /// Returns whether anything changed, so the caller repeats until the state settles.
    ///
    /// Only candidates are examined (objects written with owners, dependents of removed objects),
    /// so a pass costs what changed, not the size of the store.
    private func collectOnce() -> Bool {
        var changed = false
        let candidates = ownership.candidates
        ownership.candidates = []
        for reference in candidates {
            guard let object = objects[reference.resource]?[reference.key],
                object["metadata"]?["deletionTimestamp"] == nil,
                let owners = object["metadata"]?["ownerReferences"]?.arrayValue, !owners.isEmpty,
                let type = types.first(where: { $0.groupResource == reference.resource })
            else { continue }
            let ownerUIDs = owners.compactMap { $0["uid"]?.stringValue }
            if !ownerUIDs.contains(where: { ownership.live[$0] != nil }) {
                _ = deleteLocked(type, key: reference.key)
                changed = true
            } else if ownerUIDs.contains(where: { ownership.live[$0] == nil }) {
                // Some owners remain: only the references to the missing ones go.
                var updated = object
                updated["metadata"]?["ownerReferences"] = .array(
                    owners.filter { ownership.live[$0["uid"]?.stringValue ?? ""] != nil })
                _ = commit(type, key: reference.key, object: updated, eventType: "MODIFIED", previous: object)
                changed = true
            }
        }
        changed = propagateDeletions() || changed
        let namespacesType = types.first { $0.groupResource == Self.namespaces }
        for (key, namespace) in objects[Self.namespaces] ?? [:] {
            guard let namespacesType, namespace["metadata"]?["deletionTimestamp"] != nil else { continue }
            var remaining = 0
            for type in types where type.namespaced && type.version == preferredVersion(of: type) {
                for (objectKey, object) in (objects[type.groupResource] ?? [:]) where objectKey.namespace == key.name {
                    remaining += 1
                    if object["metadata"]?["deletionTimestamp"] == nil {
                        _ = deleteLocked(type, key: objectKey)
                        changed = true
                    }
                }
            }
            guard remaining == 0 else { continue }
            var finalized = namespace
            if !(namespace["spec"]?["finalizers"]?.arrayValue ?? []).isEmpty {
                finalized["spec"] = .object(["finalizers": .array([])])
                finalized = commit(namespacesType, key: key, object: finalized, eventType: "MODIFIED", previous: namespace)
                changed = true
            }
            if (finalized["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty {
                _ = remove(namespacesType, key: key, object: finalized)
                changed = true
            }
        }
        return changed
    }

    /// Objects deleted with `propagationPolicy` Orphan lose their dependents' ownerReferences to them,
    /// Foreground ones wait until their dependents are gone; then the finalizer goes (and the object
    /// with it, when it was the last one).
    private func propagateDeletions() -> Bool {
        var changed = false
        for reference in ownership.propagating {
            guard let object = objects[reference.resource]?[reference.key],
                let type = types.first(where: { $0.groupResource == reference.resource }),
                let uid = OwnershipIndex.uid(object)
            else {
                ownership.propagating.remove(reference)
                continue
            }
            var finalizers = object["metadata"]?["finalizers"]?.arrayValue ?? []
            let dependents = (ownership.dependents[uid] ?? []).filter { objects[$0.resource]?[$0.key] != nil }
            if finalizers.contains(.string("orphan")) {
                for dependent in dependents {
                    guard var child = objects[dependent.resource]?[dependent.key],
                        let childType = types.first(where: { $0.groupResource == dependent.resource })
                    else { continue }
                    let previous = child
                    let remaining = (child["metadata"]?["ownerReferences"]?.arrayValue ?? [])
                        .filter { $0["uid"]?.stringValue != uid }
                    child["metadata"]?["ownerReferences"] = remaining.isEmpty ? nil : .array(remaining)
                    _ = commit(childType, key: dependent.key, object: child, eventType: "MODIFIED", previous: previous)
                }
                finalizers.removeAll { $0 == .string("orphan") }
            } else if finalizers.contains(.string("foregroundDeletion")) {
                guard dependents.isEmpty else {
                    for dependent in dependents {
                        guard let childType = types.first(where: { $0.groupResource == dependent.resource }),
                            objects[dependent.resource]?[dependent.key]?["metadata"]?["deletionTimestamp"] == nil
                        else { continue }
                        _ = deleteLocked(childType, key: dependent.key)
                        changed = true
                    }
                    continue
                }
                finalizers.removeAll { $0 == .string("foregroundDeletion") }
            }
            var updated = object
            updated["metadata"]?["finalizers"] = finalizers.isEmpty ? nil : .array(finalizers)
            if finalizers.isEmpty && type.groupResource != Self.namespaces {
                _ = remove(type, key: reference.key, object: updated)
            } else {
                _ = commit(type, key: reference.key, object: updated, eventType: "MODIFIED", previous: object)
            }
            changed = true
        }
        return changed
    }

    /// Several versions of a CRD share storage; visit each resource once.
    private func preferredVersion(of type: APIResourceType) -> String {
        types.first { $0.group == type.group && $0.plural == type.plural }?.version ?? type.version
    }
}
