import CRDModels
import Foundation
import Testing

@testable import Operator

/// The scrape-time gauges as text: values from the status at `now`, label escaping, the leader line.
@Suite struct ResourceGaugesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func expiryIsStatusMinusNowSoItFallsWithoutARefresh() {
        var resource = AWSECRImagePullSecret(
            metadata: ObjectMeta(name: "registry", namespace: "team-a"),
            spec: .init(secretName: "ecr-login", awsAccess: .init(region: "us-west-2")))
        resource.status = ImagePullSecretStatus()
        resource.status?.expiresAt = Timestamp.format(now.addingTimeInterval(3600))
        resource.status?.lastRefreshTime = Timestamp.format(now.addingTimeInterval(-60))
        resource.status?.conditions = [
            Condition(type: "Ready", status: "True", lastTransitionTime: "", reason: "SecretsSynced", message: "ok")
        ]
        let sample = ResourceGauges.sample(resource)
        let labels = #"{kind="AWSECRImagePullSecret",resource_namespace="team-a",resource_name="registry"}"#

        let atNow = ResourceGauges.exposition(samples: [sample], leader: nil, now: now)
        #expect(atNow.contains("ecr_pullsecret_token_expires_in_seconds\(labels) 3600.0\n"))
        #expect(atNow.contains("ecr_pullsecret_last_refresh_timestamp_seconds\(labels) 1799999940.0\n"))
        #expect(atNow.contains("ecr_pullsecret_ready\(labels) 1.0\n"))
        #expect(!atNow.contains("leader_election_master_status"))

        let later = ResourceGauges.exposition(samples: [sample], leader: nil, now: now.addingTimeInterval(7200))
        #expect(later.contains("ecr_pullsecret_token_expires_in_seconds\(labels) -3600.0\n"))
    }

    @Test func aResourceWithoutStatusIsNotReadyAndHasNoExpiry() {
        let sample = ResourceGauges.Sample(
            kind: "ClusterAWSECRImagePullSecret", namespace: "", name: "new", expiresAt: nil, lastRefresh: nil,
            ready: false)
        let text = ResourceGauges.exposition(samples: [sample], leader: ("lease", false), now: now)
        #expect(!text.contains("ecr_pullsecret_token_expires_in_seconds{"))
        let labels = #"{kind="ClusterAWSECRImagePullSecret",resource_namespace="",resource_name="new"}"#
        #expect(text.contains("ecr_pullsecret_ready\(labels) 0.0\n"))
        #expect(text.contains("# TYPE leader_election_master_status gauge\n"))
        #expect(text.contains(#"leader_election_master_status{name="lease"} 0"# + "\n"))
    }

    @Test func labelValuesAreEscaped() {
        #expect(ResourceGauges.render([("a", "x\"y\\z\nw")]) == #"a="x\"y\\z\nw""#)
    }
}
