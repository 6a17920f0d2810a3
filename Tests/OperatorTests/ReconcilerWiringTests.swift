import CRDModels
import FoundationEssentials
import Testing

@testable import KubeClient
@testable import Operator

/// The wiring each reconciler declares: which keys a change of a watched object wakes.
@Suite struct ReconcilerWiringTests {
    func resource(_ namespace: String, _ name: String, secret: String) -> AWSECRImagePullSecret {
        AWSECRImagePullSecret(
            metadata: .init(name: name, namespace: namespace),
            spec: .init(secretName: "ecr", awsAccess: .init(region: "us-west-2", secretRef: .init(name: secret))))
    }

    @Test func credentialSecretMapsToReferencingResourcesThroughTheIndex() {
        let cluster = ClusterAWSECRImagePullSecret(
            metadata: .init(name: "shared"),
            spec: .init(
                secretName: "ecr",
                awsAccess: .init(region: "us-west-2", secretRef: .init(name: "creds", namespace: "ops"))))
        let namespacedStore = ObjectStore<AWSECRImagePullSecret>(index: {
            NamespacedReconciler.credentialsSecret(of: $0).map { [$0] } ?? []
        })
        _ = namespacedStore.replace(with: [
            resource("ops", "a", secret: "creds"), resource("dev", "b", secret: "creds"), resource("ops", "c", secret: "x"),
        ])
        let clusterStore = ObjectStore<ClusterAWSECRImagePullSecret>(index: {
            ClusterReconciler.credentialsSecret(of: $0).map { [$0] } ?? []
        })
        _ = clusterStore.replace(with: [cluster])

        #expect(namespacedStore.items(indexedUnder: "ops/creds").map(NamespacedReconciler.key(of:)) == ["ops/a"])
        #expect(clusterStore.items(indexedUnder: "ops/creds").map(ClusterReconciler.key(of:)) == ["shared"])
        #expect(namespacedStore.indexValues == ["ops/creds", "dev/creds", "ops/x"])

        // A resource that stops referencing a Secret leaves the index.
        var moved = resource("ops", "a", secret: "other")
        moved.metadata.resourceVersion = "2"
        _ = namespacedStore.apply(.modified(moved))
        #expect(namespacedStore.items(indexedUnder: "ops/creds").isEmpty)
        #expect(namespacedStore.indexValues == ["ops/other", "dev/creds", "ops/x"])
        _ = namespacedStore.apply(.deleted(moved))
        #expect(!namespacedStore.indexValues.contains("ops/other"))
    }

    @Test func managedSecretMapsToTheOwnerOfItsKindOnly() {
        let clusterOwned = ObjectMeta(
            name: "ecr", namespace: "team",
            labels: [Labels.ownerKind: "ClusterAWSECRImagePullSecret", Labels.ownerName: "shared"])
        #expect(ClusterReconciler.owner(ofManagedSecret: clusterOwned) == "shared")
        #expect(NamespacedReconciler.owner(ofManagedSecret: clusterOwned) == nil)

        let namespacedOwned = ObjectMeta(
            name: "ecr", namespace: "team",
            labels: [Labels.ownerKind: "AWSECRImagePullSecret", Labels.ownerName: "reg", Labels.ownerNamespace: "team"])
        #expect(NamespacedReconciler.owner(ofManagedSecret: namespacedOwned) == "team/reg")
        #expect(ClusterReconciler.owner(ofManagedSecret: namespacedOwned) == nil)
        #expect(NamespacedReconciler.owner(ofManagedSecret: ObjectMeta(name: "x", namespace: "team")) == nil)
    }

    @Test func aNamespaceChangeWakesOnlyTheClusterResourcesThatListOrSelectIt() {
        func cluster(namespaces: [String]? = nil, selector: [String: String]? = nil) -> ClusterAWSECRImagePullSecret {
            ClusterAWSECRImagePullSecret(
                metadata: .init(name: "shared"),
                spec: .init(
                    secretName: "ecr", awsAccess: .init(region: "us-west-2"), namespaces: namespaces,
                    namespaceSelector: selector.map { LabelSelector(matchLabels: $0) }))
        }
        let plain = CachedNamespace(name: "team")
        let labelled = CachedNamespace(name: "team", labels: ["ecr": "on"])
        let listing = cluster(namespaces: ["team"])
        let selecting = cluster(selector: ["ecr": "on"])
        let other = cluster(namespaces: ["elsewhere"], selector: ["ecr": "other"])

        #expect(ClusterReconciler.isAffected(listing, byNamespaceChange: .added(plain)))
        #expect(ClusterReconciler.isAffected(listing, byNamespaceChange: .deleted(plain)))
        #expect(!ClusterReconciler.isAffected(selecting, byNamespaceChange: .added(plain)))
        // Labelled and unlabelled: selected before or after.
        #expect(ClusterReconciler.isAffected(selecting, byNamespaceChange: .updated(old: plain, new: labelled)))
        #expect(ClusterReconciler.isAffected(selecting, byNamespaceChange: .updated(old: labelled, new: plain)))
        #expect(!ClusterReconciler.isAffected(other, byNamespaceChange: .updated(old: plain, new: labelled)))
        #expect(!NamespacedReconciler.isAffected(resource("team", "a", secret: "c"), byNamespaceChange: .added(plain)))
    }

