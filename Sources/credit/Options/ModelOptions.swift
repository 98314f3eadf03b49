import ArgumentParser
import CreditKit

/// The flags that define a model and how it learns, shared by `train` and `bench`.
struct ModelOptions: ParsableArguments {
    @Option(help: "The dataset: \(DatasetName.allCases.filter { !$0.isSequenceTask }.map(\.rawValue).joined(separator: ", ")). `digits` is bundled and works offline.")
    var dataset: DatasetName = .digits

    @Option(name: .customLong("data"), help: ArgumentHelp("A data root with one folder per dataset, laid out like ../shared/data (overrides $CREDITKIT_DATA and the search path).", valueName: "dir"))
    var dataRoot: String?

    @Option(help: ArgumentHelp("Hidden layer widths, comma-separated, e.g. 800,800.", valueName: "widths"))
    var layers: String = "100"

    @Option(help: ArgumentHelp("Hidden-unit transfer function, or one per hidden layer, comma-separated (e.g. tanh,identity,tanh): \(Activation.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "f"))
    var activation: String = "tanh"

    @Option(help: "Output transfer function (default: identity; cross-entropy requires identity).")
    var outputActivation: Activation?

    @Option(help: "The loss.")
    var loss: Loss = .crossEntropy

    @Option(help: ArgumentHelp("The credit-assignment rule (default bp): \(RuleRegistry.argumentHelp). Its own options are listed below.",
                               valueName: "rule"))
    var rule: RuleSpec?

    /// The chosen rule's own options (`--noise 0.01`, `--feedback xavier`): whatever the other
    /// flags do not claim, handed to the rule, which refuses what it does not know.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var ruleOptions: [String] = []

    @Flag(help: "Train an autoencoder: the inputs are the targets (use --loss squared-error --output-activation sigmoid).")
    var autoencoder = false

    @Option(help: ArgumentHelp("The target column of a multi-target regression set (the robot joint, 1–7).", valueName: "N"))
    var joint: Int?

    @Option(help: "The share of positive units in mixed-rectifier layers (Kickback).")
    var positiveFraction: Float = 0.5

    @Option(name: .customLong("weight-ball"), help: ArgumentHelp("Project every unit's incoming weights into the l2 ball of this radius after each step.", valueName: "R"))
    var weightBall: Float?

    @Flag(name: .customLong("freeze-forward"), help: "Learn only the rule's feedback weights; the forward weights stay at their initial values (node perturbation's validation).")
    var freezeForward = false

    @Option(help: ArgumentHelp("Measure the gradient diagnostics every N batches as well as at the end of each epoch.", valueName: "N"))
    var probeEvery: Int = 0

    @Option(name: .customLong("init"), help: ArgumentHelp("Weight initialization: xavier, uniform:A or signed:A.", valueName: "scheme"))
    var initializer: String = "xavier"

    @Option(help: "Examples per batch.")
    var batchSize: Int = 32

    @Option(name: .customLong("lr"), help: "Learning rate.")
    var learningRate: Float = 0.05

    @Option(help: "The optimizer.")
    var optimizer: OptimizerKind = .momentum

    @Option(help: "Momentum coefficient μ (with --optimizer momentum).")
    var momentum: Float = 0.9

    @Option(name: .customLong("lr-decay"), help: "Multiply the learning rate by this after every epoch.")
    var learningRateDecay: Float = 1

    @Option(name: .customLong("inputs"), help: "Input scaling, fitted on the training set: raw, global (zero mean, unit variance overall) or feature (per feature).")
    var inputScaling: InputScaling = .raw

    @Option(help: "Random seed: weights, feedback, data order.")
    var seed: UInt64 = 1

    func hiddenLayers() throws -> [Int] {
        let parts = layers.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts == [""] { throw ValidationError("--layers: expected comma-separated positive widths such as 800,800, found an empty list") }
        return try parts.map { part in
            guard let width = Int(part), width > 0 else {
                throw ValidationError("--layers: expected comma-separated positive widths such as 800,800, found '\(layers)'")
            }
            return width
        }
    }

    /// `--activation` as one function for every hidden layer, or one per layer.
    func activations() throws -> (Activation, [Activation]?) {
        let list = try activation.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let f = Activation(rawValue: name) else {
                throw ValidationError("--activation: unknown '\(name)'; expected \(Activation.allCases.map(\.rawValue).joined(separator: ", ")), "
                                      + "or one per hidden layer, comma-separated")
            }
            return f
        }
        return list.count == 1 ? (list[0], nil) : (list[0], list)
    }

    /// `--rule` with its options applied.
    func configuredRule() throws -> (rule: RuleSpec, given: Set<String>) {
        var rule = rule ?? .backprop
        do {
            let given = try rule.applyOptions(ruleOptions)
            return (rule, given)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The rule options in `arguments`, split into options with their values: `--name value`,
    /// `--name=value`, or `--name` alone where every rule that has the option makes it a flag.
    static func optionGroups(_ arguments: [String]) -> [[String]] {
        let takesValue = Set(RuleRegistry.rules.flatMap { $0.optionHelp.filter { $0.valueName != nil }.map(\.flag) })
        var groups: [[String]] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if takesValue.contains(argument), index + 1 < arguments.count {
                groups.append([argument, arguments[index + 1]])
                index += 2
            } else {
                groups.append([argument])
                index += 1
            }
        }
        return groups
    }

    /// The flags named in `arguments` (`--noise`, also from `--noise=0.1`).
    static func optionFlags(in arguments: [String]) -> [String] {
        optionGroups(arguments).map { String($0[0].split(separator: "=", maxSplits: 1)[0]) }
    }

    /// The options in `arguments` that `rule` has, with their values.
    static func arguments(_ arguments: [String], claimedBy rule: RuleSpec) -> [String] {
        let known = Set(type(of: rule.settings).optionHelp.map(\.flag))
        return optionGroups(arguments).filter { known.contains(String($0[0].split(separator: "=", maxSplits: 1)[0])) }.flatMap { $0 }
    }

    func configuration(epochs: Int) throws -> TrainingConfiguration {
        try configuration(epochs: epochs, rule: configuredRule().rule)
    }

    /// The model these flags describe, trained by `rule` (whose options are already applied).
    func configuration(epochs: Int, rule: RuleSpec) throws -> TrainingConfiguration {
        let (activation, hiddenActivations) = try activations()
        var configuration = TrainingConfiguration(
            dataset: dataset, hiddenLayers: try hiddenLayers(), activation: activation, outputActivation: outputActivation,
            loss: loss, rule: rule, epochs: epochs, batchSize: batchSize, learningRate: learningRate,
            optimizer: optimizer, momentum: momentum, learningRateDecay: learningRateDecay, initializer: initializer, seed: seed,
            inputScaling: inputScaling, probeEvery: probeEvery, autoencoder: autoencoder, positiveFraction: positiveFraction, joint: joint,
            weightBall: weightBall, freezeForwardWeights: freezeForward)
        configuration.hiddenActivations = hiddenActivations
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    func validate() throws {
        if dataset.isSequenceTask {
            throw ValidationError("--dataset: \(dataset.rawValue) is a sequence task; train it with `credit train-rnn`")
        }
        // The model alone; the command checks the rule with its options (`train` one, `compare` several).
        _ = try configuration(epochs: 1, rule: .backprop)
    }

    var locator: DataLocator { DataLocator(explicitRoot: dataRoot) }
}
