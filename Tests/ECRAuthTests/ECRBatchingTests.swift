import ECRAuth
import Foundation
import KubeTestSupport
import Testing

/// ECR's `GetAuthorizationToken` takes at most 10 `registryIds`: longer lists go out in batches of 10.
@Suite struct ECRBatchingTests {
    static let ids = (0..<23).map { String(format: "%012d", 500_000_000_000 + $0) }

    @Test func twentyThreeRegistriesInOneRegionAreThreeCallsAndOneCacheEntry() async throws {
        try await withMoto { moto in
            let keys = uniqueKeys()
            let ecr = ECRClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: moto.endpoint)))
            let cache = ECRTokenCache(ecr: ecr)
            let token = try await cache.token(credentials: keys, region: "eu-west-1", registryIDs: Self.ids)
            #expect(
                token.authorizations.map(\.registryHost) == Self.ids.map { "\($0).dkr.ecr.eu-west-1.amazonaws.com" })
            #expect(token.authorizations.map(\.password) == Self.ids.map { "\($0)-auth-token" })
            _ = try await cache.token(credentials: keys, region: "eu-west-1", registryIDs: Self.ids.reversed())
            #expect(await cache.snapshot.count == 1)

            struct Body: Decodable { var registryIds: [String] }
            let bodies = try moto.recordedRequests().filter { $0.accessKeyID == keys.stored.accessKeyID }.map {
                try JSONDecoder().decode(Body.self, from: Data($0.body.utf8)).registryIds
            }
            #expect(bodies.map(\.count) == [10, 10, 3])
            #expect(bodies.flatMap { $0 } == Self.ids)
        }
    }

    @Test func exactlyTenIsOneCall() async throws {
        try await withMoto { moto in
            let keys = uniqueKeys()
            let ecr = ECRClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: moto.endpoint)))
            let result = try await ecr.getAuthorizationToken(
                region: "us-east-1", registryIDs: Array(Self.ids.prefix(10)), credentials: keys)
            #expect(result.count == 10)
            #expect(moto.requestCount { $0.accessKeyID == keys.stored.accessKeyID } == 1)
        }
    }
}
