import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train several rules on one architecture and dataset, same seed and data order; tabulate and plot them.",
        discussion: """
        Each rule trains into <out>/<rule>/ (a normal run directory, resumed if interrupted). At the end: \
        a table of final and best test error, time, and the mean angle of each hidden layer's update to \
        backprop's; <out>/comparison.csv; <out>/test-error.svg (test error curves) and <out>/angles.svg \
        (per-layer angles over training). A rule option applies to every listed rule that has it.

        """ + "\n" + RuleRegistry.optionsHelp)

    @OptionGroup var model: ModelOptions

    @OptionGroup var comparison: ComparisonOptions

    func validate() throws {
        try ComparisonOptions.refuseSingleRule(model.ruleChoice.rule, command: "compare")
        _ = try configurations()
    }

    /// The configuration of every rule in `--rules`: the model's flags, and each rule's own
    /// options applied to the rules that have them (an option no listed rule has is refused).
    func configurations() throws -> [TrainingConfiguration] {
        let base = try model.configuration(epochs: comparison.epochs ?? 20, rule: .backprop)
        return try model.ruleChoice.rules(comparison.rules ?? "bp,fa,dfa").map { rule, _ in
            var configuration = base
            configuration.rule = rule
            return configuration
        }
    }

    func run() throws {
        do {
            let configurations = try configurations()
            let base = configurations[0]
            let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
            let root = comparison.out ?? "runs/compare-\(base.dataset.rawValue)-\(stamp)"
            let data = try DatasetCatalog.load(base.dataset, locator: model.locator)
            try RuleComparison.run(configurations.map(RunSpecification.feedForward), data: data, root: root,
                                   title: "\(base.dataset.rawValue) \(base.hiddenLayers.map(String.init).joined(separator: "-")) \(base.activation.rawValue)",
                                   events: Console.render)
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Console.fail(error)
        }
    }
}
