// The direct readers' way through an object (`FlatJSON+ObjectMeta`, `FlatJSON+Spec`): its members named by an
// enum's cases are found in one pass (`FlatJSON.withMembers`), then read one by one as a synthesized
// `init(from:)` reads them (`FlatJSONMemberReader`), with the same values and errors.

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
}

extension FlatJSONValueDecoder {
    /// Reads the object at `node` with `body`, given its members named by `Member`'s cases (found in one pass), after
    /// the check its synthesized `init(from:)` makes first (`container(keyedBy:)`: an object, null a missing one).
    func object<Member: FlatJSONMembers, Result>(
        _ node: Int, path: @autoclosure () -> [any CodingKey], _ member: Member.Type,
        _ body: (FlatJSONMemberReader<Member>) throws -> Result
    ) throws -> Result {
        try expect(node, .object, [String: Any].self, path: path())
        return try document.withMembers(of: node, Member.self) { members in
            try withoutActuallyEscaping(path) { path in
                try body(FlatJSONMemberReader(decoder: self, members: members, path: path))
            }
        }
    }
}

/// One object's members, read as a synthesized `init(from:)` reads them from a keyed container: a required member
/// as `decode(_:forKey:)` (absent: `keyNotFound` at the object's path; null: `valueNotFound`), an optional one as
/// `decodeIfPresent(_:forKey:)` (absent or null: nil). Coding paths are built only for errors.
struct FlatJSONMemberReader<Member: FlatJSONMembers> {
    let decoder: FlatJSONValueDecoder
    let members: FlatJSONMemberNodes<Member>
    /// The object's coding path.
    let path: () -> [any CodingKey]

    /// A required member, read by `read` from its node and coding path.
    func required<T>(_ member: Member, _ read: (Int, () -> [any CodingKey]) throws -> T) throws -> T {
        guard let node = members.value(member) else {
            throw DecodingError.keyNotFound(
                member.key,
                .init(codingPath: path(), debugDescription: "No value associated with key \(member.key.stringValue)."))
        }
        return try read(node) { path() + [member.key] }
    }

    /// An optional member, read by `read` from its node and coding path; nil when absent or null.
    func optional<T>(_ member: Member, _ read: (Int, () -> [any CodingKey]) throws -> T) throws -> T? {
        guard let node = members[member] else { return nil }
        return try read(node) { path() + [member.key] }
    }

    func string(_ member: Member) throws -> String {
        try required(member) { try decoder.string($0, path: $1()) }
    }

    func stringIfPresent(_ member: Member) throws -> String? {
        try optional(member) { try decoder.string($0, path: $1()) }
    }

    func integerIfPresent<T: FixedWidthInteger>(_ member: Member) throws -> T? {
        try optional(member) { try decoder.integer($0, path: $1()) }
    }

    func boolIfPresent(_ member: Member) throws -> Bool? {
        try optional(member) { try decoder.bool($0, path: $1()) }
    }

    func stringListIfPresent(_ member: Member) throws -> [String]? {
        try optional(member) { try decoder.stringList($0, path: $1()) }
    }

    func stringMapIfPresent(_ member: Member) throws -> [String: String]? {
        try optional(member) { try decoder.stringMap($0, path: $1()) }
    }
}
