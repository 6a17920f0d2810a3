import CRDModels
import FoundationEssentials
import JSONDecoding

#if canImport(Glibc)
    import Glibc
#endif

/// `AdmissionReviewer.parse`'s fast path: the review read in one pass over its bytes, straight into the values the
/// webhook keeps, with nothing built for the members it skips (`userInfo`, `options`, the objects' other metadata).
/// The full reader (`AdmissionReviewer.parseFully`) first builds a table of every value in the document (`FlatJSON`),
/// then a decoder object, coding path and lookup per member: about 50,000 instructions for the recorded 1,240-byte
/// CREATE, the largest part of the webhook's CPU after TLS and the HTTP server. This reader takes about 29,000, most
/// of them for the strings and resources it builds (`hack/bench-webhook-instructions.sh`).
///
/// It reads only what is plainly valid: it gives up (nil) on anything else, and `parse` then asks the full reader,
/// which gives the answer and the error message for every document. So this reader never has to describe a problem,
/// and it only has to take a subset of what the full reader takes and read it the same way: a document is taken
/// when it is valid JSON in ASCII, nested at most `maxDepth` deep, without a trailing comma, with no escape in a name
/// or a value the webhook reads and no repeated member among them, and passes every check the full reader makes. The
/// tests compare both readers on the recorded reviews and thousands of broken ones, and so does the `admission` fuzz
/// target on every input.
package enum AdmissionFastPath {
    /// Deeper documents are left to the full reader (512): a review nests about 10 deep, `managedFields` included.
    static let maxDepth = 64

    /// The review as `AdmissionReviewer.parseFully` reads it, or nil when this reader does not take it.
    package static func parse(_ body: Data, for kind: WebhookKind) -> ParsedAdmission? {
        body.withUnsafeBytes { raw -> ParsedAdmission? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.baseAddress != nil else { return nil }
            var reader = Reader(bytes)
            return try? reader.review(kind)
        }
    }
}

/// The reason for giving up, which nobody reads (the full reader says what is wrong).
private struct Miss: Error {}

/// The bytes of a plain string value or name (no escape, printable ASCII), in place.
private struct Span {
    let start: UnsafePointer<UInt8>
    let count: Int

    @inline(__always)
    func equals(_ text: StaticString) -> Bool { UnsafeBufferPointer(start: start, count: count).equals(text) }

    /// (A string literal is a `String` unless asked for otherwise: this overload is only for values.)
    func equals(value text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.count == count && memcmp(start, $0.baseAddress!, count) == 0 }
    }

    var string: String { String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self) }
}

/// The two kinds as the fast path builds them: each kind's spec and resource made once, from the values read (reading
/// every spec as the cluster kind's and converting it copied the spec, retaining each of its strings).
private protocol AdmittedKind {
    associatedtype Spec
    static var isCluster: Bool { get }
    /// The kind's spec from the members read (`namespaces` and `namespaceSelector` are read for the cluster kind only).
    static func spec(
        secretName: String, awsAccess: AWSAccess, registries: [RegistrySpec]?, ecrPublic: Bool?,
        refreshInterval: GoDuration?, secretTemplate: SecretTemplate?, serviceAccounts: [String]?,
        namespaces: [String]?, namespaceSelector: LabelSelector?
    ) -> Spec
    init(metadata: ObjectMeta, spec: Spec, status: ImagePullSecretStatus?)
    var metadata: ObjectMeta { get }
}

extension AWSECRImagePullSecret: AdmittedKind {
    fileprivate static var isCluster: Bool { false }

    fileprivate static func spec(
        secretName: String, awsAccess: AWSAccess, registries: [RegistrySpec]?, ecrPublic: Bool?,
        refreshInterval: GoDuration?, secretTemplate: SecretTemplate?, serviceAccounts: [String]?,
        namespaces _: [String]?, namespaceSelector _: LabelSelector?
    ) -> AWSECRImagePullSecretSpec {
        AWSECRImagePullSecretSpec(
            secretName: secretName, awsAccess: awsAccess, registries: registries, ecrPublic: ecrPublic,
            refreshInterval: refreshInterval, secretTemplate: secretTemplate, serviceAccounts: serviceAccounts)
    }
}

