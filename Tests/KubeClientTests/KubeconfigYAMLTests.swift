import CRDModels
import Foundation
import Testing
import Yams

@testable import KubeClient

/// The kubeconfig YAML reader over the shapes real tools write, and the errors for what it does not read.
/// (`Fuzz/Corpus/kubeconfig` holds hand-written shapes too; `FuzzRegressionTests` replays them.)
@Suite struct KubeconfigYAMLTests {
    func parse(_ text: String) throws -> JSONValue { try KubeconfigYAML.parse(text) }

    @Test func kindKubeconfigAsKubectlWritesIt() throws {
        let yaml = """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: LS0tLS1CRUdJTg==
                server: https://127.0.0.1:41235
              name: kind-kind
            contexts:
            - context:
                cluster: kind-kind
                user: kind-kind
              name: kind-kind
            current-context: kind-kind
            kind: Config
            preferences: {}
            users:
            - name: kind-kind
              user:
                client-certificate-data: Q0VSVA==
                client-key-data: S0VZ

            """
        let value = try parse(yaml)
        #expect(value["clusters"]?.arrayValue?.first?["cluster"]?["server"] == .string("https://127.0.0.1:41235"))
        #expect(value["clusters"]?.arrayValue?.first?["name"] == .string("kind-kind"))
        #expect(value["contexts"]?.arrayValue?.first?["context"]?["user"] == .string("kind-kind"))
        #expect(value["preferences"] == .object([:]))
        #expect(value["users"]?.arrayValue?.first?["user"]?["client-key-data"] == .string("S0VZ"))
        let config = try KubeConfig.parse(yaml: yaml, directory: "/nonexistent")
        #expect(config.server == "https://127.0.0.1:41235")
        #expect(config.tls.clientCertificatePEM == Data("CERT".utf8))
        #expect(config.tls.clientKeyPEM == Data("KEY".utf8))
    }

