import CRDModels
import Foundation
import HTTPClient
import Testing

@testable import KubeClient

@Suite struct WatchTests {
    func client(_ transport: FakeTransport) -> KubeClient {
        KubeClient(config: KubeConfig(server: "http://api"), transport: transport)
    }

    @Test func eventsArriveAcrossChunkBoundaries() async throws {
        let lines = [
            #"{"type":"ADDED","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"a","namespace":"n","resourceVersion":"2"}}}"#,
            #"{"type":"BOOKMARK","object":{"kind":"Secret","apiVersion":"v1","metadata":{"resourceVersion":"3"}}}"#,
            #"{"type":"DELETED","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"a","namespace":"n","resourceVersion":"4"}}}"#,
        ].joined(separator: "\n") + "\n"
        let cut = lines.index(lines.startIndex, offsetBy: 57)
        let transport = FakeTransport(stream: { _ in
            HTTPStreamResponse(status: 200, headers: [], body: chunkedBody([String(lines[..<cut]), String(lines[cut...])]))
        })
        var seen: [String] = []
        for try await event in client(transport).watch(
            Secret.self, namespace: "n", options: WatchOptions(resourceVersion: "1", timeoutSeconds: 300))
        {
            seen.append("\(event.type):\(event.resourceVersion ?? "")")
        }
        #expect(seen == ["ADDED:2", "BOOKMARK:3", "DELETED:4"])
        #expect(
            transport.requests.first?.url
                == "http://api/api/v1/namespaces/n/secrets?watch=1&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=300")
    }

    @Test func errorEventEndsTheWatchAsGone() async throws {
        let transport = FakeTransport(stream: { _ in
            HTTPStreamResponse(status: 200, headers: [], body: chunkedBody([
                #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"# + "\n"
            ]))
        })
        await #expect {
            for try await _ in client(transport).watch(Namespace.self) {}
        } throws: { error in
            (error as? KubeAPIError)?.isGone == true
        }
    }

    @Test func http410OnTheWatchRequestIsGone() async throws {
        let transport = FakeTransport(stream: { _ in
            HTTPStreamResponse(status: 410, headers: [], body: chunkedBody([
                #"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Gone","code":410,"message":"gone"}"#
            ]))
        })
        await #expect {
            for try await _ in client(transport).watch(Namespace.self) {}
        } throws: { error in
            (error as? KubeAPIError)?.isGone == true && (error as? KubeAPIError)?.message == "gone"
        }
    }

    @Test func droppedConnectionMidEventIsATransportError() async throws {
        let transport = FakeTransport(stream: { _ in
            HTTPStreamResponse(status: 200, headers: [], body: chunkedBody([#"{"type":"ADDED","obj"#]))
        })
        await #expect {
            for try await _ in client(transport).watch(Namespace.self) {}
        } throws: { error in
            (error as? KubeAPIError)?.code == .transport
        }
        let failing = FakeTransport(stream: { _ in
            HTTPStreamResponse(
                status: 200, headers: [],
                body: chunkedBody([], failing: HTTPClientError(code: .transport, message: "reset")))
        })
        await #expect {
            for try await _ in client(failing).watch(Namespace.self) {}
        } throws: { error in
            (error as? KubeAPIError)?.code == .transport
        }
    }

    @Test func metadataWatchSendsTheMetadataAccept() async throws {
        let transport = FakeTransport(stream: { _ in
            HTTPStreamResponse(status: 200, headers: [], body: chunkedBody([
                #"{"type":"MODIFIED","object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"s","resourceVersion":"8"}}}"# + "\n"
            ]))
        })
        var names: [String?] = []
        for try await event in client(transport).watchMetadata(Secret.resource, options: WatchOptions(labelSelector: "a=b")) {
            if case .modified(let object) = event { names.append(object.metadata.name) }
        }
        #expect(names == ["s"])
        #expect(transport.requests.first?.header("Accept") == KubeClient.metadataWatchAccept)
        #expect(transport.requests.first?.url == "http://api/api/v1/secrets?watch=1&labelSelector=a%3Db&allowWatchBookmarks=true")
    }
}
