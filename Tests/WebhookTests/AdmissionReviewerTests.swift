import CRDModels
import Foundation
import Testing
@testable import Webhook

/// The admission decision as a pure function: every rule, allowed and denied, with no server.
struct AdmissionReviewerTests {
    struct LookupFailure: Error, CustomStringConvertible {
        var description: String { "connection refused" }
    }

    @Test(arguments: AdmissionCases.all)
    func rule(_ testCase: AdmissionCase) throws {
        let uid = "uid-\(UUID().uuidString)"
        let parsed = try AdmissionReviewer.parse(testCase.body(uid: uid), for: testCase.kind)
        let response = AdmissionReviewer.decide(
            parsed, ambientPolicy: testCase.policy, existingClaims: .success(testCase.existing))
        try Self.check(response, testCase, uid: uid)
    }

    static func check(_ response: AdmissionResponse, _ testCase: AdmissionCase, uid: String) throws {
        #expect(response.uid == uid)
        #expect(response.allowed == testCase.allowed, "\(response.status?.message ?? "allowed")")
        if testCase.allowed {
            #expect(response.status == nil)
        } else {
            let status = try #require(response.status)
            #expect(status.code == 403)
            for fragment in testCase.messageContains {
                #expect(status.message.contains(fragment), "\(status.message) lacks \(fragment)")
            }
        }
        for fragment in testCase.warningContains {
            #expect(response.warnings?.contains { $0.contains(fragment) } == true, "\(response.warnings ?? [])")
        }
        for warning in response.warnings ?? [] {
            #expect(warning.count <= 120)
            #expect(!warning.contains("AKIA") && !warning.contains("wJalr"), "a warning echoes a key")
        }
        let message = response.status?.message ?? ""
        #expect(!message.contains("wJalr"), "the message echoes a key")
    }

    @Test func denialNamesEveryFailingField() throws {
        let object = Reviews.namespaced(
            secretName: "Bad_Name", awsAccess: ["region": "", "secretRef": ["name": "c", "namespace": "other"]])
        let parsed = try AdmissionReviewer.parse(Reviews.body(kind: .namespaced, object: object), for: .namespaced)
        let response = AdmissionReviewer.decide(parsed, ambientPolicy: .clusterOnly, existingClaims: .success([]))
        let message = try #require(response.status?.message)
        #expect(message.hasPrefix("AWSECRImagePullSecret team-a/team-registry is invalid: "))
        for field in ["spec.secretName", "spec.awsAccess.region", "spec.awsAccess.secretRef.namespace"] {
            #expect(message.contains(field + ":"), "\(message)")
        }
    }

