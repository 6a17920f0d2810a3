import CRDModels
import Foundation

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
            guard remaining == 0 else {
                changed = reportRemainingContent(of: namespace, key: key, type: namespacesType) || changed
                continue
            }
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

    /// The namespace controller's status conditions while content with finalizers remains.
    private func reportRemainingContent(of namespace: JSONValue, key: ObjectKey, type: APIResourceType) -> Bool {
        var resources: [String: Int] = [:]
        var finalizers: [String: Int] = [:]
        for contentType in types where contentType.namespaced && contentType.version == preferredVersion(of: contentType) {
            for (objectKey, object) in objects[contentType.groupResource] ?? [:] where objectKey.namespace == key.name {
                resources[contentType.groupResource.description, default: 0] += 1
                for finalizer in object["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                    finalizers[finalizer, default: 0] += 1
                }
            }
        }
        func describe(_ counts: [String: Int]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key) has \($0.value) resource instances" }
                .joined(separator: ", ")
        }
        let finalizerText = finalizers.sorted { $0.key < $1.key }.map { "\($0.key) in \($0.value) resource instances" }
            .joined(separator: ", ")
        let previous = namespace["status"]?["conditions"]?.arrayValue ?? []
        func condition(_ conditionType: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
            let unchanged = previous.first {
                $0["type"] == .string(conditionType) && $0["status"] == .string(status) && $0["reason"] == .string(reason)
                    && $0["message"] == .string(message)
            }
            return unchanged
                ?? .object([
                    "type": .string(conditionType), "status": .string(status), "reason": .string(reason),
                    "message": .string(message), "lastTransitionTime": .string(Timestamp.format(Date())),
                ])
        }
        var conditions = [
            condition("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered"),
            condition(
                "NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
                "All legacy kube types successfully parsed"),
            condition(
                "NamespaceDeletionContentFailure", "False", "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization"),
            condition(
                "NamespaceContentRemaining", "True", "SomeResourcesRemain", "Some resources are remaining: " + describe(resources)),
        ]
        if !finalizers.isEmpty {
            conditions.append(
                condition(
                    "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: " + finalizerText))
        }
        guard conditions != previous else { return false }
        var updated = namespace
        updated["status"]?["conditions"] = .array(conditions)
        _ = commit(type, key: key, object: updated, eventType: "MODIFIED", previous: namespace)
        return true
    }

    /// Several versions of a CRD share storage; visit each resource once.
    private func preferredVersion(of type: APIResourceType) -> String {
        types.first { $0.group == type.group && $0.plural == type.plural }?.version ?? type.version
    }
}