extension ClusterAWSECRImagePullSecret: AdmittedKind {
    fileprivate static var isCluster: Bool { true }

    fileprivate static func spec(
        secretName: String, awsAccess: AWSAccess, registries: [RegistrySpec]?, ecrPublic: Bool?,
        refreshInterval: GoDuration?, secretTemplate: SecretTemplate?, serviceAccounts: [String]?,
        namespaces: [String]?, namespaceSelector: LabelSelector?
    ) -> ClusterAWSECRImagePullSecretSpec {
        ClusterAWSECRImagePullSecretSpec(
            secretName: secretName, awsAccess: awsAccess, registries: registries, ecrPublic: ecrPublic,
            refreshInterval: refreshInterval, secretTemplate: secretTemplate, serviceAccounts: serviceAccounts,
            namespaces: namespaces, namespaceSelector: namespaceSelector)
    }
}

private struct Reader {
    let text: UnsafeBufferPointer<UInt8>
    let bytes: UnsafePointer<UInt8>
    let count: Int
    var index = 0
    /// Containers open around `index`.
    var depth = 0
    /// Set when a container is opened: the next `nextMember`/`nextElement` reads its first entry.
    var atStart = false

    init(_ text: UnsafeBufferPointer<UInt8>) {
        self.text = text
        bytes = text.baseAddress!
        count = text.count
    }

    // MARK: The review

    mutating func review(_ kind: WebhookKind) throws(Miss) -> ParsedAdmission {
        var apiVersionMatches = false
        var kindMatches = false
        var request: ParsedAdmission?
        var seen = Seen()
        try beginObject()
        while let name = try nextMember() {
            if name.equals("apiVersion") {
                try seen.first(0)
                apiVersionMatches = try plainString().equals(value: AdmissionReview.apiVersionV1)
            } else if name.equals("kind") {
                try seen.first(1)
                kindMatches = try plainString().equals("AdmissionReview")
            } else if name.equals("request") {
                try seen.first(2)
                request =
                    switch kind {
                    case .namespaced:
                        try isNull() ? nil : self.request(AWSECRImagePullSecret.self) { .namespaced(new: $0, old: $1) }
                    case .cluster:
                        try isNull()
                            ? nil : self.request(ClusterAWSECRImagePullSecret.self) { .cluster(new: $0, old: $1) }
                    }
            } else {
                try skipValue()
            }
        }
        skipWhitespace()
        guard index == count, apiVersionMatches, kindMatches, let request else { throw Miss() }
        return request
    }