    /// An object without a namespace is checked as in the request's: a `secretRef` into the request's namespace is
    /// its own, any other is denied.
    @Test func theRequestsNamespaceStandsInForTheObjects() throws {
        func decision(secretRefNamespace: String) throws -> AdmissionResponse {
            let object = Reviews.namespaced(
                namespace: "team-a",
                awsAccess: ["region": "us-west-2", "secretRef": ["name": "c", "namespace": secretRefNamespace]])
            var review = try #require(
                JSONSerialization.jsonObject(with: Reviews.body(kind: .namespaced, object: object)) as? [String: Any])
            var request = try #require(review["request"] as? [String: Any])
            var sent = try #require(request["object"] as? [String: Any])
            var metadata = try #require(sent["metadata"] as? [String: Any])
            metadata["namespace"] = nil
            sent["metadata"] = metadata
            request["object"] = sent
            review["request"] = request
            let parsed = try AdmissionReviewer.parse(JSONSerialization.data(withJSONObject: review), for: .namespaced)
            #expect(parsed.namespace == "team-a")
            return AdmissionReviewer.decide(parsed, ambientPolicy: .clusterOnly, existingClaims: .success([]))
        }
        #expect(try decision(secretRefNamespace: "team-a").allowed)
        let denied = try decision(secretRefNamespace: "team-b")
        #expect(!denied.allowed)
        #expect(denied.status?.message.contains("spec.awsAccess.secretRef.namespace:") == true)
    }

    @Test func failedLookupDeniesAndSaysWhy() throws {
        let parsed = try AdmissionReviewer.parse(
            Reviews.body(kind: .namespaced, object: Reviews.namespaced()), for: .namespaced)
        let response = AdmissionReviewer.decide(
            parsed, ambientPolicy: .clusterOnly, existingClaims: .failure(LookupFailure()))
        #expect(!response.allowed)
        let message = try #require(response.status?.message)
        #expect(message.contains("cannot check whether another resource manages Secret \"ecr-login\""))
        #expect(message.contains("connection refused"))
    }

    @Test func claimsSkipDeleteAndCoverClusterNamespaces() throws {
        let create = try AdmissionReviewer.parse(
            Reviews.body(kind: .cluster, object: Reviews.cluster(namespaces: ["b", "a", "b"])), for: .cluster)
        #expect(create.claim?.targetNamespaces == ["a", "b"])
        #expect(create.claim?.namespace == nil)
        let delete = try AdmissionReviewer.parse(
            Reviews.body(kind: .namespaced, operation: "DELETE", object: nil, old: Reviews.namespaced()),
            for: .namespaced)
        #expect(delete.claim == nil)
    }

    @Test func unreviewableBodiesAreRejectedWithACode() {
        func code(_ body: Data, _ kind: WebhookKind = .namespaced) -> AdmissionRequestError.Code? {
            do {
                _ = try AdmissionReviewer.parse(body, for: kind)
                return nil
            } catch {
                return error.code
            }
        }
        let valid = Reviews.namespaced()
        #expect(code(Data("{not json".utf8)) == .malformedBody)
        #expect(code(Data("[]".utf8)) == .malformedBody)
        #expect(code(Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.utf8)) == .missingRequest)
        #expect(code(Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":null}"#.utf8)) == .wrongKind)
        #expect(code(Reviews.body(kind: .namespaced, object: valid, reviewVersion: "admission.k8s.io/v1beta1"))
            == .unknownVersion)
        #expect(code(Reviews.body(kind: .namespaced, object: valid, version: "v1beta9")) == .unknownVersion)
        // A cluster review sent to the namespaced endpoint.
        #expect(code(Reviews.body(kind: .cluster, object: Reviews.cluster()), .namespaced) == .wrongKind)
        #expect(code(Reviews.body(kind: .namespaced, object: nil)) == .missingObject)
        #expect(code(Reviews.body(kind: .namespaced, operation: "UPDATE", object: valid)) == .missingObject)
        #expect(code(Reviews.body(kind: .namespaced, object: ["spec": ["secretName": 42]])) == .undecodableObject)
        #expect(code(Reviews.body(kind: .namespaced, object: valid)) == nil)
    }

    @Test func undecodableObjectNamesTheFieldInsideIt() {
        let body = Reviews.body(kind: .namespaced, object: Reviews.namespaced(extraSpec: ["secretName": 42]))
        #expect(throws: AdmissionRequestError(
            code: .undecodableObject,
            message: "request.object is not a valid AWSECRImagePullSecret: spec.secretName: expected String")
        ) {
            try AdmissionReviewer.parse(body, for: .namespaced)
        }
        let old = Reviews.body(
            kind: .cluster, operation: "UPDATE", object: Reviews.cluster(),
            old: Reviews.cluster(extraSpec: ["namespaces": "a"]))
        #expect(throws: AdmissionRequestError(
            code: .undecodableObject,
            message: "request.oldObject is not a valid ClusterAWSECRImagePullSecret: "
                + "spec.namespaces: expected Array<Any>")
        ) {
            try AdmissionReviewer.parse(old, for: .cluster)
        }
    }

    /// The request's name, else the new object's, else the old one's (a DELETE carries only the old object).
    @Test func nameComesFromTheRequestElseTheObject() throws {
        func parsedName(_ body: Data, droppingRequestName: Bool) throws -> String? {
            var review = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            var request = try #require(review["request"] as? [String: Any])
            if droppingRequestName { request["name"] = nil }
            review["request"] = request
            let edited = try JSONSerialization.data(withJSONObject: review)
            return try AdmissionReviewer.parse(edited, for: .namespaced).name
        }
        let create = Reviews.body(kind: .namespaced, object: Reviews.namespaced(name: "new"))
        #expect(try parsedName(create, droppingRequestName: false) == "new")
        #expect(try parsedName(create, droppingRequestName: true) == "new")
        let update = Reviews.body(
            kind: .namespaced, operation: "UPDATE", object: Reviews.namespaced(name: "new"),
            old: Reviews.namespaced(name: "old"))
        #expect(try parsedName(update, droppingRequestName: true) == "new")
        let delete = Reviews.body(
            kind: .namespaced, operation: "DELETE", object: nil, old: Reviews.namespaced(name: "old"))
        #expect(try parsedName(delete, droppingRequestName: true) == "old")
        var unnamed = Reviews.namespaced()
        unnamed["metadata"] = ["namespace": "team-a"]
        let noName = Reviews.body(
            kind: .namespaced, operation: "UPDATE", object: unnamed, old: Reviews.namespaced(name: "old"))
        #expect(try parsedName(noName, droppingRequestName: true) == nil)
        #expect(throws: AdmissionRequestError(code: .missingObject, message: "UPDATE request has no oldObject")) {
            try AdmissionReviewer.parse(
                Reviews.body(kind: .namespaced, operation: "UPDATE", object: Reviews.namespaced()), for: .namespaced)
        }
    }

    /// The response is written without JSONEncoder; it must be byte for byte what JSONEncoder wrote.
    @Test(arguments: [
        AdmissionResponse.allow("uid-1"),
        AdmissionResponse.allow("uid-2", warnings: ["first", "second \"quoted\" and a/slash"]),
        AdmissionResponse.deny(
            "uid-3", message: "spec.secretName: \"Bad_Name\" é ✓ \\ back\nline\ttab\r\u{08}\u{0C}\u{01}\u{1F}\u{7F}",
            warnings: ["w"]),
        AdmissionResponse(uid: "", allowed: false, status: AdmissionStatus(code: 500, message: "")),
        // Escapes first, last and back to back, around runs copied at once.
        AdmissionResponse(
            uid: "\"", allowed: false, status: AdmissionStatus(code: 403, message: "\n\\\"x\u{0}\u{1}y\"\"")),
    ])
    func encodedResponseMatchesJSONEncoder(_ response: AdmissionResponse) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = try encoder.encode(AdmissionReview(response: response))
        let encoded = AdmissionReview.encoded(response: response)
        #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(try JSONDecoder().decode(AdmissionReview.self, from: Data(encoded)).response == response)
    }

    @Test func longWarningsAreShortenedAndDeduplicated() {
        let long = String(repeating: "w", count: 300)
        let short = AdmissionReviewer.shortWarnings([long, long, "ok"])
        #expect(short.count == 2)
        #expect(short[0].count == 120)
        #expect(short[1] == "ok")
    }

    @Test func claimConflictsAreFoundByNamespaceOverlap() {
        let mine = SecretClaim(
            kind: "ClusterAWSECRImagePullSecret", name: "mine", namespace: nil, secretName: "s",
            targetNamespaces: ["a", "b", "c"])
        let others = [
            SecretClaim(kind: "ClusterAWSECRImagePullSecret", name: "x", namespace: nil, secretName: "s",
                        targetNamespaces: ["c", "b", "z"]),
            SecretClaim(kind: "ClusterAWSECRImagePullSecret", name: "y", namespace: nil, secretName: "other",
                        targetNamespaces: ["a"]),
            mine,
        ]
        let conflicts = SecretClaimConflict.find(for: mine, among: others)
        #expect(conflicts.map(\.other.name) == ["x"])
        #expect(conflicts.first?.namespaces == ["b", "c"])
    }
}
