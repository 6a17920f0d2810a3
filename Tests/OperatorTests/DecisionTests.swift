import CRDModels
import Foundation
import KubeClient
import Testing

@testable import Operator

@Suite struct DesiredSecretTests {
    let owner = OwnerReference(
        apiVersion: "ecr.pullsecrets.dev/v1alpha1", kind: "ClusterAWSECRImagePullSecret", name: "shared", uid: "uid-1")
    let expires = Date(timeIntervalSince1970: 1_800_043_200)

    func build() throws -> DesiredSecret {
        try DesiredSecret.build(
            name: "ecr-login", namespace: "team-a", owner: owner,
            ownerLabels: ["ecr.pullsecrets.dev/owner": "shared"],
            templateLabels: ["team": "a", DesiredSecret.managedByLabel: "someone-else"],
            templateAnnotations: ["note": "x"],
            credentials: [
                RegistryCredential(
                    host: "123456789012.dkr.ecr.us-west-2.amazonaws.com", username: "AWS", password: "pw-1"),
                RegistryCredential(host: "public.ecr.aws", username: "AWS", password: "pw-2"),
            ],
            expiresAt: expires)
    }

    @Test func exactContent() throws {
        let secret = try build().secret
        #expect(secret.type == "kubernetes.io/dockerconfigjson")
        #expect(secret.metadata.namespace == "team-a")
        #expect(secret.metadata.labels?["app.kubernetes.io/managed-by"] == "ecr-pullsecret-operator")
        #expect(secret.metadata.labels?["team"] == "a")
        #expect(secret.metadata.labels?["ecr.pullsecrets.dev/owner"] == "shared")
        #expect(secret.metadata.annotations?["ecr.pullsecrets.dev/expires-at"] == "2027-01-15T20:00:00Z")
        #expect(secret.metadata.annotations?["note"] == "x")
        let reference = try #require(secret.metadata.ownerReferences?.first)
        #expect(reference.controller == true && reference.blockOwnerDeletion == true && reference.uid == "uid-1")
        let json = try #require(secret.data?[".dockerconfigjson"])
        let parsed = try JSONValue.parse(json)
        let entry = try #require(parsed["auths"]?["123456789012.dkr.ecr.us-west-2.amazonaws.com"])
        #expect(entry["username"]?.stringValue == "AWS")
        #expect(entry["password"]?.stringValue == "pw-1")
        #expect(entry["auth"]?.stringValue == Data("AWS:pw-1".utf8).base64EncodedString())
        #expect(parsed["auths"]?["public.ecr.aws"]?["password"]?.stringValue == "pw-2")
    }

    @Test func refusesEmptyCredentials() {
        #expect(throws: OperatorError.self) {
            try DesiredSecret.build(
                name: "s", namespace: "n", owner: owner, ownerLabels: [:], templateLabels: nil,
                templateAnnotations: nil,
                credentials: [RegistryCredential(host: "h", username: "AWS", password: "")], expiresAt: expires)
        }
        #expect(throws: OperatorError.self) {
            try DesiredSecret.build(
                name: "s", namespace: "n", owner: owner, ownerLabels: [:], templateLabels: nil,
                templateAnnotations: nil, credentials: [], expiresAt: expires)
        }
    }

    @Test func updateKeepsForeignMetadataAndIsNilWhenUnchanged() throws {
        let desired = try build()
        var existing = Secret(
            metadata: ObjectMeta(
                name: "ecr-login", namespace: "team-a", labels: ["keep": "me"],
                annotations: ["ecr.pullsecrets.dev/adopt": "true", "other": "y"],
                ownerReferences: [OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "u2")],
                resourceVersion: "7"),
            data: ["extra": Data("1".utf8)], type: "kubernetes.io/dockerconfigjson")
        let updated = try #require(desired.updating(existing))
        #expect(updated.metadata.resourceVersion == "7")
        #expect(updated.metadata.labels?["keep"] == "me")
        #expect(updated.metadata.annotations?["other"] == "y")
        #expect(updated.metadata.annotations?["ecr.pullsecrets.dev/adopt"] == nil)
        #expect(updated.metadata.ownerReferences?.count == 2)
        #expect(updated.data?["extra"] == Data("1".utf8))
        #expect(updated.data?[".dockerconfigjson"] == desired.dockerConfigJSON)
        existing = updated
        #expect(desired.updating(existing) == nil)
    }
}

@Suite struct SecretOwnershipTests {
    let mine = OwnerReference(apiVersion: "a", kind: "K", name: "n", uid: "mine", controller: true)
    let theirs = OwnerReference(apiVersion: "a", kind: "K", name: "other", uid: "theirs", controller: true)

