import CRDModels
import FoundationEssentials
import HTTPClient

/// Turns a non-2xx AWS response into an `AWSError`. Handles the JSON 1.1 shape (`__type` with or without a
/// namespace prefix, `message` or `Message`), the query/XML shape (`<ErrorResponse><Error><Code>`, which
/// moto also sends for auth failures of JSON services), and bodies that are neither.
enum AWSErrorParser {
    static func parse(_ response: HTTPResponse, api: String) -> AWSError {
        var code: String?
        var message: String?
        var requestID = response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id")

        if let object = try? JSONValue.parse(response.body), object.objectValue != nil {
            if let type = object["__type"]?.stringValue { code = normalizeType(type) }
            message = object["message"]?.stringValue ?? object["Message"]?.stringValue
        } else if let text = String(data: response.body, encoding: .utf8), text.contains("<") {
            code = XMLText.first("Code", in: text)
            message = XMLText.first("Message", in: text)
            requestID = requestID ?? XMLText.first("RequestId", in: text) ?? XMLText.first("RequestID", in: text)
        }
        if code == nil, let header = response.header("x-amzn-ErrorType") { code = normalizeType(header) }
        let finalCode = code ?? "HTTP\(response.status)"
        let finalMessage = message ?? fallbackMessage(response)
        return AWSError(
            code: finalCode, message: finalMessage, kind: AWSError.classify(code: finalCode, status: response.status),
            httpStatus: response.status, requestID: requestID, api: api)
    }

    /// botocore: drop everything up to the last `#`, and everything from the first `:`.
    static func normalizeType(_ type: String) -> String {
        var value = Substring(type)
        if let hash = value.lastIndex(of: "#") { value = value[value.index(after: hash)...] }
        if let colon = value.firstIndex(of: ":") { value = value[..<colon] }
        return String(value).trimmingWhitespace()
    }

    private static func fallbackMessage(_ response: HTTPResponse) -> String {
        return "HTTP \(response.status) with \(response.body.count) bytes of unrecognised error body"
    }
}

/// Just enough XML for AWS query-protocol responses: the text of the first element with a given name.
/// The documents are small, flat and machine-written; a full parser would add nothing here.
enum XMLText {
    static func first(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)>") else { return nil }
        guard let close = text[open.upperBound..<text.endIndex].firstRange(of: "</\(name)>") else { return nil }
        return unescape(String(text[open.upperBound..<close.lowerBound]))
    }

    /// The first `<name>…</name>` block, for scoping later lookups (e.g. `Credentials`).
    static func element(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)>") else { return nil }
        guard let close = text[open.upperBound..<text.endIndex].firstRange(of: "</\(name)>") else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    static func unescape(_ value: String) -> String {
        var text = value.trimmingWhitespace()
        if text.hasPrefix("<![CDATA["), text.hasSuffix("]]>") { return String(text.dropFirst(9).dropLast(3)) }
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'")] {
            text = text.replacing(entity, with: character)
        }
        return text.replacing("&amp;", with: "&")
    }
}
