import ArgumentParser

/// `ecr-bench`: benchmarks that print their figures. Each subcommand lives in its own file.
@main
struct ECRBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecr-bench",
        abstract: "Benchmarks for ecr-pullsecret-operator.",
        subcommands: [
            ReconcileBenchmark.self, WebhookBenchmark.self, WebhookAttackBenchmark.self,
            WebhookServeCommand.self, WebhookReviewBenchmark.self, BenchAPIServerCommand.self,
        ])
}
