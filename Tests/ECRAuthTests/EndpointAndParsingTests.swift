import Foundation
import HTTPClient
import Testing

@testable import ECRAuth

/// Pure rules: endpoints (docs/PROTOCOLS.md 1.2–1.4, 3.4), registry hosts, token and error parsing.
@Suite struct EndpointAndParsingTests {
    func resolver(_ variables: [String: String] = [:]) -> EndpointResolver {
        EndpointResolver(environment: AWSEnvironment(variables))
    }

    @Test func ecrHostsPerPartitionFIPSAndDualStack() {
        #expect(resolver().ecr(region: "us-east-1").url == "https://api.ecr.us-east-1.amazonaws.com")
        #expect(resolver().ecr(region: "cn-north-1").url == "https://api.ecr.cn-north-1.amazonaws.com.cn")
        #expect(resolver().ecr(region: "us-gov-west-1").url == "https://api.ecr.us-gov-west-1.amazonaws.com")
        let fips = resolver(["AWS_USE_FIPS_ENDPOINT": "true"])
        #expect(fips.ecr(region: "us-east-1").url == "https://api.ecr-fips.us-east-1.amazonaws.com")
        #expect(fips.ecr(region: "us-gov-west-1").url == "https://api.ecr-fips.us-gov-west-1.amazonaws.com")
        let dual = resolver(["AWS_USE_DUALSTACK_ENDPOINT": "true"])
        #expect(dual.ecr(region: "us-east-1").url == "https://ecr.us-east-1.api.aws")
        #expect(dual.ecr(region: "cn-north-1").url == "https://ecr.cn-north-1.api.amazonwebservices.com.cn")
        let both = resolver(["AWS_USE_DUALSTACK_ENDPOINT": "true", "AWS_USE_FIPS_ENDPOINT": "TRUE"])
        #expect(both.ecr(region: "us-east-1").url == "https://ecr-fips.us-east-1.api.aws")
        #expect(both.ecr(region: "us-east-1").signingName == "ecr")
        #expect(both.ecr(region: "us-east-1").signingRegion == "us-east-1")
    }

