import CRDModels
import Testing

@testable import KubeTestSupport

/// Which writes give the test server's garbage collector work, as the real graph builder queues it.
@Suite("Test server: garbage-collection candidates")
struct TestServerOwnershipIndexTests {
    static func object(uid: String, owners: [String]) -> JSONValue {
        var metadata: [String: JSONValue] = ["uid": .string(uid)]
        if !owners.isEmpty {
            metadata["ownerReferences"] = .array(owners.map { .object(["uid": .string($0), "name": .string($0)]) })
        }
        return .object(["metadata": .object(metadata)])
    }

    static func reference(_ name: String) -> ObjectReference {
        ObjectReference(
            resource: GroupResource(group: "", resource: "secrets"), key: ObjectKey(namespace: "ns", name: name))
    }

    @Test func onlyAWriteNamingAMissingOwnerIsACandidate() {
        var index = OwnershipIndex()
        index.stored(Self.object(uid: "owner", owners: []), previous: nil, at: Self.reference("owner"))
        // A new dependent of a live owner: nothing to check (`addDependentToOwners` queues only a missing owner).
        let live = Self.object(uid: "a", owners: ["owner"])
        let newDependent = index.stored(live, previous: nil, at: Self.reference("a"))
        #expect(!newDependent)
        #expect(index.candidates.isEmpty)
        // An update keeping the references: nothing either.
        let kept = index.stored(live, previous: live, at: Self.reference("a"))
        #expect(!kept)
        // A new dependent of a missing owner, and references changed to a missing one, are checked.
        let orphan = index.stored(Self.object(uid: "b", owners: ["ghost"]), previous: nil, at: Self.reference("b"))
        #expect(orphan)
        let retargeted = Self.object(uid: "a", owners: ["owner", "ghost"])
        let changed = index.stored(retargeted, previous: live, at: Self.reference("a"))
        #expect(changed)
        #expect(index.candidates == [Self.reference("a"), Self.reference("b")])
        // The owner going makes its live-owned dependents candidates after all.
        index.candidates = []
        index.stored(Self.object(uid: "c", owners: ["owner"]), previous: nil, at: Self.reference("c"))
        index.removed(Self.object(uid: "owner", owners: []), at: Self.reference("owner"))
        #expect(index.candidates == [Self.reference("a"), Self.reference("c")])
    }
}
