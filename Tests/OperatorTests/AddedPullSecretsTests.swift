import CRDModels
import KubeClient
import Operator
import Testing

/// The rule that the operator only ever removes `imagePullSecrets` entries it added itself.
struct AddedPullSecretsTests {
    func account(_ entries: [String], recorded: String? = nil) -> ServiceAccount {
        var metadata = ObjectMeta(name: "builder", namespace: "app", resourceVersion: "7")
        if let recorded { metadata.annotations = [AddedPullSecrets.annotation: recorded, "team": "a"] }
        return ServiceAccount(metadata: metadata, imagePullSecrets: entries.map { LocalObjectReference(name: $0) })
    }

    func entries(_ patch: JSONValue?) -> [String]? {
        patch?["imagePullSecrets"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
    }

    func record(_ patch: JSONValue?) -> JSONValue? {
        patch?["metadata"]?["annotations"]?[AddedPullSecrets.annotation]
    }

    @Test func addingAppendsAndRecords() {
        let edit = AddedPullSecrets.edit(account(["other"]), .add("ecr-login"))
        #expect(entries(edit?.patch) == ["other", "ecr-login"])
        #expect(record(edit?.patch) == .string("ecr-login"))
        #expect(edit?.patch["metadata"]?["resourceVersion"] == .string("7"))
        #expect(edit?.patch["metadata"]?["annotations"]?["team"] == nil, "other annotations are not in the patch")
        #expect(edit?.names == ["ecr-login"])
    }

    @Test func anEntryAlreadyThereIsNotRecordedAndNeverRemoved() {
        #expect(AddedPullSecrets.edit(account(["ecr-login"]), .add("ecr-login")) == nil)
        #expect(AddedPullSecrets.edit(account(["ecr-login"]), .remove("ecr-login")) == nil)
        #expect(AddedPullSecrets.edit(account(["ecr-login"]), .removeAll) == nil)
    }

    @Test func removingTakesOnlyRecordedEntriesAndDropsTheRecordWhenEmpty() {
        let two = account(["other", "a", "b"], recorded: "a,b")
        let one = AddedPullSecrets.edit(two, .remove("a"))
        #expect(entries(one?.patch) == ["other", "b"])
        #expect(record(one?.patch) == .string("b"))
        let all = AddedPullSecrets.edit(two, .removeAll)
        #expect(entries(all?.patch) == ["other"])
        #expect(record(all?.patch) == .null, "null deletes the annotation in a merge patch")
        #expect(all?.names == ["a", "b"])
        #expect(AddedPullSecrets.recorded(two) == ["a", "b"])
    }

    @Test func aRecordedEntrySomeoneRemovedOnlyClearsTheRecord() {
        let edit = AddedPullSecrets.edit(account(["other"], recorded: "ecr-login"), .remove("ecr-login"))
        #expect(entries(edit?.patch) == ["other"])
        #expect(record(edit?.patch) == .null)
        #expect(edit?.names == [])
    }
}