    @Test func eksExecEntryAsTheAWSCLIWritesIt() throws {
        let arn = "arn:aws:eks:us-west-2:123456789012:cluster/prod"
        let yaml = """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: LS0t
                server: https://ABCDEF0123.gr7.us-west-2.eks.amazonaws.com
              name: \(arn)
            contexts:
            - context:
                cluster: \(arn)
                user: \(arn)
              name: \(arn)
            current-context: \(arn)
            kind: Config
            preferences: {}
            users:
            - name: \(arn)
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  args:
                  - --region
                  - us-west-2
                  - eks
                  - get-token
                  - --cluster-name
                  - prod
                  - --output
                  - json
                  command: aws
                  env:
                  - name: AWS_PROFILE
                    value: prod
                  interactiveMode: IfAvailable
                  provideClusterInfo: false
            """
        let config = try KubeConfig.parse(yaml: yaml, directory: "/nonexistent")
        #expect(config.contextName == arn)
        guard case .exec(let exec) = config.auth else {
            Issue.record("want exec")
            return
        }
        #expect(exec.command == "aws")
        #expect(
            exec.args == ["--region", "us-west-2", "eks", "get-token", "--cluster-name", "prod", "--output", "json"])
        #expect(exec.env == ["AWS_PROFILE": "prod"])
        #expect(exec.interactiveMode == "IfAvailable")
        #expect(exec.provideClusterInfo == false)
    }

    @Test func eksctlAndGKEEntriesWithFlowListsNullsAndWrappedLines() throws {
        // eksctl: flow args, `env: null`; gcloud: an installHint wrapped at 80 columns, a `#` inside a URL.
        let yaml = """
            users:
            - name: eksctl
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  args: ["eks", "get-token", "--cluster-name", "dev", "--region", "eu-west-1"]
                  command: aws
                  env: null
                  provideClusterInfo: false
            - name: gke_project_us-central1-c_c1
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: gke-gcloud-auth-plugin
                  installHint: Install gke-gcloud-auth-plugin for use with kubectl by following
                    https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
                  provideClusterInfo: true
            """
        let users = try #require(try parse(yaml)["users"]?.arrayValue)
        let args = ["eks", "get-token", "--cluster-name", "dev", "--region", "eu-west-1"]
        #expect(users[0]["user"]?["exec"]?["args"] == .array(args.map(JSONValue.string)))
        #expect(users[0]["user"]?["exec"]?["env"] == .null)
        #expect(users[0]["user"]?["exec"]?["provideClusterInfo"] == .bool(false))
        #expect(users[1]["user"]?["exec"]?["installHint"] == .string(
            "Install gke-gcloud-auth-plugin for use with kubectl by following "
                + "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin"))
        #expect(users[1]["user"]?["exec"]?["provideClusterInfo"] == .bool(true))
    }

    @Test func scalarsCommentsQuotesAndBlockScalars() throws {
        let yaml = "---\r\n" + """
            # a hand-edited file
            plain: value with spaces   # a comment
            hash: a#b
            colon: "a: b"
            single: 'it''s'
            double: "tab\\there \\"q\\" \\u00e9 \\x41 \\\\"
            number: 1234
            octal: 0700
            yes: yes
            bools: [true, False, TRUE]
            nulls: [null, ~, ]
            empty:
            "quoted key": 1
            literal: |
              line 1
                indented
              line 3

            folded: >-
              one
              two

              three
            kept: |+
              x

            stripped: |-
              y
            wrapped: "first
              second \\
              third"
            nested: {a: [1, {b: c}],
              "d e": 'f'}
            seq:
              - - inner
                - list
              -
                key: value
              - k1: v1
                k2: v2
            ...
            """
        let value = try parse(yaml)
        #expect(value["plain"] == .string("value with spaces"))
        #expect(value["hash"] == .string("a#b"))
        #expect(value["colon"] == .string("a: b"))
        #expect(value["single"] == .string("it's"))
        #expect(value["double"] == .string("tab\there \"q\" \u{E9} A \\"))
        // No numeric fields in a kubeconfig: numbers stay strings, as client-go reads a string field.
        #expect(value["number"] == .string("1234"))
        #expect(value["octal"] == .string("0700"))
        #expect(value["yes"] == .string("yes"))
        #expect(value["bools"] == .array([.bool(true), .bool(false), .bool(true)]))
        #expect(value["nulls"] == .array([.null, .null]))
        #expect(value["empty"] == .null)
        #expect(value["quoted key"] == .string("1"))
        #expect(value["literal"] == .string("line 1\n  indented\nline 3\n"))
        #expect(value["folded"] == .string("one two\nthree"))
        #expect(value["kept"] == .string("x\n\n"))
        #expect(value["stripped"] == .string("y"))
        #expect(value["wrapped"] == .string("first second third"))
        #expect(
            value["nested"]
                == .object(["a": .array([.string("1"), .object(["b": .string("c")])]), "d e": .string("f")]))
        #expect(
            value["seq"]
                == .array([
                    .array([.string("inner"), .string("list")]), .object(["key": .string("value")]),
                    .object(["k1": .string("v1"), "k2": .string("v2")]),
                ]))
        #expect(try parse("") == .null)
        #expect(try parse("# only a comment\n") == .null)
    }

    @Test func numericLookingPasswordsAndTokensStayStrings() throws {
        let yaml = """
            current-context: x
            clusters: [{name: c, cluster: {server: "https://s", insecure-skip-tls-verify: true}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            users: [{name: u, user: {username: 42, password: 1234}}]
            """
        let config = try KubeConfig.parse(yaml: yaml, directory: "/nonexistent")
        #expect(config.tls.insecureSkipVerify)
        guard case .basic(let username, let password) = config.auth else {
            Issue.record("want basic auth")
            return
        }
        #expect(username == "42")
        #expect(password == "1234")
    }

    /// Yams (libyaml) as the reference on every kubeconfig the repository holds: the fuzz seeds and the
    /// shapes above. Plain scalars compare by text (kubeconfig has no numbers), booleans and nulls by value.
    @Test func agreesWithYamsOnTheRepositorysKubeconfigs() throws {
        func reference(_ node: Node) -> JSONValue {
            switch node {
            case .scalar(let scalar):
                let value = node.any
                if value is NSNull { return .null }
                if let flag = value as? Bool { return .bool(flag) }
                return .string(scalar.string)
            case .mapping(let mapping):
                return .object(Dictionary(mapping.map { ($0.key.string ?? "", reference($0.value)) }) { $1 })
            case .sequence(let sequence):
                return .array(sequence.map(reference))
            case .alias:
                return .null
            }
        }
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus/kubeconfig")
        let files = try FileManager.default.contentsOfDirectory(atPath: seeds.path).sorted()
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOfFile: seeds.appendingPathComponent(file).path, encoding: .utf8)
            let expected = try Yams.compose(yaml: text).map(reference) ?? .null
            #expect(try parse(text) == expected, "\(file)")
        }
    }

    @Test func unsupportedYAMLIsAnErrorNamingTheLine() {
        let cases: [(String, Int, String)] = [
            ("a: &anchor x", 1, "'&' at the start of a value (anchors, aliases, tags) is not supported"),
            ("a: x\nb: *anchor", 2, "'*' at the start of a value (anchors, aliases, tags) is not supported"),
            ("a: !!str x", 1, "'!' at the start of a value (anchors, aliases, tags) is not supported"),
            (
                "? complex\n: key", 1,
                "'?' at the start of a node (anchors, aliases, tags, complex keys) is not supported"
            ),
            ("a:\n\tb: c", 2, "tab in indentation (YAML indents with spaces)"),
            ("a: \"open", 1, "unterminated double-quoted string"),
            ("a: 'open\n  more", 1, "unterminated single-quoted string"),
            ("a: [1, 2", 1, "unterminated flow sequence (']' missing)"),
            ("a: {b: [1,\n  2]\nc: 1", 1, "unterminated flow mapping ('}' missing)"),
            ("a: 1\n---\nb: 2", 2, "more than one YAML document; a kubeconfig is one"),
            ("a: 1\na: 2", 2, "duplicate key 'a'"),
            ("a: 1\n  b: 2", 2, "unexpected indentation: a key under a scalar value"),
            ("a:\n  b: 1\n c: 2", 3, "unexpected indentation in a mapping"),
            ("a:\n  - x\n  y: 1", 3, "unexpected indentation in a mapping"),
            ("- x\ny: 1", 2, "unexpected indentation or content after the document"),
            ("a: 1\n...\nb: 2", 2, "more than one YAML document; a kubeconfig is one"),
            ("%YAML 1.2\n---\na: 1", 1, "YAML directives are not supported"),
            ("a: \"\\q\"", 1, "invalid escape '\\q' in a double-quoted string"),
            ("a: x\njust text", 2, "expected 'key: value' in a mapping"),
            ("a: |x\n  b", 1, "invalid block scalar header '|x'"),
        ]
        let deepFlow = "a: " + String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let deepBlock = (0..<65).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n")
        let nesting = "nested deeper than 64 levels"
        for (yaml, line, message) in cases + [(deepFlow, 1, nesting), (deepBlock, 65, nesting)] {
            #expect(throws: KubeconfigYAMLError(line: line, message: message), "\(yaml)") { try parse(yaml) }
        }
        // Through KubeConfig: the file and the line.
        do {
            _ = try KubeConfig.parse(yaml: "current-context: x\nclusters: &c []", directory: "/nonexistent")
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("<inline> is not a valid kubeconfig: line 2: '&' at the start"))
        }
    }
}
