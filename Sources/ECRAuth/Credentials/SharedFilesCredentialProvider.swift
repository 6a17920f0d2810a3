import FoundationEssentials

/// A profile of the shared files (`AWS_PROFILE`, default `default`): static keys, or a role assumed from
/// `source_profile` / `credential_source`, or `web_identity_token_file`. Wrap in `.cached()`.
public struct SharedFilesCredentialProvider: AWSCredentialProvider {
    public var profileName: String
    public var files: SharedConfigFiles
    public var environment: AWSEnvironment
    public var client: AWSClient

    public init(profileName: String, files: SharedConfigFiles, environment: AWSEnvironment, client: AWSClient) {
        self.profileName = profileName
        self.files = files
        self.environment = environment
        self.client = client
    }

    /// Profile from `AWS_PROFILE` (or `AWS_DEFAULT_PROFILE`), files from the environment's paths.
    public init(environment: AWSEnvironment, client: AWSClient) {
        self.init(
            profileName: environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default",
            files: SharedConfigFiles.load(environment: environment), environment: environment, client: client)
    }

    public var isConfigured: Bool { files.profile(profileName) != nil }
    /// True when the profile assumes a role (botocore resolves those before environment web identity).
    public var assumesRole: Bool { files.profile(profileName)?["role_arn"] != nil }
    public var identity: String { "profile:\(profileName)" }

    public func credentials() async throws -> AWSCredentials {
        try await provider(for: profileName, visited: []).credentials()
    }

    /// The provider a profile describes; `visited` breaks `source_profile` cycles.
    func provider(for name: String, visited: Set<String>) throws -> any AWSCredentialProvider {
        guard let profile = files.profile(name) else {
            throw AWSError(
                code: "ProfileNotFound", message: "profile '\(name)' is in neither the credentials nor the config file",
                kind: .credentialsUnavailable)
        }
        let region = profile["region"] ?? environment.region ?? "us-east-1"
        let endpoints = EndpointResolver(environment: environment)
        let sts = STSClient(client: client, endpoints: endpoints)
        if let roleARN = profile["role_arn"] {
            let sessionName = profile["role_session_name"] ?? "ecr-pullsecret-operator"
            let duration = profile["duration_seconds"].flatMap(Int64.init).map { Duration.seconds($0) }
            if let tokenFile = profile["web_identity_token_file"] {
                return WebIdentityCredentialProvider(
                    sts: sts, region: region, roleARN: roleARN, tokenFile: tokenFile, sessionName: sessionName,
                    duration: duration)
            }
            let source: any AWSCredentialProvider
            if let sourceProfile = profile["source_profile"] {
                guard !visited.contains(sourceProfile) || sourceProfile == name && profile["aws_access_key_id"] != nil
                else {
                    throw AWSError(
                        code: "ProfileCycle", message: "profile '\(name)': source_profile '\(sourceProfile)' loops",
                        kind: .credentialsUnavailable)
                }
                source =
                    sourceProfile == name
                    ? try staticKeys(profile, name: name)
                    : try provider(for: sourceProfile, visited: visited.union([name]))
            } else if let credentialSource = profile["credential_source"] {
                source = try self.credentialSource(credentialSource, profile: name)
            } else {
                throw AWSError(
                    code: "ProfileIncomplete",
                    message: "profile '\(name)' has role_arn but neither source_profile, credential_source nor "
                        + "web_identity_token_file", kind: .credentialsUnavailable)
            }
            return AssumeRoleCredentialProvider(
                sts: sts, source: source, region: region, roleARN: roleARN, externalID: profile["external_id"],
                sessionName: sessionName, duration: duration)
        }
        return try staticKeys(profile, name: name)
    }

    private func staticKeys(_ profile: [String: String], name: String) throws -> StaticCredentialProvider {
        guard let key = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"] else {
            throw AWSError(
                code: "ProfileIncomplete",
                message: "profile '\(name)' has no aws_access_key_id/aws_secret_access_key and no role_arn",
                kind: .credentialsUnavailable)
        }
        return StaticCredentialProvider(
            AWSCredentials(
                accessKeyID: key, secretAccessKey: secret,
                sessionToken: profile["aws_session_token"] ?? profile["aws_security_token"],
                accountID: profile["aws_account_id"]))
    }

    private func credentialSource(_ value: String, profile: String) throws -> any AWSCredentialProvider {
        switch value {
        case "Environment":
            return EnvironmentCredentialProvider(environment: environment)
        case "Ec2InstanceMetadata":
            return IMDSCredentialProvider(
                client: client,
                endpoint: environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? IMDSCredentialProvider.defaultEndpoint)
        case "EcsContainer":
            guard let provider = try ContainerCredentialProvider(environment: environment, client: client) else {
                throw AWSError(
                    code: "ProfileIncomplete",
                    message: "profile '\(profile)': credential_source EcsContainer but no container credentials URI",
                    kind: .credentialsUnavailable)
            }
            return provider
        default:
            throw AWSError(
                code: "ProfileInvalid",
                message: "profile '\(profile)': credential_source must be Environment, Ec2InstanceMetadata or "
                    + "EcsContainer, not '\(value)'", kind: .credentialsUnavailable)
        }
    }
}