    /// The request, its objects read as `Kind` and made into `objects`.
    private mutating func request<Kind: AdmittedKind>(
        _: Kind.Type, _ objects: (consuming Kind?, consuming Kind?) -> ParsedAdmission.Objects
    ) throws(Miss) -> ParsedAdmission {
        let kind: WebhookKind = Kind.isCluster ? .cluster : .namespaced
        var uid: String?
        var kindMatches = false
        var name: String?
        var namespace: String?
        var operation: String?
        var new: Kind?
        var old: Kind?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("uid") {
                try seen.first(0)
                uid = try string()
            } else if member.equals("kind") {
                try seen.first(1)
                kindMatches = try requestKind(kind.descriptor)
            } else if member.equals("name") {
                try seen.first(2)
                name = try optionalString()
            } else if member.equals("namespace") {
                try seen.first(3)
                namespace = try optionalString()
            } else if member.equals("operation") {
                try seen.first(4)
                operation = try string()
            } else if member.equals("object") {
                try seen.first(5)
                new = try isNull() ? nil : object(Kind.self)
            } else if member.equals("oldObject") {
                try seen.first(6)
                old = try isNull() ? nil : object(Kind.self)
            } else {
                try skipValue()
            }
        }
        guard let uid, kindMatches, let operation else { throw Miss() }
        // The full reader's checks of the objects an operation needs (it names what is missing).
        if operation == "CREATE" || operation == "UPDATE" {
            guard new != nil, operation == "CREATE" || old != nil else { throw Miss() }
        }
        // The request's name, else the object's: `object`'s when there is one (even without a name), else `oldObject`'s.
        let objectName = new != nil ? new?.metadata.name : old?.metadata.name  // (`if let` would copy the resource)
        return ParsedAdmission(
            uid: uid, operation: operation, kind: kind, name: name ?? objectName, namespace: namespace,
            objects: objects(new.take(), old.take()))
    }

    /// Whether `request.kind` names `expected`'s group, version and kind.
    private mutating func requestKind(_ expected: ResourceDescriptor) throws(Miss) -> Bool {
        var (group, version, kind) = (false, false, false)
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("group") {
                try seen.first(0)
                group = try plainString().equals(value: expected.group)
            } else if member.equals("version") {
                try seen.first(1)
                version = try plainString().equals(value: expected.version)
            } else if member.equals("kind") {
                try seen.first(2)
                kind = try plainString().equals(value: expected.kind)
            } else {
                try skipValue()
            }
        }
        return group && version && kind
    }

    /// `apiVersion` and `kind` (required strings, not compared: the full reader does not either), `metadata`'s name
    /// and namespace, and the spec; the cluster kind's own spec members only for that kind (the namespaced kind's
    /// reader skips them).
    private mutating func object<Kind: AdmittedKind>(_: Kind.Type) throws(Miss) -> Kind {
        var hasAPIVersion = false
        var hasKind = false
        var metadata: (name: String?, namespace: String?)?
        var spec: Kind.Spec?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("apiVersion") {
                try seen.first(0)
                _ = try plainString()
                hasAPIVersion = true
            } else if member.equals("kind") {
                try seen.first(1)
                _ = try plainString()
                hasKind = true
            } else if member.equals("metadata") {
                try seen.first(2)
                metadata = try self.metadata()
            } else if member.equals("spec") {
                try seen.first(3)
                spec = try self.spec(Kind.self)
            } else {
                try skipValue()
            }
        }
        guard hasAPIVersion, hasKind, let metadata, spec != nil else { throw Miss() }
        return Kind(
            metadata: ObjectMeta(name: metadata.name, namespace: metadata.namespace), spec: spec.take()!, status: nil)
    }

    private mutating func metadata() throws(Miss) -> (name: String?, namespace: String?) {
        var name: String?
        var namespace: String?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("name") {
                try seen.first(0)
                name = try optionalString()
            } else if member.equals("namespace") {
                try seen.first(1)
                namespace = try optionalString()
            } else {
                try skipValue()
            }
        }
        return (name, namespace)
    }

    /// The spec's members as `FlatJSONValueDecoder.namespacedSpec` and `clusterSpec` read them.
    private mutating func spec<Kind: AdmittedKind>(_: Kind.Type) throws(Miss) -> Kind.Spec {
        var secretName: String?
        var awsAccess: AWSAccess?
        var registries: [RegistrySpec]?
        var ecrPublic: Bool?
        var refreshInterval: GoDuration?
        var secretTemplate: SecretTemplate?
        var serviceAccounts: [String]?
        var namespaces: [String]?
        var namespaceSelector: LabelSelector?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("secretName") {
                try seen.first(0)
                secretName = try string()
            } else if member.equals("awsAccess") {
                try seen.first(1)
                awsAccess = try self.awsAccess()
            } else if member.equals("registries") {
                try seen.first(2)
                registries = try isNull() ? nil : self.registries()
            } else if member.equals("ecrPublic") {
                try seen.first(3)
                ecrPublic = try isNull() ? nil : bool()
            } else if member.equals("refreshInterval") {
                try seen.first(4)
                refreshInterval = try optionalString().map { GoDuration($0) }
            } else if member.equals("secretTemplate") {
                try seen.first(5)
                secretTemplate = try isNull() ? nil : self.secretTemplate()
            } else if member.equals("serviceAccounts") {
                try seen.first(6)
                serviceAccounts = try optionalStringList()
            } else if Kind.isCluster, member.equals("namespaces") {
                try seen.first(7)
                namespaces = try optionalStringList()
            } else if Kind.isCluster, member.equals("namespaceSelector") {
                try seen.first(8)
                namespaceSelector = try isNull() ? nil : labelSelector()
            } else {
                try skipValue()
            }
        }
        guard let secretName, let awsAccess else { throw Miss() }
        return Kind.spec(
            secretName: secretName, awsAccess: awsAccess, registries: registries, ecrPublic: ecrPublic,
            refreshInterval: refreshInterval, secretTemplate: secretTemplate, serviceAccounts: serviceAccounts,
            namespaces: namespaces, namespaceSelector: namespaceSelector)
    }

    private mutating func awsAccess() throws(Miss) -> AWSAccess {
        var region: String?
        var secretRef: CredentialsSecretRef?
        var accessKeyId: String?
        var secretAccessKey: String?
        var roleARN: String?
        var externalID: String?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("region") {
                try seen.first(0)
                region = try string()
            } else if member.equals("secretRef") {
                try seen.first(1)
                secretRef = try isNull() ? nil : self.secretRef()
            } else if member.equals("accessKeyId") {
                try seen.first(2)
                accessKeyId = try optionalString()
            } else if member.equals("secretAccessKey") {
                try seen.first(3)
                secretAccessKey = try optionalString()
            } else if member.equals("roleARN") {
                try seen.first(4)
                roleARN = try optionalString()
            } else if member.equals("externalID") {
                try seen.first(5)
                externalID = try optionalString()
            } else {
                try skipValue()
            }
        }
        guard let region else { throw Miss() }
        return AWSAccess(
            region: region, secretRef: secretRef, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey,
            roleARN: roleARN, externalID: externalID)
    }

    private mutating func secretRef() throws(Miss) -> CredentialsSecretRef {
        var name: String?
        var namespace: String?
        var accessKeyIdKey: String?
        var secretAccessKeyKey: String?
        var sessionTokenKey: String?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("name") {
                try seen.first(0)
                name = try string()
            } else if member.equals("namespace") {
                try seen.first(1)
                namespace = try optionalString()
            } else if member.equals("accessKeyIdKey") {
                try seen.first(2)
                accessKeyIdKey = try optionalString()
            } else if member.equals("secretAccessKeyKey") {
                try seen.first(3)
                secretAccessKeyKey = try optionalString()
            } else if member.equals("sessionTokenKey") {
                try seen.first(4)
                sessionTokenKey = try optionalString()
            } else {
                try skipValue()
            }
        }
        guard let name else { throw Miss() }
        return CredentialsSecretRef(
            name: name, namespace: namespace, accessKeyIdKey: accessKeyIdKey, secretAccessKeyKey: secretAccessKeyKey,
            sessionTokenKey: sessionTokenKey)
    }

    private mutating func registries() throws(Miss) -> [RegistrySpec] {
        var registries: [RegistrySpec] = []
        try beginArray()
        while try nextElement() {
            var accountID: String?
            var region: String?
            var seen = Seen()
            try beginObject()
            while let member = try nextMember() {
                if member.equals("accountID") {
                    try seen.first(0)
                    accountID = try string()
                } else if member.equals("region") {
                    try seen.first(1)
                    region = try optionalString()
                } else {
                    try skipValue()
                }
            }
            guard let accountID else { throw Miss() }
            registries.append(RegistrySpec(accountID: accountID, region: region))
        }
        return registries
    }

    private mutating func secretTemplate() throws(Miss) -> SecretTemplate {
        var labels: [String: String]?
        var annotations: [String: String]?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("labels") {
                try seen.first(0)
                labels = try isNull() ? nil : stringMap()
            } else if member.equals("annotations") {
                try seen.first(1)
                annotations = try isNull() ? nil : stringMap()
            } else {
                try skipValue()
            }
        }
        return SecretTemplate(labels: labels, annotations: annotations)
    }

    private mutating func labelSelector() throws(Miss) -> LabelSelector {
        var matchLabels: [String: String]?
        var matchExpressions: [LabelSelectorRequirement]?
        var seen = Seen()
        try beginObject()
        while let member = try nextMember() {
            if member.equals("matchLabels") {
                try seen.first(0)
                matchLabels = try isNull() ? nil : stringMap()
            } else if member.equals("matchExpressions") {
                try seen.first(1)
                matchExpressions = try isNull() ? nil : requirements()
            } else {
                try skipValue()
            }
        }
        return LabelSelector(matchLabels: matchLabels, matchExpressions: matchExpressions)
    }

    private mutating func requirements() throws(Miss) -> [LabelSelectorRequirement] {
        var requirements: [LabelSelectorRequirement] = []
        try beginArray()
        while try nextElement() {
            var key: String?
            var `operator`: String?
            var values: [String]?
            var seen = Seen()
            try beginObject()
            while let member = try nextMember() {
                if member.equals("key") {
                    try seen.first(0)
                    key = try string()
                } else if member.equals("operator") {
                    try seen.first(1)
                    `operator` = try string()
                } else if member.equals("values") {
                    try seen.first(2)
                    values = try optionalStringList()
                } else {
                    try skipValue()
                }
            }
            guard let key, let `operator` else { throw Miss() }
            requirements.append(LabelSelectorRequirement(key: key, operator: `operator`, values: values))
        }
        return requirements
    }

    /// The members read of one object, each at most once (a repeated one is left to the full reader).
    private struct Seen {
        private var bits: UInt32 = 0

        mutating func first(_ bit: Int) throws(Miss) {
            guard bits & 1 << bit == 0 else { throw Miss() }
            bits |= 1 << bit
        }
    }

    // MARK: Values read

    private mutating func string() throws(Miss) -> String { try plainString().string }

    /// A string, or nil for null (absent members stay nil in the callers).
    private mutating func optionalString() throws(Miss) -> String? { try isNull() ? nil : string() }

    private mutating func optionalStringList() throws(Miss) -> [String]? {
        if isNull() { return nil }
        var list: [String] = []
        try beginArray()
        while try nextElement() { list.append(try string()) }
        return list
    }

    private mutating func stringMap() throws(Miss) -> [String: String] {
        var map: [String: String] = [:]
        try beginObject()
        while let name = try nextMember() {
            guard map.updateValue(try string(), forKey: name.string) == nil else { throw Miss() }
        }
        return map
    }

    private mutating func bool() throws(Miss) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw Miss()
    }

    /// Consumes `null` if it comes next.
    private mutating func isNull() -> Bool { literal("null") }

    /// A string without escapes or bytes outside printable ASCII (`"` and `\` aside), in place.
    private mutating func plainString() throws(Miss) -> Span {
        skipWhitespace()
        guard index < count, bytes[index] == UInt8(ascii: "\"") else { throw Miss() }
        let start = index + 1
        var end = start
        while true {
            end = JSONBytes.plainASCIIPrefix(text, from: end)  // then byte by byte within the last seven
            guard end < count else { throw Miss() }
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                index = end + 1
                return Span(start: bytes + start, count: end - start)
            }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { throw Miss() }
            end += 1
        }
    }

    // MARK: Containers

    @inline(__always)
    private mutating func beginObject() throws(Miss) { try open(UInt8(ascii: "{")) }

    @inline(__always)
    private mutating func beginArray() throws(Miss) { try open(UInt8(ascii: "[")) }

    @inline(__always)
    private mutating func open(_ bracket: UInt8) throws(Miss) {
        skipWhitespace()
        guard index < count, bytes[index] == bracket, depth < AdmissionFastPath.maxDepth else { throw Miss() }
        index += 1
        depth += 1
        atStart = true
    }

    /// The next member's name (a plain string) with its `:` consumed, or nil at the object's end.
    private mutating func nextMember() throws(Miss) -> Span? {
        guard try next(closing: UInt8(ascii: "}")) else { return nil }
        let name = try plainString()
        try expect(UInt8(ascii: ":"))
        return name
    }

    /// Whether another element follows (its value is the caller's to read), false at the array's end.
    @inline(__always)
    private mutating func nextElement() throws(Miss) -> Bool { try next(closing: UInt8(ascii: "]")) }

    /// Past the `,` before the next entry (true), or past `closing` (false).
    @inline(__always)
    private mutating func next(closing: UInt8) throws(Miss) -> Bool {
        skipWhitespace()
        guard index < count else { throw Miss() }
        let byte = bytes[index]
        if byte == closing {
            index += 1
            depth -= 1
            atStart = false
            return false
        }
        if atStart {
            atStart = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw Miss() }
            index += 1
        }
        return true
    }

    // MARK: Values skipped, validated

    /// Any JSON value, checked as the full reader's scan checks it, without keeping anything.
    private mutating func skipValue() throws(Miss) {
        skipWhitespace()
        guard index < count else { throw Miss() }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try beginObject()
            while try next(closing: UInt8(ascii: "}")) {
                try skipString()
                try expect(UInt8(ascii: ":"))
                try skipValue()
            }
        case UInt8(ascii: "["):
            try beginArray()
            while try nextElement() { try skipValue() }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            guard literal("true") || literal("false") || literal("null") else { throw Miss() }
        }
    }

    /// A string, escapes checked (as the full reader's scan checks them), ASCII only.
    private mutating func skipString() throws(Miss) {
        skipWhitespace()
        guard index < count, bytes[index] == UInt8(ascii: "\"") else { throw Miss() }
        var at = index + 1
        while true {
            at = JSONBytes.plainASCIIPrefix(text, from: at)  // then byte by byte within the last seven
            guard at < count else { throw Miss() }
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                index = at + 1
                return
            }
            guard byte >= 0x20, byte < 0x80 else { throw Miss() }
            guard byte == UInt8(ascii: "\\") else {
                at += 1
                continue
            }
            guard at + 1 < count else { throw Miss() }
            switch bytes[at + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                at += 2
            case UInt8(ascii: "u"):
                guard at + 5 < count, (at + 2...at + 5).allSatisfy({ Self.isHexDigit(bytes[$0]) }) else { throw Miss() }
                at += 6
            default:
                throw Miss()
            }
        }
    }

    /// RFC 8259's number: `-`, then `0` or digits not starting with `0`, then an optional fraction and exponent.
    private mutating func skipNumber() throws(Miss) {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < count, bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard skipDigits() else { throw Miss() }
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() else { throw Miss() }
        }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() else { throw Miss() }
        }
    }

    /// Whether at least one digit was skipped.
    private mutating func skipDigits() -> Bool {
        let start = index
        while index < count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default:
            false
        }
    }

    // MARK: Bytes

    /// Consumes `text` if it comes next (after whitespace).
    @inline(__always)
    private mutating func literal(_ text: StaticString) -> Bool {
        skipWhitespace()
        guard self.text.hasText(text, at: index) else { return false }
        index += text.utf8CodeUnitCount
        return true
    }

    @inline(__always)
    private mutating func expect(_ byte: UInt8) throws(Miss) {
        skipWhitespace()
        guard index < count, bytes[index] == byte else { throw Miss() }
        index += 1
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }
}
