import Testing

@testable import CRDModels

@Suite("GoDuration")
struct GoDurationTests {
    @Test(arguments: [
        ("6h", Duration.seconds(21_600)), ("1h30m", .seconds(5_400)), ("90s", .seconds(90)), ("10m", .seconds(600)),
        ("1.5h", .seconds(5_400)), ("0", .zero), ("0s", .zero), ("300ms", .milliseconds(300)),
        ("1h0m0s", .seconds(3_600)), ("2us", .microseconds(2)), ("2µs", .microseconds(2)), ("7ns", .nanoseconds(7)),
        ("-1m", .seconds(-60)), ("+1m", .seconds(60)), (".5s", .milliseconds(500)), ("1.s", .seconds(1)),
    ])
    func parsesGoDurations(text: String, expected: Duration) throws {
        #expect(try GoDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "6", "1d", "h", "1hh", "1.2.3s", "abc", "1h 30m", "-", "99999999999999999999h", "3000000h"])
    func rejectsInvalidDurations(text: String) {
        #expect(throws: GoDurationError.self) { try GoDuration.parse(text) }
        #expect(GoDuration(text).duration == nil)
    }

    @Test func errorNamesTheUnit() {
        #expect(throws: GoDurationError(text: "1d", problem: "has unknown unit \"d\" (use ns, us, ms, s, m, h)")) {
            try GoDuration.parse("1d")
        }
    }

    @Test(arguments: [
        (Duration.seconds(21_600), "6h"), (.seconds(5_400), "1h30m"), (.seconds(90), "1m30s"), (.zero, "0s"),
        (.seconds(3_605), "1h5s"), (.milliseconds(1_500), "1.5s"), (.milliseconds(300), "300ms"),
        (.microseconds(2), "2µs"), (.nanoseconds(1_500), "1.5µs"), (.seconds(-60), "-1m"),
    ])
    func formatsCompactly(duration: Duration, expected: String) throws {
        #expect(GoDuration.format(duration) == expected)
        #expect(try GoDuration.parse(expected) == duration)
    }

    @Test func keepsTheTextAsWritten() throws {
        let value = try JSONValue(encoding: ["d": GoDuration("360m")])
        #expect(value["d"] == .string("360m"))
        #expect(GoDuration("360m").duration == .seconds(21_600))
        #expect(GoDuration(.seconds(600)).text == "10m")
    }
}
