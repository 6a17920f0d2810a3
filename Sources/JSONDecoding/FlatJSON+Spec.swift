import CRDModels

/// The two kinds' specs read straight from the table: the webhook decodes one or two per AdmissionReview, and
/// through their synthesized `init(from:)` each member cost a keyed lookup, generic-metadata lookups and witness
/// calls through a boxed container, plus a decoder per nested value (`AWSAccess`, `secretRef`, each registry): about
/// 40 % of the webhook's parse. Here each object's members are found in one pass (`FlatJSON.withMembers`), then read
/// in the order the synthesized `init(from:)` reads them, with the same values and the same errors (type, coding
/// path), so a document with two bad fields fails on the same one. The `Codable` models stay the reference (the API
/// client's writes, YAML, the tests' differential decoding).
///
/// Measured (`ecr-bench webhook-review`, release, this thread's CPU, 8 alternating runs of 100,000 on a loaded
/// 2-CPU machine): the parse of the bench's CREATE review, median 12.3 → 9.1 µs; in its profile the spec's decode
/// 27 % → 10 % of the bench's CPU (37 % → 14 % of the parse).
extension FlatJSONValueDecoder {
    /// Both specs' members in the order their synthesized `init(from:)` decodes them (the namespaced kind has no
    /// `namespaces` or `namespaceSelector` and never reads them).
    private enum SpecMember: Int, FlatJSONMembers {
        case secretName, awsAccess, registries, ecrPublic, refreshInterval, secretTemplate, serviceAccounts
        case namespaces, namespaceSelector

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    private enum AccessMember: Int, FlatJSONMembers {
        case region, secretRef, accessKeyId, secretAccessKey, roleARN, externalID

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    private enum SecretRefMember: Int, FlatJSONMembers {
        case name, namespace, accessKeyIdKey, secretAccessKeyKey, sessionTokenKey

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    private enum RegistryMember: Int, FlatJSONMembers {
        case accountID, region

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    private enum TemplateMember: Int, FlatJSONMembers {
        case labels, annotations

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    private enum SelectorMember: Int, FlatJSONMembers {
        case matchLabels, matchExpressions

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    private enum RequirementMember: Int, FlatJSONMembers {
        case key, `operator`, values

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    func namespacedSpec(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> AWSECRImagePullSecretSpec {
        try object(node, path: path(), SpecMember.self, sharedSpec)
    }

    /// The namespaced spec's members, then the two only this kind has (in that order, as its `init(from:)`).
    func clusterSpec(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> ClusterAWSECRImagePullSecretSpec {
        try object(node, path: path(), SpecMember.self) { spec in
            let shared = try sharedSpec(spec)
            return ClusterAWSECRImagePullSecretSpec(
                secretName: shared.secretName, awsAccess: shared.awsAccess, registries: shared.registries,
                ecrPublic: shared.ecrPublic, refreshInterval: shared.refreshInterval,
                secretTemplate: shared.secretTemplate, serviceAccounts: shared.serviceAccounts,
                namespaces: try spec.stringListIfPresent(.namespaces),
                namespaceSelector: try spec.optional(.namespaceSelector, labelSelector))
        }
    }

    /// The members both kinds' specs have (`ImagePullSecretSpec`), read once for both: the namespaced spec is them.
    private func sharedSpec(_ spec: FlatJSONMemberReader<SpecMember>) throws -> AWSECRImagePullSecretSpec {
        AWSECRImagePullSecretSpec(
            secretName: try spec.string(.secretName), awsAccess: try spec.required(.awsAccess, awsAccess),
            registries: try spec.optional(.registries, registries), ecrPublic: try spec.boolIfPresent(.ecrPublic),
            refreshInterval: try spec.stringIfPresent(.refreshInterval).map { GoDuration($0) },
            secretTemplate: try spec.optional(.secretTemplate, secretTemplate),
            serviceAccounts: try spec.stringListIfPresent(.serviceAccounts))
    }

    private func awsAccess(_ node: Int, path: () -> [any CodingKey]) throws -> AWSAccess {
        try object(node, path: path(), AccessMember.self) { access in
            AWSAccess(
                region: try access.string(.region), secretRef: try access.optional(.secretRef, secretRef),
                accessKeyId: try access.stringIfPresent(.accessKeyId),
                secretAccessKey: try access.stringIfPresent(.secretAccessKey),
                roleARN: try access.stringIfPresent(.roleARN), externalID: try access.stringIfPresent(.externalID))
        }
    }

    private func secretRef(_ node: Int, path: () -> [any CodingKey]) throws -> CredentialsSecretRef {
        try object(node, path: path(), SecretRefMember.self) { ref in
            CredentialsSecretRef(
                name: try ref.string(.name), namespace: try ref.stringIfPresent(.namespace),
                accessKeyIdKey: try ref.stringIfPresent(.accessKeyIdKey),
                secretAccessKeyKey: try ref.stringIfPresent(.secretAccessKeyKey),
                sessionTokenKey: try ref.stringIfPresent(.sessionTokenKey))
        }
    }

    private func registries(_ node: Int, path: () -> [any CodingKey]) throws -> [RegistrySpec] {
        try list(node, path: path()) { element, elementPath in
            try object(element, path: elementPath(), RegistryMember.self) { registry in
                RegistrySpec(accountID: try registry.string(.accountID), region: try registry.stringIfPresent(.region))
            }
        }
    }

    private func secretTemplate(_ node: Int, path: () -> [any CodingKey]) throws -> SecretTemplate {
        try object(node, path: path(), TemplateMember.self) { template in
            SecretTemplate(
                labels: try template.stringMapIfPresent(.labels),
                annotations: try template.stringMapIfPresent(.annotations))
        }
    }

    private func labelSelector(_ node: Int, path: () -> [any CodingKey]) throws -> LabelSelector {
        try object(node, path: path(), SelectorMember.self) { selector in
            LabelSelector(
                matchLabels: try selector.stringMapIfPresent(.matchLabels),
                matchExpressions: try selector.optional(.matchExpressions) { node, path in
                    try list(node, path: path()) { element, elementPath in
                        try object(element, path: elementPath(), RequirementMember.self) { requirement in
                            LabelSelectorRequirement(
                                key: try requirement.string(.key), operator: try requirement.string(.operator),
                                values: try requirement.stringListIfPresent(.values))
                        }
                    }
                })
        }
    }
}
