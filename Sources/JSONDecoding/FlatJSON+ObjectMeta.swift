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
    func objectMeta(keepingManagedFields: Bool) throws -> ObjectMeta {
        try expect(node, .object, [String: Any].self, path: codingPath)
        return try document.withMembers(of: node, MetaMember.self) { members in
            func path(_ member: MetaMember) -> [any CodingKey] { codingPath + [member.key] }
            func string(_ member: MetaMember) throws -> String? {
                guard let node = members[member] else { return nil }
                return try self.string(node, path: path(member))
            }
            func integer(_ member: MetaMember) throws -> Int64? {
                guard let node = members[member] else { return nil }
                return try self.integer(node, path: path(member))
            }
            func stringMap(_ member: MetaMember) throws -> [String: String]? {
                guard let node = members[member] else { return nil }
                return try self.stringMap(node, path: path(member))
            }
            var metadata = ObjectMeta()
            metadata.name = try string(.name)
            metadata.generateName = try string(.generateName)
            metadata.namespace = try string(.namespace)
            metadata.uid = try string(.uid)
            metadata.resourceVersion = try string(.resourceVersion)
            metadata.generation = try integer(.generation)
            metadata.creationTimestamp = try string(.creationTimestamp)
            metadata.deletionTimestamp = try string(.deletionTimestamp)
            metadata.deletionGracePeriodSeconds = try integer(.deletionGracePeriodSeconds)
            metadata.labels = try stringMap(.labels)
            metadata.annotations = try stringMap(.annotations)
            if let node = members[.ownerReferences] {
                metadata.ownerReferences = try ownerReferences(node, path: path(.ownerReferences))
            }
            if let node = members[.finalizers] {
                metadata.finalizers = try stringList(node, path: path(.finalizers))
            }
            if let node = members[.managedFields] {
                metadata.managedFields = try managedFields(node, keeping: keepingManagedFields)
            }
            return metadata
        }
    }

    private func ownerReferences(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> [OwnerReference] {
        try list(node, path: path()) { element, elementPath in try ownerReference(element, path: elementPath()) }
    }

    private func ownerReference(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> OwnerReference {
        try expect(node, .object, [String: Any].self, path: path())
        return try document.withMembers(of: node, OwnerMember.self) { members in
            func required(_ member: OwnerMember) throws -> String {
                guard let value = members.value(member) else {
                    throw DecodingError.keyNotFound(
                        member.key,
                        .init(codingPath: path(), debugDescription: "No value associated with key \(member.key)."))
                }
                return try string(value, path: path() + [member.key])
            }
            func flag(_ member: OwnerMember) throws -> Bool? {
                guard let value = members[member] else { return nil }
                return try bool(value, path: path() + [member.key])
            }
            return OwnerReference(
                apiVersion: try required(.apiVersion), kind: try required(.kind), name: try required(.name),
                uid: try required(.uid), controller: try flag(.controller),
                blockOwnerDeletion: try flag(.blockOwnerDeletion))
        }
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

/// The members of an object that a direct reader looks for, as cases numbered from 0 (`FlatJSON.withMembers`).
protocol FlatJSONMembers: CaseIterable, RawRepresentable<Int> {
    /// Each case's member name as UTF-8, indexed by raw value.
    static var names: [[UInt8]] { get }
}

extension FlatJSONMembers {
    /// The member's key in a coding path (for errors only: it makes a string).
    var key: NameKey { NameKey(stringValue: String(decoding: Self.names[rawValue], as: UTF8.self)) }
}

/// The value nodes of one object's members, by case (`FlatJSON.withMembers`).
struct FlatJSONMemberNodes<Member: FlatJSONMembers> {
    fileprivate let nodes: UnsafeMutableBufferPointer<Int>
    fileprivate let document: FlatJSON

    /// The member's value node; nil when it is absent or null (what `decodeIfPresent` reads as nil).
    subscript(member: Member) -> Int? {
        guard let node = value(member), document[node].kind != .null else { return nil }
        return node
    }

    /// The member's value node, null included; nil when it is absent.
    func value(_ member: Member) -> Int? {
        let node = nodes[member.rawValue]
        return node == 0 ? nil : node
    }
}

extension FlatJSON {
    /// Runs `body` with the value nodes of `object`'s members named by `Member`'s cases, found in one pass over
    /// the members (the first of repeated names, as `member(of:named:)` finds). No allocation: the table of nodes
    /// lives on the stack.
    func withMembers<Member: FlatJSONMembers, Result>(
        of object: Int, _ member: Member.Type, _ body: (FlatJSONMemberNodes<Member>) throws -> Result
    ) throws -> Result {
        let names = Member.names
        return try withUnsafeTemporaryAllocation(of: Int.self, capacity: names.count) { nodes in
            nodes.initialize(repeating: 0)  // 0 is the document's root, never a member's value
            var key = object + 1
            for _ in 0..<self[object].count {
                let length = self[key].flag ? nil : self[key].end - self[key].start  // escaped: any length
                for index in names.indices where nodes[index] == 0 && (length == nil || names[index].count == length) {
                    if names[index].withUnsafeBufferPointer({ keyMatches(key, $0) }) {
                        nodes[index] = key + 1
                        break
                    }
                }
                key = self[key + 1].after
            }
            return try body(FlatJSONMemberNodes(nodes: nodes, document: self))
        }
    }

    /// Whether a number in the subtree of `node` does not fit in a `Double` (where `JSONValue.init(from:)` throws).
    func holdsNumberBeyondDouble(_ node: Int) -> Bool {
        (node..<nodes[node].after).contains {
            nodes[$0].kind == .number && !(Double(numberText($0))?.isFinite ?? false)
        }
    }
}
