import Foundation
import HTTPClient
import Testing

@testable import ECRAuth

/// The official SigV4 vectors (docs/PROTOCOLS.md 2.3) and the derived ECR / ECR Public / STS vectors.
@Suite struct SigV4SignerTests {
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let keys = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let stsToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    func signer(_ credentials: AWSCredentials = keys, region: String = "us-east-1", service: String = "service")
        -> SigV4Signer
    {
        SigV4Signer(credentials: credentials, region: region, service: service)
    }

    /// Signs `request` and returns the signed request and the intermediate values of its signature.
    func sign(_ request: HTTPRequest, with signer: SigV4Signer) throws -> (HTTPRequest, SigV4Signer.Signature) {
        let signed = try signer.sign(request, date: Self.date)
        var unsigned = signed
        unsigned.headers.removeAll { $0.name == "Authorization" }
        let details = try signer.signature(for: unsigned, date: Self.date)
        #expect(signed.headers.first { $0.name == "Authorization" }?.value == details.authorization)
        return (signed, details)
    }

    func stsHash(_ details: SigV4Signer.Signature) -> String {
        String(details.stringToSign.split(separator: "\n").last!)
    }

    @Test func signingKeysMatchTheDerivedValues() {
        #expect(
            Crypto.hex(signer().signingKey(date: Self.date))
                == "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75")
        let iam = signer(service: "iam")
        #expect(
            Crypto.hex(iam.signingKey(date: Date(timeIntervalSince1970: 1_329_264_000)))  // 2012-02-15
                == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test func getVanilla() throws {
        let request = HTTPRequest(
            method: "GET", url: "https://example.amazonaws.com/",
            headers: [HTTPHeader("Host", "example.amazonaws.com")])
        let (signed, details) = try sign(request, with: signer())
        #expect(
            details.canonicalRequest
                == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            details.stringToSign
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
        #expect(
            signed.headers.first { $0.name == "Authorization" }?.value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.headers.first { $0.name == "X-Amz-Date" }?.value == "20150830T123600Z")
        #expect(!signed.headers.contains { $0.name == "X-Amz-Security-Token" })
    }

    @Test func hostIsDerivedFromTheURLWhenNoHostHeaderIsGiven() throws {
        let request = HTTPRequest(method: "GET", url: "https://example.amazonaws.com/")
        let (_, details) = try sign(request, with: signer())
        #expect(details.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func postXWWWFormURLEncoded() throws {
        let request = HTTPRequest(
            method: "POST", url: "https://example.amazonaws.com/",
            headers: [
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded"),
                HTTPHeader("Host", "example.amazonaws.com"),
            ],
            body: Data("Param1=value1".utf8))
        let (_, details) = try sign(request, with: signer())
        #expect(
            details.canonicalRequest
                == "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
                + "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
                + "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
        #expect(stsHash(details) == "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281")
        #expect(details.signedHeaders == "content-type;host;x-amz-date")
        #expect(details.signature == "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    @Test func getVanillaWithSessionTokenSignsTheToken() throws {
        let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        var credentials = Self.keys
        credentials.sessionToken = token
        let request = HTTPRequest(
            method: "GET", url: "https://example.amazonaws.com/",
            headers: [HTTPHeader("Host", "example.amazonaws.com"), HTTPHeader("X-Amz-Security-Token", "stale")])
        let (signed, details) = try sign(request, with: signer(credentials))
        #expect(
            details.canonicalRequest
                == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                + "x-amz-security-token:\(token)\n\nhost;x-amz-date;x-amz-security-token\n"
                + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(stsHash(details) == "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b")
        #expect(details.signature == "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8")
        #expect(signed.headers.filter { $0.name.lowercased() == "x-amz-security-token" }.map(\.value) == [token])
    }

    @Test func getVanillaQueryOrderKeyCase() throws {
        let request = HTTPRequest(
            method: "GET", url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            headers: [HTTPHeader("Host", "example.amazonaws.com")])
        let (_, details) = try sign(request, with: signer())
        #expect(
            details.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2]
                == "Param1=value1&Param2=value2")
        #expect(stsHash(details) == "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0")
        #expect(details.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func postSTSHeaderBeforeAndAfter() throws {
        let request = HTTPRequest(
            method: "POST", url: "https://example.amazonaws.com/",
            headers: [HTTPHeader("Host", "example.amazonaws.com")])
        var credentials = Self.keys
        credentials.sessionToken = Self.stsToken
        let (_, before) = try sign(request, with: signer(credentials))
        #expect(before.signedHeaders == "host;x-amz-date;x-amz-security-token")
        #expect(before.signature == "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")
        // "after": the token is appended after signing, so the signature is post-vanilla's.
        let (_, vanilla) = try sign(request, with: signer())
        #expect(vanilla.signature == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    func ecrRequest(host: String, target: String) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: "https://\(host)/",
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-1.1"), HTTPHeader("X-Amz-Target", target),
                HTTPHeader("User-Agent", "ecr-pullsecret-operator"), HTTPHeader("Content-Length", "2"),
            ],
            body: Data("{}".utf8))
    }

    @Test func derivedECRGetAuthorizationToken() throws {
        let request = ecrRequest(
            host: "api.ecr.us-east-1.amazonaws.com",
            target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken")
        let (_, details) = try sign(request, with: signer(service: "ecr"))
        #expect(
            details.canonicalRequest
                == "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:api.ecr.us-east-1.amazonaws.com\n"
                + "x-amz-date:20150830T123600Z\n"
                + "x-amz-target:AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
                + "\n\ncontent-type;host;x-amz-date;x-amz-target\n"
                + "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(stsHash(details) == "696f9d23764d52f5c339be08179976e1c31aee8c781de678b4b36b35ccedda1f")
        #expect(details.stringToSign.contains("\n20150830/us-east-1/ecr/aws4_request\n"))
        #expect(details.signature == "527a2155e9afc2426cb4c659023df9c031e8103458f349819615ff25111f5de0")

        var temporary = Self.keys
        temporary.sessionToken = Self.stsToken
        let (_, withToken) = try sign(request, with: signer(temporary, service: "ecr"))
        #expect(withToken.signedHeaders == "content-type;host;x-amz-date;x-amz-security-token;x-amz-target")
        #expect(stsHash(withToken) == "d70ade6f5f2824fbcc73b319b010d16c79334d658ccfdb56f5e4b6cda1ee7157")
        #expect(withToken.signature == "82f08cded97b0c75e89032996b74f0672a658c189f023c39c6d6c1f76c2ef80e")
    }

    @Test func derivedECRPublicGetAuthorizationToken() throws {
        let request = ecrRequest(
            host: "api.ecr-public.us-east-1.amazonaws.com", target: "SpencerFrontendService.GetAuthorizationToken")
        let (_, details) = try sign(request, with: signer(service: "ecr-public"))
        #expect(details.signature == "7f4ca0d963a87df3d01f6c4ab2257843501fb7772d9351b0a56f5eca8095cd59")
    }

    @Test func derivedSTSAssumeRole() throws {
        let body =
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fecr-refresher"
            + "&RoleSessionName=ecr-operator&DurationSeconds=900"
        #expect(
            Crypto.hex(Crypto.sha256(body)) == "6c714052c8e67d347bb90e98298b9ce4c207059afba087b76fbaf4633128f7f8")
        let request = HTTPRequest(
            method: "POST", url: "https://sts.us-west-2.amazonaws.com/",
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Data(body.utf8))
        let (_, details) = try sign(request, with: signer(region: "us-west-2", service: "sts"))
        #expect(details.signedHeaders == "content-type;host;x-amz-date")
        #expect(stsHash(details) == "cb377e62eee9fd75ad97ff9b6c75466b5bd4b8c7b1def5ae17d4446450941b97")
        #expect(details.signature == "385997b3a4cb2c64d2849dfd0a2032236819eca4957e3a4934077d484bc7705b")
    }

    @Test func hostCarriesANonDefaultPortOnly() throws {
        #expect(SigV4Signer.hostHeader(URLComponents(string: "http://127.0.0.1:5055/")!) == "127.0.0.1:5055")
        #expect(SigV4Signer.hostHeader(URLComponents(string: "https://example.com:443/")!) == "example.com")
        #expect(SigV4Signer.hostHeader(URLComponents(string: "http://example.com:80/x")!) == "example.com")
        let (_, details) = try sign(HTTPRequest(method: "GET", url: "http://127.0.0.1:5055/"), with: signer())
        #expect(details.canonicalRequest.contains("\nhost:127.0.0.1:5055\n"))
    }

    @Test func canonicalPiecesFollowTheRules() {
        #expect(SigV4Signer.canonicalURI("") == "/")
        #expect(SigV4Signer.canonicalURI("/a/./b/../c//d/") == "/a/c/d/")
        #expect(SigV4Signer.canonicalURI("/latest/meta-data/iam/") == "/latest/meta-data/iam/")
        #expect(SigV4Signer.canonicalURI("/a%20b~") == "/a%2520b~")  // non-S3: encoded twice
        #expect(SigV4Signer.canonicalQuery("b=2&a=&a=1&c") == "a=&a=1&b=2&c=")
        #expect(SigV4Signer.canonicalQuery("k=a%20b&slash=%2F") == "k=a%20b&slash=%2F")
        #expect(SigV4Signer.trimAll("  a   b \t c  ") == "a b c")
        #expect(SigV4Signer.uriEncode("é /", keepSlash: false) == "%C3%A9%20%2F")
    }

    @Test func repeatedHeadersAreJoinedAndUnsignedHeadersSkipped() throws {
        let request = HTTPRequest(
            method: "GET", url: "https://example.amazonaws.com/",
            headers: [
                HTTPHeader("My-Header1", "  value1  "), HTTPHeader("my-header1", "value2   with   spaces"),
                HTTPHeader("User-Agent", "x"), HTTPHeader("Expect", "100-continue"),
            ])
        let (_, details) = try sign(request, with: signer())
        #expect(details.canonicalRequest.contains("\nmy-header1:value1,value2 with spaces\n"))
        #expect(details.signedHeaders == "host;my-header1;x-amz-date")
    }

    @Test func credentialsNeverPrintTheirSecrets() {
        let credentials = AWSCredentials(
            accessKeyID: "ASIAEXAMPLE", secretAccessKey: "SECRET-VALUE-123", sessionToken: "TOKEN-VALUE-456")
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, "\(credentials)", String(reflecting: credentials), dumped] {
            #expect(text.contains("ASIAEXAMPLE"))
            #expect(!text.contains("SECRET-VALUE-123"))
            #expect(!text.contains("TOKEN-VALUE-456"))
        }
        #expect(!credentials.fingerprint.contains("SECRET"))
        var rotated = credentials
        rotated.secretAccessKey = "OTHER"
        #expect(rotated.fingerprint != credentials.fingerprint)
        #expect(rotated.fingerprint.hasPrefix("ASIAEXAMPLE:"))
    }
}