    @Test func statusOnlyChangesAreIgnored() {
        let old = resource("ops", "a", secret: "creds")
        var new = old
        new.status = ImagePullSecretStatus(observedGeneration: 1)
        new.metadata.resourceVersion = "9"
        #expect(!NamespacedReconciler.resourceChangeMatters(.updated(old: old, new: new)))
        new.metadata.generation = 2
        #expect(NamespacedReconciler.resourceChangeMatters(.updated(old: old, new: new)))
    }

    @Test func secretCachesKeepOnlyWhatDecisionsRead() {
        var metadata = ObjectMeta(
            name: "ecr", namespace: "team", labels: ["a": "b"],
            annotations: ["kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"k\":\"secret\"}}"],
            ownerReferences: [.init(apiVersion: "v1", kind: "X", name: "x", uid: "u1", controller: true)],
            resourceVersion: "7")
        metadata.uid = "s1"
        metadata.managedFields = [.object(["manager": .string("kubectl")])]
        let object = PartialObjectMetadata(metadata: metadata)

        let managed = PartialObjectMetadata.managedSecretFields(object).metadata
        #expect(managed.annotations == nil && managed.managedFields == nil)
        #expect(managed.labels == ["a": "b"] && managed.ownerReferences?.first?.uid == "u1")
        #expect(managed.uid == "s1" && managed.resourceVersion == "7" && managed.name == "ecr")
        #expect(PartialObjectMetadata.controllerUID(object) == ["u1"])

        let foreign = PartialObjectMetadata.identityOnly(object).metadata
        #expect(foreign.labels == nil && foreign.annotations == nil && foreign.ownerReferences == nil)
        #expect(foreign.uid == "s1" && foreign.resourceVersion == "7")
    }

    @Test func theNamespaceCacheKeepsWhatSelectionReads() {
        var metadata = ObjectMeta(name: "team", labels: ["a": "b"], annotations: ["note": "n"], resourceVersion: "7")
        metadata.uid = "n1"
        metadata.managedFields = [.object(["manager": .string("kubectl")])]
        metadata.finalizers = ["x"]
        let active = CachedNamespace(Namespace(metadata: metadata, spec: .init(finalizers: ["kubernetes"])))
        #expect(active.name == "team" && active.labels == ["a": "b"] && active.resourceVersion == "7")
        #expect(active.metadata == ObjectMeta(name: "team", labels: ["a": "b"], resourceVersion: "7"))
        #expect(!active.isTerminating)

        metadata.deletionTimestamp = "2026-12-01T00:00:00Z"
        #expect(CachedNamespace(Namespace(metadata: metadata)).isTerminating)
        let phase = CachedNamespace(Namespace(metadata: ObjectMeta(name: "x"), status: .init(phase: "Terminating")))
        #expect(phase.isTerminating)
        var renamed = phase
        renamed.metadata = ObjectMeta(name: "y", resourceVersion: "8")
        #expect(renamed.name == "y" && renamed.resourceVersion == "8" && renamed.isTerminating)
    }

    /// The namespace informer drops updates that change neither labels nor termination; the comparison reads the
    /// cache's compact form and must agree with comparing the labels themselves, however the name label changed.
    @Test func labelComparisonAgreesWithTheLabels() {
        let nameLabel = "kubernetes.io/metadata.name"
        let labelSets: [[String: String]] = [
            [:], [nameLabel: "team-a"], [nameLabel: "team-b"], [nameLabel: "team-a", "tier": "web"],
            [nameLabel: "team-a", "tier": "db"], ["tier": "web"], [nameLabel: "team-b", "tier": "web"],
        ]
        let namespaces = ["team-a", "team-b"].flatMap { name in
            labelSets.map { CachedNamespace(name: name, labels: $0) }
        }
        var equalPairs = 0
        for old in namespaces {
            for new in namespaces {
                #expect(old.hasLabels(equalTo: new) == (old.labels == new.labels), "\(old.labels) → \(new.labels)")
                if old.labels == new.labels { equalPairs += 1 }
            }
        }
        // Across names too: team-a with its name label and team-b with "team-a" hold the same labels differently.
        #expect(equalPairs > namespaces.count)
        let renamed = CachedNamespace(name: "team-b", labels: [nameLabel: "team-a"])
        #expect(CachedNamespace(name: "team-a", labels: [nameLabel: "team-a"]).hasLabels(equalTo: renamed))

        let plain = CachedNamespace(name: "team-a", labels: [nameLabel: "team-a"])
        let retagged = CachedNamespace(name: "team-a", labels: [nameLabel: "team-a", "tier": "web"])
        let terminating = CachedNamespace(name: "team-a", labels: [nameLabel: "team-a"], isTerminating: true)
        #expect(!OperatorRuntime.namespaceChangeMatters(.updated(old: plain, new: plain)))
        #expect(OperatorRuntime.namespaceChangeMatters(.updated(old: plain, new: retagged)))
        #expect(OperatorRuntime.namespaceChangeMatters(.updated(old: plain, new: terminating)))
        #expect(OperatorRuntime.namespaceChangeMatters(.added(plain)))
    }

