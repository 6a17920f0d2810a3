/// The query of a list or watch as kube-apiserver v1.26's list handler reads it: decoded by the
/// parameter codec (400 with Go's parse errors), then `ValidateListOptions` (422), then the field
/// label conversion (400). The resourceVersion is parsed only where the storage needs it (500).
struct ListOptions {
    var labels = LabelQuery.everything
    var fields = FieldQuery()
    var watch = false
    var allowWatchBookmarks = false
    var resourceVersion: String?
    var resourceVersionMatch: String?
    var timeoutSeconds: Int?
    var limit: Int?
    var continueToken: String?

    init(query: [String: String], type: APIResourceType) throws(APIError) {
        labels = try LabelQuery.parse(query["labelSelector"] ?? "")
        fields = try FieldQuery.parse(query["fieldSelector"] ?? "")
        watch = try Self.bool(query["watch"])
        allowWatchBookmarks = try Self.bool(query["allowWatchBookmarks"])
        resourceVersion = query["resourceVersion"].flatMap { $0.isEmpty ? nil : $0 }
        resourceVersionMatch = query["resourceVersionMatch"].flatMap { $0.isEmpty ? nil : $0 }
        timeoutSeconds = try Self.int(query["timeoutSeconds"])
        limit = try Self.int(query["limit"])
        continueToken = query["continue"].flatMap { $0.isEmpty ? nil : $0 }
        try validate()
        try fields.checkSupported(by: type)
    }

    /// `strconv.ParseBool`; an empty value is false.
    private static func bool(_ text: String?) throws(APIError) -> Bool {
        guard let text, !text.isEmpty else { return false }
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: throw APIError.badRequest("strconv.ParseBool: parsing \"\(text)\": invalid syntax")
        }
    }

    /// `strconv.ParseInt(text, 10, 64)`.
    private static func int(_ text: String?) throws(APIError) -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int64(text) else {
            let digits = text.drop { $0 == "-" || $0 == "+" }
            let outOfRange = !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
            throw APIError.badRequest(
                "strconv.ParseInt: parsing \"\(text)\": \(outOfRange ? "value out of range" : "invalid syntax")")
        }
        return Int(value)
    }

    /// `ValidateListOptions` of v1.26 (no WatchList: `sendInitialEvents` is not a parameter yet).
    private func validate() throws(APIError) {
        guard let match = resourceVersionMatch else { return }
        let field = "resourceVersionMatch"
        var causes: [FieldError] = []
        if watch { causes.append(.forbidden(field, "resourceVersionMatch is forbidden for watch")) }
        if resourceVersion == nil {
            causes.append(.forbidden(field, "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        }
        if continueToken != nil {
            causes.append(.forbidden(field, "resourceVersionMatch is forbidden when continue is provided"))
        }
        switch match {
        case "Exact":
            if resourceVersion == "0" {
                causes.append(.forbidden(field, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""))
            }
        case "NotOlderThan": break
        default:
            causes.append(
                FieldError(
                    type: "FieldValueNotSupported", field: field,
                    body: "Unsupported value: \"\(match)\": supported values: \"Exact\", \"NotOlderThan\", \"\""))
        }
        guard !causes.isEmpty else { return }
        throw APIError.invalid(kind: "ListOptions", group: "meta.k8s.io", name: "", causes: causes)
    }

    /// The storage's `ParseResourceVersion`: nil for none; its error is not a Status, hence a bare 500.
    func parsedResourceVersion() throws(APIError) -> Int? {
        guard let resourceVersion else { return nil }
        guard let value = UInt64(resourceVersion) else {
            let digits = !resourceVersion.isEmpty && resourceVersion.allSatisfy { $0.isASCII && $0.isNumber }
            throw APIError(
                code: 500, reason: "",
                message: "resourceVersion: Invalid value: \"\(resourceVersion)\": strconv.ParseUint: parsing "
                    + "\"\(resourceVersion)\": \(digits ? "value out of range" : "invalid syntax")")
        }
        return Int(clamping: value)
    }

    /// Served by the watch cache (cacher `shouldDelegateList` is false): unordered, `limit` ignored.
    func servedFromCache(_ type: APIResourceType) -> Bool {
        guard type.hasWatchCache, resourceVersion != nil, continueToken == nil, resourceVersionMatch != "Exact" else {
            return false
        }
        return resourceVersion == "0" || (limit ?? 0) <= 0
    }

    /// How long the watch cache waits for a version it has not seen before answering 504.
    static let freshnessWait: Duration = .seconds(3)

    static func tooLargeResourceVersion(_ requested: Int, current: Int) -> APIError {
        APIError(
            code: 504, reason: "Timeout",
            message: "Timeout: Too large resource version: \(requested), current: \(current)",
            details: .object([
                "causes": .array([
                    .object(["reason": .string("ResourceVersionTooLarge"), "message": .string("Too large resource version")])
                ])
            ]),
            retryAfterSeconds: 1)
    }
}
