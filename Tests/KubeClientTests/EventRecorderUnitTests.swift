import Foundation
import Testing

@testable import KubeClient

@Suite struct EventRecorderUnitTests {
    @Test func tokenBucketAllowsABurstThenRefills() {
        var buckets: [String: EventRecorder.Bucket] = [:]
        let start = Date(timeIntervalSince1970: 1_000)
        let allowed = (0..<30).filter { _ in
            EventRecorder.allow("o", at: start, buckets: &buckets, burst: 25, refill: .seconds(300))
        }
        #expect(allowed.count == 25)
        #expect(!EventRecorder.allow("o", at: start.addingTimeInterval(299), buckets: &buckets, burst: 25, refill: .seconds(300)))
        #expect(EventRecorder.allow("o", at: start.addingTimeInterval(301), buckets: &buckets, burst: 25, refill: .seconds(300)))
        #expect(EventRecorder.allow("other", at: start, buckets: &buckets, burst: 25, refill: .seconds(300)))
    }

    @Test func eventNamesAreHexNanosAndUnique() {
        var last: UInt64 = 0
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let first = EventRecorder.eventName(involvedName: "cr", time: time, lastNanos: &last)
        let second = EventRecorder.eventName(involvedName: "cr", time: time, lastNanos: &last)
        #expect(first.hasPrefix("cr.17"))
        #expect(first != second)
        #expect(UInt64(first.dropFirst(3), radix: 16) != nil)
    }
}
