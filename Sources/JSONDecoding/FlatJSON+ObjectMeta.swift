import CRDModels

/// `ObjectMeta` read straight from the table: every answer, list item and watch event of the client carries one,
/// and through its synthesized `init(from:)` each of its 14 fields cost a keyed lookup, a generic call and, for
/// owner references, a decoder and a container per element (6-7 % of the operator's CPU in a refresh at 5,000
/// namespaces). Here one pass over the object's members finds them all, and the fields are then read in the order
/// the synthesized `init(from:)` reads them, with the same values and the same errors (type, coding path), so a
/// document with two bad fields fails on the same one. `ObjectMeta.WithoutManagedFields` skips `managedFields`
/// unread: its value is checked as its `init(from:)` checks it (an array of any JSON within a `Double`'s range),
/// not built.
///
/// Measured (release, loaded machine, median of 5 × 100,000): a metadata-only write answer of a managed Secret
/// 6.7-10.6 → 4.4-7.4 µs, 12.2-17.5 → 5.1-8.2 µs with the `managedFields` a real API server adds; in the
/// operator's profile of a refresh at 5,000 namespaces, `ObjectMeta`'s decode 3.9-4.3 % → 2.3-2.5 % of its CPU.
extension FlatJSONValueDecoder {
    /// `ObjectMeta`'s members in the order its synthesized `init(from:)` decodes them.
    private enum MetaMember: Int, FlatJSONMembers {
        case name, generateName, namespace, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp
        case deletionGracePeriodSeconds, labels, annotations, ownerReferences, finalizers, managedFields

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    /// `OwnerReference`'s members in the order its synthesized `init(from:)` decodes them.
    private enum OwnerMember: Int, FlatJSONMembers {
        case apiVersion, kind, name, uid, controller, blockOwnerDeletion

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    /// This decoder's value as `ObjectMeta`; unless `keepingManagedFields`, without `managedFields` (checked only).
    /// Labels, annotations and owner references equal to those of the `template` of its namespace and name are
    /// the template's copies, compared in place and not built (a write's answer repeats what was sent, the watch
    /// event of a write what the cache holds: the caller keeps one copy, not one per answer or event); so are its
    /// name, namespace, uid and creation timestamp when equal.
    func objectMeta(
        keepingManagedFields: Bool,
        template: (_ namespace: String?, _ name: String?) -> ObjectMeta? = { _, _ in nil }
    ) throws -> ObjectMeta {
        try object(node, path: codingPath, MetaMember.self) { meta in
            var metadata = ObjectMeta()
            metadata.name = try meta.stringIfPresent(.name)
            metadata.generateName = try meta.stringIfPresent(.generateName)
            metadata.namespace = try meta.stringIfPresent(.namespace)
            metadata.uid = try meta.stringIfPresent(.uid)
            metadata.resourceVersion = try meta.stringIfPresent(.resourceVersion)
            metadata.generation = try meta.integerIfPresent(.generation)
            metadata.creationTimestamp = try meta.stringIfPresent(.creationTimestamp)
            metadata.deletionTimestamp = try meta.stringIfPresent(.deletionTimestamp)
            metadata.deletionGracePeriodSeconds = try meta.integerIfPresent(.deletionGracePeriodSeconds)
            let template = template(metadata.namespace, metadata.name)
            if let template { metadata.keepStrings(of: template) }
            metadata.labels = try meta.optional(.labels) { node, path in
                if let labels = template?.labels, holds(labels, at: node) { return labels }
                return try stringMap(node, path: path())
            }
            metadata.annotations = try meta.optional(.annotations) { node, path in
                if let annotations = template?.annotations, holds(annotations, at: node) { return annotations }
                return try stringMap(node, path: path())
            }
            metadata.ownerReferences = try meta.optional(.ownerReferences) { node, path in
                if let owners = template?.ownerReferences, holds(owners, at: node) { return owners }
                return try ownerReferences(node, path: path())
            }
            metadata.finalizers = try meta.stringListIfPresent(.finalizers)
            if let node = meta.members[.managedFields] {
                metadata.managedFields = try managedFields(node, keeping: keepingManagedFields)
            }
            return metadata
        }
    }

