import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

struct CompareRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-rnn",
        abstract: "Train several rules through time on one RNN and task, same seed and streams; tabulate and plot them.",
        discussion: """
        Each rule trains into <out>/<rule>/ (a normal run directory, resumed if interrupted). At the end: \
        a table of final and best test error (XOR answers with the wrong sign), time, and the mean angles \
        of ΔW_in and ΔW_rec to BPTT's; <out>/comparison.csv, <out>/test-error.svg and <out>/angles.svg. \
        A rule option applies to every listed rule that has it.

        """ + RecurrentOptions.ruleOptionsHelp)

    @OptionGroup var model: RecurrentOptions

    @OptionGroup var comparison: ComparisonOptions

    func validate() throws {
        try ComparisonOptions.refuseSingleRule(model.ruleChoice.rule, command: "compare-rnn")
        _ = try configurations()
    }

    /// The run of every rule in `--rules`, each with the options it has.
    func configurations() throws -> [RecurrentConfiguration] {
        try model.ruleChoice.rules(comparison.rules ?? "bp,fa,kp").map { rule, given in
            try model.configuration(epochs: comparison.epochs ?? 10, rule: rule, given: given)
        }
    }

    func run() throws {
        do {
            let configurations = try configurations()
            let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
            let root = comparison.out ?? "runs/compare-\(configurations[0].task.name)-rnn-\(stamp)"
            let base = configurations[0]
            try RuleComparison.run(configurations.map(RunSpecification.recurrent), data: nil, root: root,
                                   title: "\(base.task), RNN \(base.hidden) tanh", events: Console.render)
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Console.fail(error)
        }
    }
}
