/// The rules both kinds share. Each kind adds its scope rules in its own `validate`.
///
/// Messages name the rule and show the offending value, except for credentials (`accessKeyId`,
/// `secretAccessKey`, `externalID`), which are never echoed.
extension ImagePullSecretSpec {
    /// Allowed range of `refreshInterval`: at least 10 minutes (ECR tokens last 12 hours, so more often
    /// only burns API calls) and at most 11 hours (the token must be replaced before it lapses).
    public static var refreshIntervalRange: ClosedRange<Duration> { .seconds(600)...(.seconds(11 * 3600)) }

    func validateCommon(
        into report: inout ValidationReport, namespaced: Bool, ambientPolicy: AmbientCredentialsPolicy
    ) {
        if !Formats.isDNS1123Subdomain(secretName) {
            report.error(
                "spec.secretName", "\(quoted(secretName)) is not a DNS-1123 subdomain \(Rule.dns1123Subdomain)")
        }
        let partition = validateRegion(awsAccess.region, field: "spec.awsAccess.region", into: &report)
        validateCredentialSource(into: &report, namespaced: namespaced, ambientPolicy: ambientPolicy)
        validateRole(partition: partition, into: &report)
        validateRegistries(partition: partition, into: &report)
        if ecrPublic == true, let partition, partition != .aws {
            report.error("spec.ecrPublic", "ECR Public exists only in the aws partition, not in \(partition.rawValue)")
        }
        if let refreshInterval {
            validateRefreshInterval(refreshInterval, into: &report)
        }
        validateTemplate(into: &report)
        validateNames(
            serviceAccounts ?? [], field: "spec.serviceAccounts", into: &report,
            check: Formats.isDNS1123Subdomain, rule: "is not a DNS-1123 subdomain \(Rule.dns1123Subdomain)")
    }

    /// Warnings shared by both kinds.
    func commonWarnings() -> [String] {
        guard awsAccess.accessKeyId != nil || awsAccess.secretAccessKey != nil else { return [] }
        return ["spec.awsAccess: inline AWS keys are stored in plain text; move them to a Secret (awsAccess.secretRef)"]
    }

    /// Checks a region and returns its partition (nil if invalid).
    @discardableResult
    func validateRegion(_ region: String, field: String, into report: inout ValidationReport) -> AWSPartition? {
        guard let partition = AWSPartition(region: region) else {
            report.error(
                field,
                "\(quoted(region)) is not an AWS region of the aws, aws-cn or aws-us-gov partitions "
                    + "(e.g. us-west-2, cn-north-1, us-gov-west-1)")
            return nil
        }
        return partition
    }

