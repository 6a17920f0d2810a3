import CRDModels
import ECRAuth
import Foundation
import HTTPClient
import KubeClient
import Operator
import Testing
import Webhook

/// No type that carries a credential prints it, however it is printed: string interpolation,
/// `String(describing:)`, `String(reflecting:)` or `dump` (which lists `Data` byte by byte). Each case
/// also checks that something useful for debugging (a host, a key id prefix, a name) still prints.
@Suite struct RedactionTests {
    static let secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let sessionToken = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
    static let password = "eyJwYXlsb2FkIjoiRVhBTVBMRVRPS0VOIn0"
    static let bearer = "eyJhbGciOiJSUzI1NiJ9.BEARERTOKEN"
    static let externalID = "tenant-42-shared-external"
    static let privateKey = "-----BEGIN PRIVATE KEY-----MIIEEXAMPLEKEY"
    static let secrets = [secretKey, sessionToken, password, bearer, externalID, privateKey]

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var value: @Sendable () throws -> any Sendable
        /// Text that must still print (what helps debugging).
        var keeps: [String]
        /// Extra secret forms for this case (e.g. base64 of `user:password`).
        var alsoSecret: [String] = []
        var testDescription: String { name }
    }

    /// The ways Swift prints `value`, by name.
    static func renderings<T>(of value: T) -> [String: String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [
            "interpolation": "\(value)", "String(describing:)": String(describing: value),
            "String(reflecting:)": String(reflecting: value), "dump": dumped,
        ]
    }

    /// The renderings of `value` that contain `secret`, as text or, in a dump, as its bytes in a row.
    static func leaks<T>(of secret: String, in value: T) -> [String] {
        let renderings = renderings(of: value)
        var found = renderings.filter { $0.value.contains(secret) }.map(\.key)
        let byteLines = renderings["dump", default: ""].split(separator: "\n").map { line in
            Int(line.trimmingCharacters(in: .whitespaces).dropFirst(2)).map(String.init) ?? "|"
        }
        let secretBytes = secret.utf8.map { String($0) }.joined(separator: ",")
        if byteLines.joined(separator: ",").contains(secretBytes) { found.append("dump (as bytes)") }
        return found.sorted()
    }

    static let sigV4Authorization =
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261130/us-west-2/ecr/aws4_request, "
        + "SignedHeaders=content-type;host;x-amz-date, Signature=" + String(repeating: "ab", count: 32)

    static let cases: [Case] = [
        Case(
            name: "AWSAccess with inline keys", value: { Self.inlineAccess },
            keeps: ["us-west-2", "AKIA…", "arn:aws:iam::210987654321:role/pull"]),
        Case(
            name: "a whole namespaced resource with inline keys",
            value: {
                AWSECRImagePullSecret(
                    metadata: ObjectMeta(name: "team", namespace: "team-a"),
                    spec: AWSECRImagePullSecretSpec(secretName: "ecr-login", awsAccess: Self.inlineAccess))
            }, keeps: ["ecr-login", "us-west-2"]),
        Case(
            name: "DockerConfigJSON and its Entry",
            value: {
                DockerConfigJSON(auths: [
                    "1.dkr.ecr.us-west-2.amazonaws.com": .init(username: "AWS", password: Self.password)
                ])
            }, keeps: ["1.dkr.ecr.us-west-2.amazonaws.com", "AWS"], alsoSecret: [Self.dockerAuth]),
        Case(
            name: "DockerConfigJSON.Entry", value: { DockerConfigJSON.Entry(username: "AWS", password: Self.password) },
            keeps: ["AWS"], alsoSecret: [Self.dockerAuth]),
        Case(
            name: "HTTPRequest with SigV4, a session token and a web-identity body",
            value: {
                HTTPRequest(
                    method: "POST", url: "https://sts.us-west-2.amazonaws.com/",
                    headers: [
                        HTTPHeader("Authorization", Self.sigV4Authorization),
                        HTTPHeader("X-Amz-Security-Token", Self.sessionToken),
                        HTTPHeader("x-aws-ec2-metadata-token", Self.bearer),
                    ],
                    body: Data("Action=AssumeRoleWithWebIdentity&WebIdentityToken=\(Self.bearer)".utf8))
            }, keeps: ["POST", "sts.us-west-2.amazonaws.com", "Credential=AKIAEXAMPLE/20261130/us-west-2/ecr"],
            alsoSecret: [String(repeating: "ab", count: 32)]),
        Case(
            name: "HTTPRequest with a bearer token",
            value: {
                HTTPRequest(url: "https://kube/api", headers: [HTTPHeader("authorization", "Bearer " + Self.bearer)])
            },
            keeps: ["https://kube/api", "authorization"]),
        Case(
            name: "HTTPResponse with credentials in the body",
            value: {
                HTTPResponse(
                    status: 200, headers: [HTTPHeader("Set-Cookie", Self.bearer)], body: Data(Self.secretKey.utf8))
            }, keeps: ["200"]),
        Case(
            name: "TLSConfiguration with a client key",
            value: {
                TLSConfiguration(clientCertificatePEM: Data("cert".utf8), clientKeyPEM: Data(Self.privateKey.utf8))
            },
            keeps: ["clientCertificate"]),
        Case(
            name: "AWSClient.Operation with secret values and a token body",
            value: {
                AWSClient.Operation(
                    api: "sts:AssumeRoleWithWebIdentity",
                    endpoint: AWSEndpoint(
                        url: "https://sts.amazonaws.com", signingRegion: "us-east-1", signingName: "sts"),
                    headers: [HTTPHeader("Authorization", Self.bearer)],
                    body: Data("WebIdentityToken=\(Self.bearer)".utf8),
                    secretValues: [Self.bearer])
            }, keeps: ["sts:AssumeRoleWithWebIdentity"]),
        Case(
            name: "AWSCredentials, StaticCredentialProvider",
            value: {
                StaticCredentialProvider(
                    AWSCredentials(
                        accessKeyID: "ASIAEXAMPLE", secretAccessKey: Self.secretKey, sessionToken: Self.sessionToken))
            }, keeps: ["ASIAEXAMPLE"]),
        Case(
            name: "ContainerCredentialProvider with a token",
            value: {
                try ContainerCredentialProvider(
                    client: AWSClient(transport: CurlHTTPClient()), uri: "http://169.254.170.23/v1/credentials",
                    authorizationToken: Self.bearer)
            }, keeps: ["169.254.170.23"]),
        Case(
            name: "AssumeRoleCredentialProvider with an external id over static keys",
            value: {
                let client = AWSClient(transport: CurlHTTPClient())
                return AssumeRoleCredentialProvider(
                    sts: STSClient(client: client, endpoints: EndpointResolver()),
                    source: StaticCredentialProvider(accessKeyID: "AKIAEXAMPLE", secretAccessKey: Self.secretKey),
                    region: "us-west-2", roleARN: "arn:aws:iam::210987654321:role/pull", externalID: Self.externalID)
            }, keeps: ["arn:aws:iam::210987654321:role/pull"]),
        Case(
            name: "AWSEnvironment with keys",
            value: {
                AWSEnvironment([
                    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": Self.secretKey,
                    "AWS_SESSION_TOKEN": Self.sessionToken, "AWS_CONTAINER_AUTHORIZATION_TOKEN": Self.bearer,
                ])
            }, keeps: ["AWS_SECRET_ACCESS_KEY"]),
        Case(
            name: "ECRAuthorization",
            value: {
                ECRAuthorization(
                    registryHost: "1.dkr.ecr.us-west-2.amazonaws.com", username: "AWS", password: Self.password,
                    expiresAt: Date(timeIntervalSince1970: 0))
            }, keeps: ["1.dkr.ecr.us-west-2.amazonaws.com"]),
        Case(
            name: "RegistryCredential",
            value: { RegistryCredential(host: "public.ecr.aws", username: "AWS", password: Self.password) },
            keeps: ["public.ecr.aws", "AWS"]),
        Case(
            name: "IssuedToken",
            value: {
                IssuedToken(
                    credential: RegistryCredential(host: "public.ecr.aws", username: "AWS", password: Self.password),
                    expiresAt: Date(timeIntervalSince1970: 0), obtainedAt: Date(timeIntervalSince1970: 0))
            }, keeps: ["public.ecr.aws", "1970"]),
        Case(
            name: "ResolvedCredentials and its Source",
            value: {
                ResolvedCredentials(
                    source: .keys(
                        accessKeyID: "AKIAEXAMPLE", secretAccessKey: Self.secretKey, sessionToken: Self.sessionToken),
                    roleARN: "arn:aws:iam::210987654321:role/pull", externalID: Self.externalID)
            }, keeps: ["AKIA…", "session", "role/pull"]),
        Case(
            name: "ResolvedCredentials.Source alone",
            value: {
                ResolvedCredentials.Source.keys(
                    accessKeyID: "AKIAEXAMPLE", secretAccessKey: Self.secretKey, sessionToken: Self.sessionToken)
            }, keeps: ["AKIA…"]),
        Case(
            name: "DesiredSecret",
            value: {
                try DesiredSecret.build(
                    name: "ecr-login", namespace: "team-a",
                    owner: OwnerReference(apiVersion: "v1", kind: "AWSECRImagePullSecret", name: "team", uid: "u1"),
                    ownerLabels: [:], templateLabels: nil, templateAnnotations: nil,
                    credentials: [RegistryCredential(host: "public.ecr.aws", username: "AWS", password: Self.password)],
                    expiresAt: Date(timeIntervalSince1970: 0))
            }, keeps: ["team-a", "ecr-login"], alsoSecret: [Self.dockerAuth]),
        Case(
            name: "Secret with data, stringData and a last-applied annotation",
            value: {
                Secret(
                    metadata: ObjectMeta(
                        name: "aws-creds", namespace: "team-a",
                        annotations: [
                            "kubectl.kubernetes.io/last-applied-configuration": #"{"data":"\#(Self.secretKey)"}"#
                        ]),
                    data: ["AWS_SECRET_ACCESS_KEY": Data(Self.secretKey.utf8)],
                    stringData: ["AWS_SESSION_TOKEN": Self.sessionToken], type: "Opaque")
            }, keeps: ["aws-creds", "AWS_SECRET_ACCESS_KEY"]),
        Case(
            name: "AuthMethod.token and a KubeConfig using it",
            value: {
                KubeConfig(
                    server: "https://10.0.0.1", tls: TLSConfiguration(clientKeyPEM: Data(Self.privateKey.utf8)),
                    auth: .token(Self.bearer))
            }, keeps: ["https://10.0.0.1", "token"]),
        Case(
            name: "AuthMethod.basic", value: { AuthMethod.basic(username: "admin", password: Self.password) },
            keeps: ["admin"]),
        Case(
            name: "AuthMethod.exec with keys in the plugin's environment",
            value: {
                AuthMethod.exec(
                    ExecConfig(
                        command: "aws", args: ["eks", "get-token"], env: ["AWS_SECRET_ACCESS_KEY": Self.secretKey],
                        baseEnvironment: ["AWS_SESSION_TOKEN": Self.sessionToken]))
            }, keeps: ["aws", "get-token", "AWS_SECRET_ACCESS_KEY"]),
        Case(
            name: "ExecCredentialStatus",
            value: {
                ExecCredentialStatus(
                    token: Self.bearer, expirationTimestamp: "2026-11-30T10:00:00Z", clientKeyData: Self.privateKey)
            }, keeps: ["2026-11-30T10:00:00Z"]),
        Case(
            name: "AdmissionRequest for a resource with inline keys",
            value: {
                AdmissionRequest(
                    uid: "req-1",
                    kind: GroupVersionKind(group: APIGroup.name, version: "v1alpha1", kind: "AWSECRImagePullSecret"),
                    name: "team", namespace: "team-a", operation: "CREATE",
                    object: .object([
                        "spec": .object(["awsAccess": .object(["secretAccessKey": .string(Self.secretKey)])])
                    ]),
                    oldObject: .object([
                        "spec": .object(["awsAccess": .object(["secretAccessKey": .string(Self.password)])])
                    ]))
            }, keeps: ["req-1", "CREATE", "team-a/team"]),
    ]

    static let inlineAccess = AWSAccess(
        region: "us-west-2", accessKeyId: "AKIAEXAMPLEKEYID", secretAccessKey: secretKey,
        roleARN: "arn:aws:iam::210987654321:role/pull", externalID: externalID)
    static let dockerAuth = Data("AWS:\(password)".utf8).base64EncodedString()

    @Test(arguments: cases)
    func printsNoSecretButKeepsWhatHelpsDebugging(_ testCase: Case) throws {
        let value = try testCase.value()
        for secret in Self.secrets + testCase.alsoSecret {
            #expect(Self.leaks(of: secret, in: value) == [], "\(secret.prefix(6))… leaks")
        }
        let renderings = Self.renderings(of: value)
        for kept in testCase.keeps {
            #expect(renderings["interpolation"]?.contains(kept) == true, "\(kept) missing: \(renderings)")
        }
    }

    /// The check itself finds a leak, as text and as dumped bytes.
    @Test func theCheckFindsLeaks() {
        struct Leaky {
            var password: String
            var bytes: Data
        }
        let leaky = Leaky(password: Self.password, bytes: Data(Self.secretKey.utf8))
        #expect(Self.leaks(of: Self.password, in: leaky).count == 4)
        #expect(Self.leaks(of: Self.secretKey, in: leaky) == ["dump (as bytes)"])
    }
}
