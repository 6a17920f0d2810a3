/// `Duration` in the units the rest of the code talks in (timeouts in libcurl's milliseconds, metrics
/// in nanoseconds, arithmetic in seconds). The one home of these conversions: every module that needs
/// them sits on HTTPClient.
extension Duration {
    /// Fractional seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }

    /// Whole milliseconds, truncated, saturating.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// Whole nanoseconds, truncated, saturating.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product + attoseconds / 1_000_000_000
    }
}