    @Test func overridesWinAndServiceSpecificBeatsGeneral() {
        let env = resolver([
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000/", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:6000",
            "AWS_USE_FIPS_ENDPOINT": "true",
        ])
        #expect(
            env.ecr(region: "eu-west-1")
                == AWSEndpoint(
                    url: "http://127.0.0.1:5000", signingRegion: "eu-west-1",
                    signingName: "ecr"))
        #expect(env.sts(region: "eu-west-1").url == "http://127.0.0.1:6000")
        #expect(env.ecrPublic().url == "http://127.0.0.1:5000")
        #expect(env.ecrPublic().signingRegion == "us-east-1")
        let publicOnly = resolver(["AWS_ENDPOINT_URL_ECR_PUBLIC": "http://localhost:7000"])
        #expect(publicOnly.ecrPublic().url == "http://localhost:7000")
        #expect(publicOnly.ecr(region: "us-east-1").url == "https://api.ecr.us-east-1.amazonaws.com")
        #expect(resolver(["AWS_ENDPOINT_URL_ECR": ""]).ecr(region: "us-east-1").url.hasPrefix("https://api.ecr"))
    }

    @Test func ecrPublicAndSTSEndpoints() {
        #expect(resolver().ecrPublic().url == "https://api.ecr-public.us-east-1.amazonaws.com")
        #expect(resolver().ecrPublic().signingName == "ecr-public")
        #expect(
            resolver(["AWS_USE_DUALSTACK_ENDPOINT": "true"]).ecrPublic().url
                == "https://ecr-public.us-east-1.api.aws")
        #expect(resolver().sts(region: "us-west-2").url == "https://sts.us-west-2.amazonaws.com")
        #expect(resolver().sts(region: "cn-north-1").url == "https://sts.cn-north-1.amazonaws.com.cn")
        #expect(
            resolver(["AWS_USE_FIPS_ENDPOINT": "true"]).sts(region: "us-east-1").url
                == "https://sts-fips.us-east-1.amazonaws.com")
        let legacy = resolver(["AWS_STS_REGIONAL_ENDPOINTS": "legacy"])
        #expect(
            legacy.sts(region: "eu-west-1")
                == AWSEndpoint(
                    url: "https://sts.amazonaws.com",
                    signingRegion: "us-east-1", signingName: "sts"))
        #expect(legacy.sts(region: "ap-east-1").url == "https://sts.ap-east-1.amazonaws.com")
    }

    @Test func registryHosts() {
        #expect(
            RegistryHost.privateRegistry(accountID: "123456789012", region: "us-east-1")
                == "123456789012.dkr.ecr.us-east-1.amazonaws.com")
        #expect(
            RegistryHost.privateRegistry(accountID: "123456789012", region: "us-gov-west-1", fips: true)
                == "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com")
        #expect(
            RegistryHost.privateRegistry(accountID: "210987654321", region: "cn-north-1")
                == "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn")
        #expect(
            RegistryHost.privateRegistry(accountID: "123456789012", region: "us-west-2", dualStack: true)
                == "123456789012.dkr-ecr.us-west-2.on.aws")
        #expect(
            RegistryHost.privateRegistry(
                accountID: "123456789012", region: "us-west-2", fips: true,
                dualStack: true) == "123456789012.dkr-ecr-fips.us-west-2.on.aws")
        #expect(
            RegistryHost.privateRegistry(accountID: "210987654321", region: "cn-north-1", dualStack: true)
                == "210987654321.dkr.ecr.cn-north-1.on.amazonwebservices.com.cn")
        for host in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
            "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012.dkr-ecr.us-west-2.on.aws",
            "123456789012.dkr-ecr-fips.us-west-2.on.aws", "210987654321.dkr.ecr.cn-north-1.on.amazonwebservices.com.cn",
            "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",
        ] {
            #expect(RegistryHost.parse(host) != nil, "\(host)")
        }
        #expect(
            RegistryHost.parse("https://123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com")
                == RegistryHost.Parsed(accountID: "123456789012", region: "us-gov-west-1", fips: true))
        #expect(RegistryHost.parse("12345.dkr.ecr.us-east-1.amazonaws.com") == nil)
        #expect(RegistryHost.parse("public.ecr.aws") == nil)
        #expect(RegistryHost.parse("123456789012.dkr.ecr.us-east-1.example.com") == nil)
    }

    @Test func privateTokenResponseDecodesAllNumberForms() throws {
        for (number, seconds) in [
            ("1420070400", 1_420_070_400.0), ("1.7385984915E9", 1_738_598_491.5),
            ("1738598491.25", 1_738_598_491.25),
        ] {
            let body = """
                {"authorizationData":[{"authorizationToken":"QVdTOnBhc3M6d2l0aDpjb2xvbnM=","expiresAt":\(number),
                "proxyEndpoint":"https://111122223333.dkr.ecr.us-west-2.amazonaws.com"}]}
                """
            let result = try ECRClient.parsePrivate(Data(body.utf8), region: "us-west-2")
            #expect(result.count == 1)
            #expect(result[0].registryHost == "111122223333.dkr.ecr.us-west-2.amazonaws.com")
            #expect(result[0].username == "AWS")
            #expect(result[0].password == "pass:with:colons")  // split on the first colon only
            #expect(result[0].expiresAt.timeIntervalSince1970 == seconds)
            #expect(!result[0].description.contains("pass:with"))
        }
    }

    @Test func publicTokenResponseIsAnObjectWithoutProxyEndpoint() throws {
        let body = #"{"authorizationData":{"authorizationToken":"QVdTOnB1YmxpYy1wdw==","expiresAt":1.7E9}}"#
        let result = try ECRClient.parsePublic(Data(body.utf8))
        #expect(result.registryHost == "public.ecr.aws")
        #expect(result.password == "public-pw")
        #expect(result.expiresAt.timeIntervalSince1970 == 1_700_000_000)
    }

    @Test func malformedTokenBodiesAreTypedErrorsWithoutTheBody() {
        let cases = [
            #"{"authorizationData":[{"authorizationToken":"not base64!","expiresAt":1,"proxyEndpoint":"https://x"}]}"#,
            #"{"authorizationData":[{"authorizationToken":"QVdT","expiresAt":1,"proxyEndpoint":"https://x"}]}"#,
            #"{"authorizationData":[{"authorizationToken":"QVdTOnNlY3JldA==","expiresAt":"soon","proxyEndpoint":"x"}]}"#,
            #"{"authorizationData":[]}"#, "<html>oops</html>", "",
        ]
        for body in cases {
            #expect {
                _ = try ECRClient.parsePrivate(Data(body.utf8), region: "us-east-1")
            } throws: { error in
                guard let error = error as? AWSError else { return false }
                return error.kind == .malformed && !error.description.contains("secret")
            }
        }
    }

    func response(_ status: Int, _ body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Data(body.utf8))
    }

    @Test func jsonErrorsStripNamespacesAndReadEitherMessageKey() {
        let error = AWSErrorParser.parse(
            response(
                400, #"{"__type":"com.amazonaws.ecr#InvalidParameterException:http://x","Message":"bad id"}"#,
                headers: [HTTPHeader("x-amzn-RequestId", "req-1")]), api: "ecr:GetAuthorizationToken")
        #expect(error.code == "InvalidParameterException")
        #expect(error.message == "bad id")
        #expect(error.requestID == "req-1")
        #expect(error.kind == .invalidParameter)
        #expect(!error.isRetryable)
        let throttled = AWSErrorParser.parse(
            response(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#), api: "ecr")
        #expect(throttled.kind == .throttling && throttled.isRetryable)
        let unrecognized = AWSErrorParser.parse(
            response(400, #"{"__type":"UnrecognizedClientException","message":"The security token ..."}"#), api: "e")
        #expect(unrecognized.kind == .invalidCredentials && unrecognized.isCredentialProblem)
        let headerOnly = AWSErrorParser.parse(
            response(400, "", headers: [HTTPHeader("X-Amzn-Errortype", "AccessDeniedException:http://internal")]),
            api: "e")
        #expect(headerOnly.code == "AccessDeniedException" && headerOnly.kind == .accessDenied)
    }

    @Test func xmlErrorsFromSTSAndMoto() {
        let sts = AWSErrorParser.parse(
            response(
                403,
                """
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
                <Code>AccessDenied</Code><Message>not &lt;allowed&gt; &amp; sorry</Message></Error>
                <RequestId>abc-123</RequestId></ErrorResponse>
                """), api: "sts:AssumeRole")
        #expect(sts.code == "AccessDenied" && sts.kind == .accessDenied)
        #expect(sts.message == "not <allowed> & sorry")
        #expect(sts.requestID == "abc-123")
        let moto = AWSErrorParser.parse(
            response(
                403,
                "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>"
                    + "<Message>The request signature we calculated does not match</Message></Error></Errors>"
                    + "<RequestId>r</RequestId></ErrorResponse>"), api: "ecr")
        #expect(moto.code == "SignatureDoesNotMatch" && moto.kind == .invalidCredentials)
        let expired = AWSErrorParser.parse(
            response(
                400, "<ErrorResponse><Error><Code>ExpiredToken</Code><Message>m</Message></Error></ErrorResponse>"),
            api: "sts")
        #expect(expired.kind == .expiredCredentials)
    }

    @Test func unknownBodiesFallBackToTheStatus() {
        #expect(AWSErrorParser.parse(response(503, "Service Unavailable"), api: "e").kind == .server)
        #expect(AWSErrorParser.parse(response(502, "<html>bad gateway</html>"), api: "e").code == "HTTP502")
        #expect(AWSErrorParser.parse(response(429, ""), api: "e").kind == .throttling)
        #expect(AWSErrorParser.parse(response(404, "nope"), api: "e").kind == .client)
    }

    @Test func retryBackoffIsJitteredExponentialAndCapped() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .milliseconds(500))
        #expect(policy.backoff(retry: 1, random: 1) == .milliseconds(100))
        #expect(policy.backoff(retry: 3, random: 1) == .milliseconds(400))
        #expect(policy.backoff(retry: 6, random: 1) == .milliseconds(500))
        #expect(policy.backoff(retry: 3, random: 0.5) == .milliseconds(200))
        #expect(policy.backoff(retry: 3, random: 0) == .zero)
    }

    @Test func errorsRedactSecretsTheServerEchoes() {
        let error = AWSError(code: "AccessDenied", message: "key SECRETVALUE is bad", kind: .accessDenied)
            .redacting(["SECRETVALUE"])
        #expect(!error.description.contains("SECRETVALUE"))
        #expect(error.description.contains("<redacted>"))
    }
}

@Suite struct STSInputTests {
    @Test func assumeRoleInputsAreCheckedBeforeAnyCall() {
        let ok = "arn:aws:iam::123456789012:role/ecr-pull"
        #expect(throws: Never.self) {
            try STSClient.validate(roleARN: ok, sessionName: "ecr-operator", duration: .seconds(900), api: "sts")
        }
        #expect(throws: Never.self) {
            try STSClient.validate(roleARN: "arn:aws-cn:iam::1:role/a/b", sessionName: "a@b.c", duration: nil, api: "s")
        }
        let bad: [(String, String, Duration?, String)] = [
            ("role/ecr-pull", "s1", nil, "roleARN"),
            ("arn:aws:iam::123456789012:user/bob", "s1", nil, "roleARN"),
            (ok, "x", nil, "RoleSessionName"),
            (ok, "has space", nil, "RoleSessionName"),
            (ok, String(repeating: "a", count: 65), nil, "RoleSessionName"),
            (ok, "ok-name", .seconds(899), "DurationSeconds"),
            (ok, "ok-name", .seconds(43201), "DurationSeconds"),
        ]
        for (arn, session, duration, field) in bad {
            #expect {
                try STSClient.validate(roleARN: arn, sessionName: session, duration: duration, api: "sts:AssumeRole")
            } throws: { error in
                let error = error as? AWSError
                return error?.kind == .invalidParameter && error?.message.contains(field) == true
            }
        }
    }
}
