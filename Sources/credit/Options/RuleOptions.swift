import ArgumentParser
import CreditKit

/// `--rule` and the chosen rule's own options, shared by every command that trains: the rule's
/// options are whatever the command's other flags do not claim, and the rule refuses what it
/// does not know.
struct RuleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The credit-assignment rule (default bp). The rules this command takes and their own options are "
                               + "listed above.", valueName: "rule"))
    var rule: RuleSpec?

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var ruleOptions: [String] = []

    /// `--rule` with its options applied, and the names of the options given.
    func configured() throws -> (rule: RuleSpec, given: Set<String>) {
        var rule = rule ?? .backprop
        do {
            let given = try rule.applyOptions(ruleOptions)
            return (rule, given)
        } catch {
            throw ValidationError(FlagNames.message(error))
        }
    }

    /// Every rule of a comma-separated `--rules` list with the options given that it has (a rule
    /// option applies to every listed rule that has it; one that no listed rule has is refused),
    /// and the names of the options each took.
    func rules(_ list: String) throws -> [(rule: RuleSpec, given: Set<String>)] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--rules: expected comma-separated rules, found an empty list") }
        var unclaimed = Set(optionFlags)
        let rules = try names.map { name in
            guard var spec = RuleSpec(argument: name) else {
                throw ValidationError("--rules: unknown rule '\(name)'; expected \(RuleRegistry.argumentHelp)")
            }
            do {
                let given = try spec.applyOptions(arguments(claimedBy: spec))
                unclaimed.subtract(given.map { "--" + $0 })
                return (spec, given)
            } catch { throw ValidationError(FlagNames.message(error)) }
        }
        if let flag = unclaimed.sorted().first {
            throw ValidationError("\(flag): not an option of any rule in --rules (\(list))")
        }
        return rules
    }

    /// The rule options given, split into options with their values: `--name value`,
    /// `--name=value`, or `--name` alone where every rule that has the option makes it a flag.
    var optionGroups: [[String]] {
        let takesValue = Set(RuleRegistry.rules.flatMap { $0.optionHelp.filter { $0.valueName != nil }.map(\.flag) })
        var groups: [[String]] = []
        var index = 0
        while index < ruleOptions.count {
            let argument = ruleOptions[index]
            if takesValue.contains(argument), index + 1 < ruleOptions.count {
                groups.append([argument, ruleOptions[index + 1]])
                index += 2
            } else {
                groups.append([argument])
                index += 1
            }
        }
        return groups
    }

    /// The flags named among the rule options (`--noise`, also from `--noise=0.1`).
    var optionFlags: [String] { optionGroups.map(Self.flag) }

    /// The rule options that `rule` has, with their values (`compare` hands each rule its own).
    func arguments(claimedBy rule: RuleSpec) -> [String] {
        let known = Set(type(of: rule.settings).optionHelp.map(\.flag))
        return optionGroups.filter { known.contains(Self.flag($0)) }.flatMap { $0 }
    }

    private static func flag(_ group: [String]) -> String { String(group[0].split(separator: "=", maxSplits: 1)[0]) }
}

/// How a command's model learns: the optimizer, its step and its schedule, the seed, and how often
/// the probe measures the rule against exact gradients. Defaults differ by network
/// (`train`: momentum 0.05; `train-rnn`: SGD 0.01, the learned-feedback paper's).
struct OptimizerOptions: ParsableArguments {
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate (default: train 0.05, train-rnn 0.01).")
    var learningRate: Float?

    @Option(help: "The optimizer (default: train momentum, train-rnn sgd).")
    var optimizer: OptimizerKind?

    @Option(name: .customLong("momentum"), parsing: .unconditional, help: "Momentum coefficient μ (with --optimizer momentum; default 0.9).")
    var momentumOption: Float?

    @Option(name: .customLong("lr-decay"), parsing: .unconditional, help: "Multiply the learning rate by this after every epoch.")
    var learningRateDecay: Float = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Measure the gradient diagnostics every N batches (an RNN: windows) as well as at the end of each epoch.",
                               valueName: "N"))
    var probeEvery: Int = 0

    @Option(parsing: .unconditional, help: "Random seed: weights, feedback, data, noise.")
    var seed: UInt64 = 1

    /// μ, 0.9 unless given.
    var momentum: Float { momentumOption ?? 0.9 }

    /// `--momentum` is a setting of the momentum optimizer only.
    func checkMomentum(optimizer: OptimizerKind) throws {
        if momentumOption != nil, optimizer != .momentum {
            throw ValidationError("--momentum: only with --optimizer momentum (the optimizer is \(optimizer.rawValue))")
        }
    }
}

/// Where a run goes, and how long: shared by `train` and `train-rnn`.
struct RunOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Epochs to train (with --resume: the new total).")
    var epochs: Int?

    @Option(help: ArgumentHelp("The run directory (default: runs/<data>-<rule>-<time>).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Continue the interrupted run in this directory.", valueName: "dir"))
    var resume: String?

    func validate() throws {
        if let epochs, epochs <= 0 { throw ValidationError("--epochs: expected a positive number of epochs, found '\(epochs)'") }
        if resume != nil && out != nil { throw ValidationError("--out: not used with --resume (the run continues in its own directory)") }
    }
}

/// What `compare` and `compare-rnn` share: the rules, the epochs and the output directory; each
/// command supplies its own defaults.
struct ComparisonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Comma-separated rules (default: compare bp,fa,dfa; compare-rnn bp,fa,kp).", valueName: "rules"))
    var rules: String?

    @Option(parsing: .unconditional, help: "Epochs (default: compare 20; compare-rnn 10, of --steps-per-epoch steps).")
    var epochs: Int?

    @Option(help: ArgumentHelp("The comparison directory (default: runs/compare-<data>-<time>).", valueName: "dir"))
    var out: String?

    func validate() throws {
        if let epochs, epochs <= 0 { throw ValidationError("--epochs: expected a positive number of epochs, found '\(epochs)'") }
    }

    /// `--rule` names one rule; a comparison lists them with `--rules`.
    static func refuseSingleRule(_ rule: RuleSpec?, command: String) throws {
        if let rule { throw ValidationError("--rule: not used by \(command), found '\(rule)'; list the rules with --rules") }
    }
}
