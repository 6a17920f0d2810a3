import CRDModels
import Foundation
import Testing

@testable import KubeClient

@Suite struct ModelTests {
    @Test func secretEncodesDataAsBase64AndOmitsNils() throws {
        let secret = Secret(
            metadata: ObjectMeta(name: "s", namespace: "ns"), data: [".dockerconfigjson": Data("{}".utf8)],
            type: "kubernetes.io/dockerconfigjson")
        let json = try JSONValue.parse(JSONEncoder().encode(secret))
        #expect(json["data"]?[".dockerconfigjson"] == .string("e30="))
        #expect(json["apiVersion"] == .string("v1"))
        #expect(json["kind"] == .string("Secret"))
        #expect(json["immutable"] == nil)
        #expect(json["stringData"] == nil)
        #expect(json["metadata"]?["labels"] == nil)
        let back = try JSONDecoder().decode(Secret.self, from: JSONEncoder().encode(secret))
        #expect(back == secret)
    }

    @Test func listItemsWithoutTypeMetaGetTheDescriptorValues() throws {
        let body = """
            {"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"abc"},
             "items":[{"metadata":{"name":"a","namespace":"n"},"data":{"k":"dg=="}}]}
            """
        let list = try JSONDecoder().decode(ObjectList<Secret>.self, from: Data(body.utf8))
        #expect(list.metadata.resourceVersion == "42")
        #expect(list.metadata.continue == "abc")
        #expect(list.items.count == 1)
        #expect(list.items[0].kind == "Secret")
        #expect(list.items[0].apiVersion == "v1")
        #expect(list.items[0].data?["k"] == Data("v".utf8))
    }

    /// kube-apiserver answers an empty metadata-only list with `"items": null` (corpus: list-secrets).
    @Test func emptyListsWithNullItemsDecode() throws {
        let body = #"{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},"items":null}"#
        let client = KubeClient(config: KubeConfig(server: "http://x"), transport: FakeTransport())
        let list = try client.decodeList(PartialObjectMetadata.self, from: Data(body.utf8), request: "GET /x")
        #expect(list.items.isEmpty)
        #expect(list.metadata.resourceVersion == "7")
    }

    @Test func decodingErrorsInListItemsKeepTheirPath() throws {
        let body = #"{"metadata":{},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":7}}]}"#
        let client = KubeClient(config: KubeConfig(server: "http://x"), transport: FakeTransport())
        #expect {
            try client.decode(ObjectList<Secret>.self, from: Data(body.utf8), request: "GET /x")
        } throws: { error in
            let error = error as! KubeAPIError
            return error.code == .decoding && error.message.contains("items[1].metadata.name")
        }
        #expect {
            try client.decodeList(Secret.self, from: Data(body.utf8), request: "GET /x")
        } throws: { error in
            let error = error as! KubeAPIError
            return error.code == .decoding && error.message.contains("items[1].metadata.name")
        }
        let good = #"{"metadata":{},"items":[{"metadata":{"name":"a"},"data":{"k":"dg=="}}]}"#
        let list = try client.decodeList(Secret.self, from: Data(good.utf8), request: "GET /x")
        #expect(list.items.first?.kind == "Secret")
        #expect(list.items.first?.data?["k"] == Data("v".utf8))
    }

    @Test func watchEventsDecodeEveryType() throws {
        let decoder = JSONDecoder()
        func event(_ line: String) throws -> WatchEvent<Namespace> {
            try decoder.decode(WatchEvent<Namespace>.self, from: Data(line.utf8))
        }
        let added = try event(
            #"{"type":"ADDED","object":{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"5"},"status":{"phase":"Active"}}}"#
        )
        guard case .added(let namespace) = added else { Issue.record("not added"); return }
        #expect(namespace.status?.phase == "Active")
        #expect(added.resourceVersion == "5")
        let bookmark = try event(#"{"type":"BOOKMARK","object":{"kind":"Namespace","apiVersion":"v1","metadata":{"resourceVersion":"9"}}}"#)
        #expect(bookmark.resourceVersion == "9")
        let failure = try event(
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#
        )
        guard case .error(let status) = failure else { Issue.record("not error"); return }
        #expect(status.code == 410)
        #expect(status.reason == "Expired")
        #expect(throws: DecodingError.self) { try event(#"{"type":"SURPRISE","object":{}}"#) }
        // Round trip of a bookmark through the encoder.
        let encoded = try JSONEncoder().encode(WatchEvent<Namespace>.bookmark(resourceVersion: "12"))
        #expect(try decoder.decode(WatchEvent<Namespace>.self, from: encoded).resourceVersion == "12")
    }

    @Test func statusCausesReadTheReasonKeyAndTheTypeKey() throws {
        let body = """
            {"kind":"Status","code":422,"reason":"Invalid","details":{"causes":[
              {"reason":"FieldValueRequired","message":"Required value","field":"spec.secretName"},
              {"type":"FieldValueInvalid","field":"spec.region"}]}}
            """
        let status = try JSONDecoder().decode(Status.self, from: Data(body.utf8))
        #expect(status.details?.causes?.map(\.type) == ["FieldValueRequired", "FieldValueInvalid"])
        #expect(status.details?.causes?.first?.field == "spec.secretName")
        let encoded = try JSONValue.parse(JSONEncoder().encode(status.details!.causes![0]))
        #expect(encoded["reason"] == .string("FieldValueRequired"))
    }

    @Test func leaseAndEventUseTheirGroups() throws {
        #expect(Lease.resource.path(namespace: "kube-system", name: "op")
            == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/op")
        #expect(Event.resource.path(namespace: "default") == "/api/v1/namespaces/default/events")
        #expect(Namespace.resource.path(namespace: "ignored", name: "a") == "/api/v1/namespaces/a")
        #expect(Secret.resource.path(namespace: nil) == "/api/v1/secrets")
        #expect(Secret.resource.path(namespace: "n", name: "s", subresource: "status")
            == "/api/v1/namespaces/n/secrets/s/status")
        let lease = Lease(
            metadata: ObjectMeta(name: "l"),
            spec: LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 15, renewTime: "2026-11-22T10:00:00.123456Z"))
        let json = try JSONValue.parse(JSONEncoder().encode(lease))
        #expect(json["apiVersion"] == .string("coordination.k8s.io/v1"))
        #expect(json["spec"]?["renewTime"] == .string("2026-11-22T10:00:00.123456Z"))
        #expect(json["spec"]?["acquireTime"] == nil)
    }
}