    @Test func classifies() {
        let type = "kubernetes.io/dockerconfigjson"
        #expect(SecretOwnership.classify(existing: nil, existingType: nil, ownerUID: "mine") == .absent)
        #expect(
            SecretOwnership.classify(
                existing: ObjectMeta(name: "s", ownerReferences: [mine]), existingType: type, ownerUID: "mine")
                == .owned)
        if case .conflict(let message) = SecretOwnership.classify(
            existing: ObjectMeta(name: "s"), existingType: type, ownerUID: "mine")
        {
            #expect(message.contains("ecr.pullsecrets.dev/adopt"))
        } else {
            Issue.record("a foreign Secret must conflict")
        }
        if case .conflict = SecretOwnership.classify(
            existing: ObjectMeta(name: "s", ownerReferences: [theirs]), existingType: type, ownerUID: "mine")
        {
        } else {
            Issue.record("a Secret controlled by another resource must conflict")
        }
        #expect(
            SecretOwnership.classify(
                existing: ObjectMeta(name: "s", annotations: ["ecr.pullsecrets.dev/adopt": "true"]),
                existingType: type, ownerUID: "mine") == .adoptable)
        // Type cannot change in place: even with the annotation, an Opaque Secret conflicts.
        if case .conflict(let message) = SecretOwnership.classify(
            existing: ObjectMeta(name: "s", annotations: ["ecr.pullsecrets.dev/adopt": "true"]),
            existingType: "Opaque", ownerUID: "mine")
        {
            #expect(message.contains("Opaque"))
        } else {
            Issue.record("an Opaque Secret cannot be adopted")
        }
    }
}

@Suite struct NamespaceSelectionTests {
    let namespaces = [
        CachedNamespace(name: "a", labels: ["ecr-pull": "true"]),
        CachedNamespace(name: "b", labels: ["ecr-pull": "false"]),
        CachedNamespace(name: "c", labels: ["ecr-pull": "true"], isTerminating: true),
        CachedNamespace(name: "d"),
    ]

    @Test func unionOfListAndSelectorExcludingTerminating() {
        let result = NamespaceSelection.resolve(
            list: ["d", "gone"], selector: LabelSelector(matchLabels: ["ecr-pull": "true"]), namespaces: namespaces)
        #expect(result.targets == ["a", "d"])
        #expect(result.missing == ["gone"])
        #expect(result.terminating == ["c"])
    }

    @Test func nilSelectorSelectsOnlyTheListAndEmptySelectorEverything() {
        #expect(NamespaceSelection.resolve(list: ["b"], selector: nil, namespaces: namespaces).targets == ["b"])
        #expect(
            NamespaceSelection.resolve(list: [], selector: LabelSelector(), namespaces: namespaces).targets
                == ["a", "b", "d"])
    }

    @Test func watchNamespaceRestricts() {
        let result = NamespaceSelection.resolve(
            list: ["a", "b"], selector: nil, namespaces: namespaces, watchNamespace: "b")
        #expect(result.targets == ["b"])
    }

    @Test func watchNamespaceRestrictsWhatIsReportedMissing() {
        let result = NamespaceSelection.resolve(
            list: ["gone", "b", "also-gone"], selector: nil, namespaces: namespaces, watchNamespace: "also-gone")
        #expect(result.targets.isEmpty)
        #expect(result.missing == ["also-gone"])
    }

    @Test func aNamespaceListedAndSelectedIsWrittenOnceAndAListedTerminatingOneIsSkipped() {
        let result = NamespaceSelection.resolve(
            list: ["a", "c", "a"], selector: LabelSelector(matchLabels: ["ecr-pull": "true"]), namespaces: namespaces)
        #expect(result.targets == ["a"])
        #expect(result.terminating == ["c"])
        #expect(result.missing.isEmpty)
        #expect(result.kept == ["a", "c"])
    }

    @Test func prunesNamespacesThatLeft() {
        let result = NamespaceSelection.resolve(
            list: [], selector: LabelSelector(matchLabels: ["ecr-pull": "true"]), namespaces: namespaces)
        #expect(NamespaceSelection.toPrune(managedSecretNamespaces: ["a", "b", "c"], result: result) == ["b"])
    }
}

@Suite struct TokenRequestsTests {
    @Test func defaultRegistryWhenNoneListed() {
        let plan = TokenRequests(AWSECRImagePullSecretSpec(secretName: "s", awsAccess: .init(region: "us-west-2")))
        #expect(plan.regional == [.init(region: "us-west-2", registryIDs: [])])
        #expect(!plan.ecrPublic)
    }

    @Test func groupsByRegionOneTokenEach() {
        let plan = TokenRequests(
            AWSECRImagePullSecretSpec(
                secretName: "s", awsAccess: .init(region: "us-west-2"),
                registries: [
                    .init(accountID: "123456789012"), .init(accountID: "210987654321", region: "eu-west-1"),
                    .init(accountID: "111122223333", region: "us-west-2"), .init(accountID: "123456789012"),
                ], ecrPublic: true))
        #expect(
            plan.regional == [
                .init(region: "eu-west-1", registryIDs: ["210987654321"]),
                .init(region: "us-west-2", registryIDs: ["111122223333", "123456789012"]),
            ])
        #expect(plan.ecrPublic)
    }
}