    private func validateCredentialSource(
        into report: inout ValidationReport, namespaced: Bool, ambientPolicy: AmbientCredentialsPolicy
    ) {
        let access = awsAccess
        let hasInline = access.accessKeyId != nil || access.secretAccessKey != nil
        if case .some = access.secretRef, hasInline {  // (not `!= nil`: see `AWSAccess.credentialSource`)
            report.error(
                "spec.awsAccess",
                "at most one credential source: set secretRef or inline accessKeyId/secretAccessKey, not both")
        }
        if hasInline {
            func check(_ name: String, _ value: String?) {
                if value == nil {
                    report.error(
                        "spec.awsAccess.\(name)",
                        "is required with inline keys (set both accessKeyId and secretAccessKey)")
                } else if value?.isEmpty == true {
                    report.error("spec.awsAccess.\(name)", "must not be empty")
                }
            }
            check("accessKeyId", access.accessKeyId)
            check("secretAccessKey", access.secretAccessKey)
        }
        if let ref = access.secretRef {
            if !Formats.isDNS1123Subdomain(ref.name) {
                report.error(
                    "spec.awsAccess.secretRef.name",
                    "\(quoted(ref.name)) is not a DNS-1123 subdomain \(Rule.dns1123Subdomain)")
            }
            // Without arrays or sets of the keys: this runs on every admission review.
            func check(_ name: String, _ key: String?) {
                if let key, !Formats.isSecretKey(key) {
                    report.error(
                        "spec.awsAccess.secretRef.\(name)",
                        "\(quoted(key)) is not a valid Secret data key (1-253 characters of [-._a-zA-Z0-9])")
                }
            }
            check("accessKeyIdKey", ref.accessKeyIdKey)
            check("secretAccessKeyKey", ref.secretAccessKeyKey)
            check("sessionTokenKey", ref.sessionTokenKey)
            let (accessKeyID, secretAccessKey, sessionToken) =
                (ref.resolvedAccessKeyIdKey, ref.resolvedSecretAccessKeyKey, ref.resolvedSessionTokenKey)
            if accessKeyID == secretAccessKey || accessKeyID == sessionToken || secretAccessKey == sessionToken {
                report.error(
                    "spec.awsAccess.secretRef",
                    "accessKeyIdKey, secretAccessKeyKey and sessionTokenKey must name different keys")
            }
        }
        if access.credentialSource == .ambient && !ambientPolicy.allows(namespaced: namespaced) {
            report.error(
                "spec.awsAccess", ambientMessage(namespaced: namespaced, policy: ambientPolicy),
                rule: .ambientCredentialsNotAllowed)
        }
    }

    private func ambientMessage(namespaced: Bool, policy: AmbientCredentialsPolicy) -> String {
        let allowedBy =
            namespaced ? "--allow-ambient-credentials=all" : "--allow-ambient-credentials=cluster-only or =all"
        let current =
            policy == .none
            ? "the operator runs with --allow-ambient-credentials=none"
            : "the operator allows that only for cluster-scoped resources (--allow-ambient-credentials=cluster-only)"
        return "no credential source (secretRef or inline keys) means the operator's own AWS identity, and \(current); "
            + "set awsAccess.secretRef, or have the cluster admin run the operator with \(allowedBy)"
    }

    private func validateRole(partition: AWSPartition?, into report: inout ValidationReport) {
        if let roleARN = awsAccess.roleARN {
            if let rolePartition = Formats.rolePartition(roleARN) {
                if let partition, rolePartition != partition {
                    report.error(
                        "spec.awsAccess.roleARN",
                        "role is in partition \(rolePartition.rawValue) but region \(awsAccess.region) is in "
                            + "\(partition.rawValue); AssumeRole works only within one partition")
                }
            } else {
                report.error(
                    "spec.awsAccess.roleARN",
                    "\(quoted(roleARN)) is not an IAM role ARN "
                        + "(arn:<aws|aws-cn|aws-us-gov>:iam::<12 digits>:role/<name>)")
            }
        }
        if let externalID = awsAccess.effectiveExternalID {
            if awsAccess.roleARN == nil {
                report.error("spec.awsAccess.externalID", "is allowed only together with roleARN")
            }
            if !Formats.isExternalID(externalID) {
                report.error("spec.awsAccess.externalID", "must be 2-1224 characters of [A-Za-z0-9+=,.@:/_-]")
            }
        }
    }

    private func validateRegistries(partition: AWSPartition?, into report: inout ValidationReport) {
        if let count = registries?.count, count > RegistrySpec.maxCount {
            report.error("spec.registries", "must have at most \(RegistrySpec.maxCount) items, has \(count)")
        }
        var firstIndex: [ResolvedRegistry: Int] = [:]
        for (index, registry) in (registries ?? []).enumerated() {
            let field = "spec.registries[\(index)]"
            if !Formats.isAccountID(registry.accountID) {
                report.error("\(field).accountID", "\(quoted(registry.accountID)) is not an AWS account id (12 digits)")
            }
            if let region = registry.region,
                let registryPartition = validateRegion(region, field: "\(field).region", into: &report),
                let partition, registryPartition != partition
            {
                report.error(
                    "\(field).region",
                    "\(region) is in partition \(registryPartition.rawValue) but awsAccess.region is in "
                        + "\(partition.rawValue); one set of credentials serves one partition")
            }
            let key = ResolvedRegistry(accountID: registry.accountID, region: registry.region ?? awsAccess.region)
            if let first = firstIndex[key] {
                report.error(
                    field, "duplicates spec.registries[\(first)] (account \(key.accountID ?? "") in \(key.region))")
            } else {
                firstIndex[key] = index
            }
        }
    }

