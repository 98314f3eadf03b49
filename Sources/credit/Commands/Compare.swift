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

    @Option(help: ArgumentHelp("Comma-separated rules, e.g. bp,fa,dfa,s1.", valueName: "rules"))
    var rules: String = "bp,fa,dfa"

    @Option(parsing: .unconditional, help: "Passes over the training set.")
    var epochs: Int = 20

    @Option(help: ArgumentHelp("The comparison directory (default: runs/compare-<dataset>-<time>).", valueName: "dir"))
    var out: String?

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs: expected a positive number of epochs, found '\(epochs)'") }
        if let rule = model.ruleChoice.rule { throw ValidationError("--rule: not used by compare, found '\(rule)'; list the rules with --rules") }
        _ = try configurations()
    }

    /// The configuration of every rule in `--rules`: the model's flags, and each rule's own
    /// options applied to the rules that have them (an option no listed rule has is refused).
    func configurations() throws -> [TrainingConfiguration] {
        let base = try model.configuration(epochs: epochs, rule: .backprop)
        return try model.ruleChoice.rules(rules).map { rule, _ in
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
            let root = out ?? "runs/compare-\(base.dataset.rawValue)-\(stamp)"
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