    /// The API server labels every namespace with its name; the cache answers that label from the name, so a
    /// namespace with no other label keeps no labels of its own, and selectors on the name label still match.
    /// A name label that differs from the name (an older server lets anyone set it) is kept as it is.
    @Test func theNameLabelIsAnsweredFromTheName() throws {
        let nameLabel = "kubernetes.io/metadata.name"
        let plain = CachedNamespace(name: "team-a", labels: [nameLabel: "team-a"])
        #expect(plain.label(nameLabel) == "team-a" && plain.labels == [nameLabel: "team-a"])
        #expect(plain.metadata.labels == [nameLabel: "team-a"])
        let byName = LabelSelector(
            matchExpressions: [LabelSelectorRequirement(key: nameLabel, operator: "In", values: ["team-a", "team-b"])])
        #expect(byName.matches(plain))
        #expect(!byName.matches(CachedNamespace(name: "team-c", labels: [nameLabel: "team-c"])))
        #expect(LabelSelector(matchLabels: [nameLabel: "team-a"]).matches(plain))

        let unlabelled = CachedNamespace(name: "old")
        #expect(unlabelled.label(nameLabel) == nil && unlabelled.labels.isEmpty)
        #expect(!LabelSelector(matchLabels: [nameLabel: "old"]).matches(unlabelled))
        let odd = CachedNamespace(name: "team-a", labels: [nameLabel: "team-b", "x": "y"])
        #expect(odd.labels == [nameLabel: "team-b", "x": "y"] && odd.label(nameLabel) == "team-b")

        // As decoded from the API server's JSON, and encoded back.
        let json = #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","resourceVersion":"5","#
            + #""labels":{"kubernetes.io/metadata.name":"team-a","tier":"web"}},"status":{"phase":"Terminating"}}"#
        let decoded = try JSONDecoder().decode(CachedNamespace.self, from: Data(json.utf8))
        let labels = [nameLabel: "team-a", "tier": "web"]
        #expect(
            decoded == CachedNamespace(
                Namespace(
                    metadata: ObjectMeta(name: "team-a", labels: labels, resourceVersion: "5"),
                    status: .init(phase: "Terminating"))))
        #expect(decoded.isTerminating && decoded.label("tier") == "web")
        let again = try JSONDecoder().decode(CachedNamespace.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
    }

    /// Label keys and values longer than 15 bytes (shorter ones are stored inline) decoded for two namespaces end
    /// up in one storage.
    @Test func theNamespaceCacheHoldsEachLabelStringOnce() {
        func cached(_ name: String) -> CachedNamespace {
            let labels = [
                freshCopy("kubernetes.io/metadata.name"): freshCopy(name),
                freshCopy("example.com/cost-centre"): freshCopy("platform-engineering-shared"),
                freshCopy("tier"): "web",
            ]
            return CachedNamespace(Namespace(metadata: ObjectMeta(name: freshCopy(name), labels: labels)))
        }
        let one = cached("team-payments-production")
        let two = cached("team-checkout-production")
        #expect(
            one.labels == [
                "kubernetes.io/metadata.name": "team-payments-production",
                "example.com/cost-centre": "platform-engineering-shared", "tier": "web",
            ])
        let centre = "example.com/cost-centre"
        #expect(storage(one.label(centre)) != nil)
        #expect(storage(one.label(centre)) == storage(two.label(centre)))
        func key(_ namespace: CachedNamespace, _ wanted: String) -> String? {
            namespace.labels.keys.first { $0 == wanted }
        }
        let keys = [one, two].compactMap { key($0, centre) }
        #expect(keys.count == 2 && storage(keys[0]) == storage(keys[1]))
    }

    /// Equal owner references decoded for two Secrets end up in one array's storage; the pool is bounded.
    @Test func sharedValuesKeepOneCopyOfEqualValues() {
        func owners(_ uid: String) -> [OwnerReference] {
            [OwnerReference(apiVersion: "v1", kind: "K", name: "n", uid: uid, controller: true)]
        }
        func storage(_ array: [OwnerReference]) -> UnsafeRawPointer? {
            array.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        }
        let pool = SharedValues<[OwnerReference]>(limit: 2)
        let first = owners("u1")
        let second = owners("u1")
        #expect(storage(first) != storage(second))
        #expect(storage(pool.shared(first)) == storage(first))
        #expect(storage(pool.shared(second)) == storage(first))
        #expect(pool.shared(owners("u2")) == owners("u2"))
        // Full at two: a third distinct value starts the pool again, and values still come back equal.
        let third = owners("u3")
        #expect(storage(pool.shared(third)) == storage(third))
        let again = owners("u1")
        #expect(storage(pool.shared(again)) == storage(again))
    }
}