    private func validateRefreshInterval(_ interval: GoDuration, into report: inout ValidationReport) {
        do {
            let duration = try GoDuration.parse(interval.text)
            if !Self.refreshIntervalRange.contains(duration) {
                report.error("spec.refreshInterval", "\(quoted(interval.text)) is outside the allowed range 10m..11h")
            }
        } catch {
            report.error("spec.refreshInterval", "\(error.description) is not a Go duration such as 6h or 1h30m")
        }
    }

    private func validateTemplate(into report: inout ValidationReport) {
        guard let secretTemplate else { return }
        for (key, value) in (secretTemplate.labels ?? [:]).sorted(by: { $0.key < $1.key }) {
            let field = "spec.secretTemplate.labels[\(key)]"
            if Labels.isReserved(key) {
                report.error(
                    field, "label \(key) is set by the operator (managed-by and \(Labels.prefix)* labels are reserved)")
            } else if !Formats.isQualifiedName(key) {
                report.error(field, "\(quoted(key)) is not a valid label key ([prefix/]name, name 1-63 characters)")
            }
            if !Formats.isLabelValue(value) {
                report.error(
                    field, "\(quoted(value)) is not a valid label value (0-63 characters of [-._a-zA-Z0-9], "
                        + "alphanumeric at both ends)")
            }
        }
        for key in (secretTemplate.annotations ?? [:]).keys.sorted() {
            let field = "spec.secretTemplate.annotations[\(key)]"
            if Annotations.isReserved(key) {
                report.error(
                    field, "annotation \(key) is set by the operator (\(Labels.prefix)* annotations are reserved)")
            } else if !Formats.isQualifiedName(key) {
                report.error(
                    field, "\(quoted(key)) is not a valid annotation key ([prefix/]name, name 1-63 characters)")
            }
        }
    }
}

/// Checks every name in a list against `check` and reports duplicates.
func validateNames(
    _ names: [String], field: String, into report: inout ValidationReport, check: (String) -> Bool,
    rule: @autoclosure () -> String
) {
    var firstIndex: [String: Int] = [:]
    for (index, name) in names.enumerated() {
        if !check(name) {
            report.error("\(field)[\(index)]", "\(quoted(name)) \(rule())")
        }
        if let first = firstIndex[name] {
            report.error("\(field)[\(index)]", "duplicates \(field)[\(first)] (\(quoted(name)))")
        } else {
            firstIndex[name] = index
        }
    }
}

/// Rule texts shared by several messages.
enum Rule {
    static let dns1123Subdomain = "(lower-case alphanumerics, '-' and '.', at most 253 characters)"
    static let dns1123Label = "(lower-case alphanumerics and '-', at most 63 characters)"
}

/// A user value in a message, quoted and cut to a readable length.
func quoted(_ value: String) -> String {
    let limit = 80
    let shown = value.count > limit ? String(value.prefix(limit)) + "…" : value
    return "\"\(shown)\""
}

/// `metadata.name` becomes the owner label's value on every Secret, and label values are at most 63 characters.
func validateMetadataName(_ metadata: ObjectMeta, into report: inout ValidationReport) {
    if let name = metadata.name, name.utf8.count > 63 {
        report.error(
            "metadata.name",
            "must be at most 63 characters (it is written as label \(Labels.ownerName) on every target Secret)")
    }
}
