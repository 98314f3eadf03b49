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

    @Option(help: ArgumentHelp("Comma-separated rules that work through time, e.g. bp,fa,np,kp,wm.", valueName: "rules"))
    var rules: String = "bp,fa,kp"

    @Option(parsing: .unconditional, help: "Epochs of --steps-per-epoch steps.")
    var epochs: Int = 10

    @Option(help: ArgumentHelp("The comparison directory (default: runs/compare-delayed-xor-<time>).", valueName: "dir"))
    var out: String?

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs: expected a positive number of epochs, found '\(epochs)'") }
        if let rule = model.ruleChoice.rule {
            throw ValidationError("--rule: not used by compare-rnn, found '\(rule)'; list the rules with --rules")
        }
        _ = try configurations()
    }

    /// The run of every rule in `--rules`, each with the options it has.
    func configurations() throws -> [RecurrentConfiguration] {
        try model.ruleChoice.rules(rules).map { rule, given in try model.configuration(epochs: epochs, rule: rule, given: given) }
    }

    func run() throws {
        do {
            let configurations = try configurations()
            let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
            let root = out ?? "runs/compare-delayed-xor-\(stamp)"
            let base = configurations[0]
            try RuleComparison.run(configurations.map(RunSpecification.recurrent), data: nil, root: root,
                                   title: "delayed XOR (delay \(base.task.delay)), RNN \(base.hidden) tanh", events: Console.render)
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Console.fail(error)
        }
    }
}