    private func ownerReferences(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> [OwnerReference] {
        try list(node, path: path()) { element, elementPath in try ownerReference(element, path: elementPath()) }
    }

    private func ownerReference(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> OwnerReference {
        try object(node, path: path(), OwnerMember.self) { owner in
            OwnerReference(
                apiVersion: try owner.string(.apiVersion), kind: try owner.string(.kind), name: try owner.string(.name),
                uid: try owner.string(.uid), controller: try owner.boolIfPresent(.controller),
                blockOwnerDeletion: try owner.boolIfPresent(.blockOwnerDeletion))
        }
    }

    /// Whether the value at `node` reads as exactly `map` (`stringMap` would build an equal one without error):
    /// as many members, each of `map`'s keys found (the first of its name, as `stringMap` keeps) with its value as
    /// a string, so no member is left over or repeated.
    private func holds(_ map: [String: String], at node: Int) -> Bool {
        guard document[node].kind == .object, document[node].count == map.count else { return false }
        for (key, value) in map {
            guard let member = document.member(of: node, named: key), document[member].kind == .string else {
                return false
            }
            var value = value
            guard value.withUTF8({ document.keyMatches(member, $0) }) else { return false }
        }
        return true
    }

    /// Whether the value at `node` reads as exactly `owners` (`ownerReferences` would build an equal array).
    private func holds(_ owners: [OwnerReference], at node: Int) -> Bool {
        guard document[node].kind == .array, document[node].count == owners.count else { return false }
        var element = node + 1
        for owner in owners {
            guard document[element].kind == .object, holds(owner, at: element) else { return false }
            element = document[element].after
        }
        return true
    }

    private func holds(_ owner: OwnerReference, at node: Int) -> Bool {
        func holds(_ member: OwnerMember, _ members: FlatJSONMemberNodes<OwnerMember>, _ text: String) -> Bool {
            guard let node = members.value(member), document[node].kind == .string else { return false }
            var text = text
            return text.withUTF8 { document.keyMatches(node, $0) }
        }
        func holds(_ member: OwnerMember, _ members: FlatJSONMemberNodes<OwnerMember>, _ flag: Bool?) -> Bool {
            switch (members[member].map { document[$0].kind }, flag) {
            case (nil, nil), (.true?, true?), (.false?, false?): true
            default: false
            }
        }
        // The body throws nothing (`withMembers` is `throws` for its other callers).
        return (try? document.withMembers(of: node, OwnerMember.self) { members in
            holds(.apiVersion, members, owner.apiVersion) && holds(.kind, members, owner.kind)
                && holds(.name, members, owner.name) && holds(.uid, members, owner.uid)
                && holds(.controller, members, owner.controller)
                && holds(.blockOwnerDeletion, members, owner.blockOwnerDeletion)
        }) ?? false
    }

    /// `managedFields` as `[JSONValue]` (or nil when not `keeping`), with the errors of its `init(from:)`: anything
    /// but an array, or a number beyond a `Double` in it, is left to that `init(from:)`, which throws.
    private func managedFields(_ node: Int, keeping: Bool) throws -> [JSONValue]? {
        if document[node].kind == .array {
            if keeping, case .array(let entries)? = document.jsonValue(node) { return entries }
            if !keeping, !document.holdsNumberBeyondDouble(node) { return nil }
        }
        let entries = try decode([JSONValue].self, at: node, key: MetaMember.managedFields.key)
        return keeping ? entries : nil
    }
}

extension FlatJSON {
    /// Whether a number in the subtree of `node` does not fit in a `Double` (where `JSONValue.init(from:)` throws).
    func holdsNumberBeyondDouble(_ node: Int) -> Bool {
        (node..<nodes[node].after).contains {
            nodes[$0].kind == .number && !(Double(numberText($0))?.isFinite ?? false)
        }
    }
}

extension ObjectMeta {
    /// The identity strings equal to `template`'s become `template`'s copies (strings of more than 15 bytes are
    /// heap allocations): a cache that keeps the object, or the answer to a write of it, then holds one storage per
    /// object, not a new one per event or write.
    fileprivate mutating func keepStrings(of template: ObjectMeta) {
        func kept(_ value: String?, _ templateValue: String?) -> String? {
            if let templateValue, value == templateValue { return templateValue }
            return value
        }
        name = kept(name, template.name)
        namespace = kept(namespace, template.namespace)
        uid = kept(uid, template.uid)
        creationTimestamp = kept(creationTimestamp, template.creationTimestamp)
    }
}
