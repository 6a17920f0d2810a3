import AsyncTestSupport
import ECRAuth
import Foundation
import KubeTestSupport
import Testing

/// The shared single-flight token cache: counted at the server.
@Suite struct ECRTokenCacheTests {
    static let target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"

    func ecrCalls(_ moto: MotoServer, _ keys: StaticCredentialProvider) -> Int {
        moto.requestCount { $0.target == Self.target && $0.accessKeyID == keys.stored.accessKeyID }
    }

    @Test func manyConcurrentCallersCostOneAWSCall() async throws {
        try await withMoto { moto in
            let clock = TestClock()
            let ecr = ECRClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: moto.endpoint)))
            let cache = ECRTokenCache(ecr: ecr, now: clock.function)
            let keys = uniqueKeys()
            let tokens = try await withThrowingTaskGroup(of: ECRToken.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await cache.token(credentials: keys, region: "us-west-2") }
                }
                var all: [ECRToken] = []
                for try await token in group { all.append(token) }
                return all
            }
            #expect(tokens.count == 200)
            #expect(ecrCalls(moto, keys) == 1)
            #expect(Set(tokens.map { $0.authorizations.first?.password }) == ["123456789012-auth-token"])
            // moto's expiresAt is 2015: the floor applies and is reported, instead of a refetch on every call.
            let token = try #require(tokens.first)
            #expect(token.expiryClamped)
            #expect(token.refreshAt == clock.now.addingTimeInterval(60))

            clock.advance(30)
            _ = try await cache.token(credentials: keys, region: "us-west-2")
            #expect(ecrCalls(moto, keys) == 1)
            clock.advance(31)  // past the floor
            _ = try await cache.token(credentials: keys, region: "us-west-2")
            #expect(ecrCalls(moto, keys) == 2)
        }
    }

    @Test func entriesAreKeyedByIdentityRegionRegistriesAndKind() async throws {
        try await withMoto { moto in
            let clock = TestClock()
            let env = environment(endpoint: moto.endpoint)
            let ecr = ECRClient(client: makeClient(), endpoints: EndpointResolver(environment: env))
            let cache = ECRTokenCache(ecr: ecr, now: clock.function)
            let keys = uniqueKeys()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<60 {
                    let region = ["us-east-1", "eu-west-1", "ap-south-1"][index % 3]
                    group.addTask { _ = try await cache.token(credentials: keys, region: region) }
                    group.addTask {
                        _ = try await cache.token(
                            credentials: keys, region: region, registryIDs: ["222233334444", "111122223333"])
                    }
                }
                try await group.waitForAll()
            }
            #expect(ecrCalls(moto, keys) == 6)  // 3 regions × (default registry, id set)
            // The id set is normalised: order and duplicates do not make a new entry.
            let sameSet = try await cache.token(
                credentials: keys, region: "eu-west-1", registryIDs: ["111122223333", "222233334444", "111122223333"])
            #expect(
                sameSet.authorizations.map(\.registryHost) == [
                    "111122223333.dkr.ecr.eu-west-1.amazonaws.com", "222233334444.dkr.ecr.eu-west-1.amazonaws.com",
                ])
            #expect(ecrCalls(moto, keys) == 6)

            // Rotated keys (same access key id, new secret) are a new identity: a new call.
            let rotated = StaticCredentialProvider(
                accessKeyID: keys.stored.accessKeyID, secretAccessKey: keys.stored.secretAccessKey + "-rotated")
            #expect(rotated.identity != keys.identity)
            _ = try await cache.token(credentials: rotated, region: "us-east-1")
            #expect(ecrCalls(moto, keys) == 7)
            // Explicit invalidation drops the identity's entries.
            await cache.invalidate(identity: keys.identity)
            _ = try await cache.token(credentials: keys, region: "us-east-1")
            #expect(ecrCalls(moto, keys) == 8)
            let cachedKeys = await cache.snapshot.keys
            #expect(cachedKeys.contains { $0.identity == rotated.identity })
        }
    }

    @Test func failuresAreNotCachedAndPublicIsItsOwnEntry() async throws {
        let responder = try await ScriptedResponder.start { index, request in
            if request.headers["x-amz-target"]?.hasPrefix("Spencer") == true {
                return jsonResponse(
                    .ok, #"{"authorizationData":{"authorizationToken":"QVdTOnB1Yg==","expiresAt":4102444800}}"#)
            }
            return index == 0
                ? jsonResponse(.badRequest, #"{"__type":"AccessDeniedException","message":"denied"}"#)
                : jsonResponse(
                    .ok,
                    #"{"authorizationData":[{"authorizationToken":"QVdTOnB3","expiresAt":4102444800,"#
                        + #""proxyEndpoint":"https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]}"#)
        }
        try await withTeardown({ await responder.stop() }) {
            let clock = TestClock(Date(timeIntervalSince1970: 4_102_444_800 - 12 * 3600))
            let ecr = ECRClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: responder.url)))
            let cache = ECRTokenCache(ecr: ecr, now: clock.function)
            let keys = uniqueKeys()
            await #expect(throws: AWSError.self) { _ = try await cache.token(credentials: keys, region: "us-east-1") }
            let token = try await cache.token(credentials: keys, region: "us-east-1")
            #expect(!token.expiryClamped)
            // 12 h token: refresh 10% (72 min) before expiry.
            #expect(token.refreshAt == token.expiresAt.addingTimeInterval(-72 * 60))
            let publicToken = try await cache.token(credentials: keys, region: "eu-west-1", isPublic: true)
            #expect(publicToken.authorizations.map(\.registryHost) == ["public.ecr.aws"])
            _ = try await cache.token(credentials: keys, region: "us-east-1", isPublic: true)  // same entry
            _ = try await cache.token(credentials: keys, region: "us-east-1")
            #expect(responder.requestCount == 3)
            clock.advance(12 * 3600 - 72 * 60 + 1)  // past the refresh point
            _ = try await cache.token(credentials: keys, region: "us-east-1")
            #expect(responder.requestCount == 4)
        }
    }

    @Test func refreshRule() {
        let rule = RefreshPolicy()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let twelveHours = rule.refreshPoint(fetchedAt: start, expiresAt: start.addingTimeInterval(12 * 3600))
        #expect(twelveHours.refreshAt == start.addingTimeInterval(12 * 3600 - 72 * 60) && !twelveHours.clamped)
        let shortLived = rule.refreshPoint(fetchedAt: start, expiresAt: start.addingTimeInterval(1200))
        #expect(shortLived.refreshAt == start.addingTimeInterval(1200 - 300))  // minimum margin 5 min
        let tiny = rule.refreshPoint(fetchedAt: start, expiresAt: start.addingTimeInterval(90))
        #expect(tiny.refreshAt == start.addingTimeInterval(60) && !tiny.clamped)  // margin capped, floor holds
        let motoExpiry = Date(timeIntervalSince1970: 1_420_070_400)  // moto's fixed 2015 date
        let expired = rule.refreshPoint(fetchedAt: start, expiresAt: motoExpiry)
        #expect(expired.refreshAt == start.addingTimeInterval(60) && expired.clamped)
    }
}
