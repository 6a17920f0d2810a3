import Foundation
import Testing

@testable import CRDModels

@Suite("DockerConfigJSON")
struct DockerConfigJSONTests {
    @Test func encodesCanonicalBytes() throws {
        var config = DockerConfigJSON()
        config.set(host: "123456789012.dkr.ecr.us-west-2.amazonaws.com", username: "AWS", password: "pw/1")
        config.set(host: "public.ecr.aws", username: "AWS", password: "pub")
        let text = String(decoding: try config.encoded(), as: UTF8.self)
        // base64("AWS:pw/1") = QVdTOnB3LzE=, base64("AWS:pub") = QVdTOnB1Yg==
        #expect(
            text == #"{"auths":{"123456789012.dkr.ecr.us-west-2.amazonaws.com":"#
                + #"{"auth":"QVdTOnB3LzE=","password":"pw/1","username":"AWS"},"#
                + #""public.ecr.aws":{"auth":"QVdTOnB1Yg==","password":"pub","username":"AWS"}}}"#)
        #expect(try DockerConfigJSON.decode(config.encoded()) == config)
        #expect(try config.encoded() == config.encoded())
    }

    @Test func buildsEntryFromECRToken() throws {
        let token = Data("AWS:secret-password:with-colon".utf8).base64EncodedString()
        let entry = try DockerConfigJSON.entry(fromECRAuthorizationToken: token)
        #expect(entry.username == "AWS")
        #expect(entry.password == "secret-password:with-colon")
        #expect(entry.auth == token)
    }

    @Test func malformedTokenErrorDoesNotEchoIt() {
        do {
            _ = try DockerConfigJSON.entry(fromECRAuthorizationToken: "bm8tY29sb24tc2VjcmV0")  // "no-colon-secret"
            Issue.record("expected an error")
        } catch let error as DockerConfigJSONError {
            #expect(error.code == "MalformedAuthorizationToken")
            #expect(!error.description.contains("bm8tY29sb24tc2VjcmV0"))
            #expect(!error.description.contains("no-colon-secret"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
