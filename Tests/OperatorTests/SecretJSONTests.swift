import CRDModels
import Foundation
import KubeClient
import Testing

@testable import Operator

/// `Secret.json` against the encoder it replaces: the bytes decode to exactly the Secret `JSONEncoder`'s bytes
/// decode to, and parse to the same JSON value, over names, labels and values that need escaping.
@Suite struct SecretJSONTests {
    /// Strings that exercise every escape the writer makes, and text that needs none.
    static let awkward = [
        "ecr-login", "", "quote\"d", "back\\slash", "slash/es", "tab\tnew\nline\rret", "\u{08}\u{0C}\u{01}\u{1F}\u{7F}",
        "ünïcødé", "日本語", "emoji 🦀", "a\"b\\c/d\u{0}e",
    ]

    static func desired(name: String, namespace: String, label: String, annotation: String) throws -> DesiredSecret {
        try DesiredSecret.build(
            name: name, namespace: namespace,
            owner: OwnerReference(
                apiVersion: "ecr.pullsecrets.dev/v1alpha1", kind: "ClusterAWSECRImagePullSecret",
                name: "shared\(label)", uid: "uid-\(label)"),
            ownerLabels: ["ecr.pullsecrets.dev/owner": label],
            templateLabels: ["team": label, label: "value"], templateAnnotations: ["note": annotation],
            credentials: [
                RegistryCredential(
                    host: "123456789012.dkr.ecr.us-west-2.amazonaws.com", username: "AWS",
                    password: "pw-\(annotation)"),
                RegistryCredential(host: "public.ecr.aws", username: "AWS", password: "other"),
            ],
            expiresAt: Date(timeIntervalSince1970: 1_800_043_200))
    }

    static func expectSameAsEncoder(_ secret: Secret, _ desired: DesiredSecret) throws {
        let written = try #require(secret.json(reusingEncodingOf: desired))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let encoded = try encoder.encode(secret)
        #expect(try JSONDecoder().decode(Secret.self, from: written) == secret)
        #expect(
            try JSONDecoder().decode(Secret.self, from: written) == JSONDecoder().decode(Secret.self, from: encoded))
        #expect(try JSONValue.parse(written) == JSONValue.parse(encoded))
    }

    @Test func aCreateDecodesToTheSecretTheEncoderWrites() throws {
        for name in Self.awkward {
            for label in Self.awkward.prefix(6) {
                let desired = try Self.desired(name: name, namespace: "ns-\(label)", label: label, annotation: name)
                try Self.expectSameAsEncoder(desired.secret, desired)
            }
        }
    }

    /// An update is the Secret as stored: every metadata field the server sets, others' labels, owners and data
    /// keys (written from their own bytes, not as the desired `.dockerconfigjson`), finalizers, `stringData`.
    @Test func anUpdateOfAStoredSecretDecodesToTheSecretTheEncoderWrites() throws {
        for text in Self.awkward {
            let desired = try Self.desired(name: "ecr-login", namespace: "team-a", label: "l", annotation: text)
            var metadata = ObjectMeta(
                name: "ecr-login", namespace: "team-a", labels: ["keep": text, text: "k"], annotations: [text: text],
                ownerReferences: [
                    OwnerReference(
                        apiVersion: "v1", kind: "ConfigMap", name: text, uid: "u2", controller: false,
                        blockOwnerDeletion: false)
                ],
                resourceVersion: "12345")
            metadata.uid = "6f1c-\(text)"
            metadata.generateName = text
            metadata.generation = 3
            metadata.creationTimestamp = "2026-11-30T12:00:00Z"
            metadata.deletionTimestamp = "2026-11-30T13:00:00Z"
            metadata.deletionGracePeriodSeconds = 30
            metadata.finalizers = ["example.com/\(text)", "b"]
            Self.expectEveryFieldSet(metadata, except: ["managedFields"])
            var existing = Secret(
                metadata: metadata, data: ["extra": Data(text.utf8), "empty": Data()], stringData: [text: text],
                type: "kubernetes.io/dockerconfigjson", immutable: false)
            Self.expectEveryFieldSet(existing, except: [])
            let updated = try #require(desired.updating(existing))
            try Self.expectSameAsEncoder(updated, desired)
            existing.immutable = true
            existing.metadata = ObjectMeta()
            try Self.expectSameAsEncoder(existing, desired)
        }
    }

    /// The writer lists `ObjectMeta`'s and `Secret`'s fields by hand: a field added to either must be set in this
    /// fixture (and so compared with the encoder's output) before it can pass.
    static func expectEveryFieldSet(_ value: Any, except skipped: Set<String>) {
        for child in Mirror(reflecting: value).children where !skipped.contains(child.label ?? "") {
            let mirror = Mirror(reflecting: child.value)
            #expect(mirror.displayStyle != .optional || !mirror.children.isEmpty, "\(child.label ?? "?") is not set")
        }
    }

    /// `managedFields` are opaque JSON that only a read returns: the writer leaves that Secret to the encoder.
    @Test func aSecretWithManagedFieldsIsLeftToTheEncoder() throws {
        let desired = try Self.desired(name: "ecr-login", namespace: "team-a", label: "l", annotation: "a")
        var secret = desired.secret
        secret.metadata.managedFields = [.object(["manager": .string("kubectl")])]
        #expect(secret.json(reusingEncodingOf: desired) == nil)
    }
}
