import ArgumentParser

/// `ecr-sandbox`: the operator's sandbox, built apart from the shipping binary so that it alone links
/// the test support code. Each subcommand lives in its own file.
@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecr-sandbox",
        abstract: "A sandbox for ecr-pullsecret-operator: the demo, and the Kubernetes API test server as a process.",
        subcommands: [DemoCommand.self, APIServerCommand.self])
}
