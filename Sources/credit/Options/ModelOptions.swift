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

    @OptionGroup var ruleChoice: RuleOptions

    @Flag(help: "Train an autoencoder: the inputs are the targets (use --loss squared-error --output-activation sigmoid).")
    var autoencoder = false

    @Option(parsing: .unconditional, help: ArgumentHelp("The target column of a multi-target regression set (the robot joint, 1–7).", valueName: "N"))
    var joint: Int?

    @Option(parsing: .unconditional, help: "The share of positive units in mixed-rectifier layers (Kickback).")
    var positiveFraction: Float?

    @Option(name: .customLong("weight-ball"), parsing: .unconditional, help: ArgumentHelp("Project every unit's incoming weights into the l2 ball of this radius after each step.", valueName: "R"))
    var weightBall: Float?

    @Flag(name: .customLong("freeze-forward"), help: "Learn only the rule's feedback weights; the forward weights stay at their initial values (node perturbation's validation).")
    var freezeForward = false

    @Option(name: .customLong("init"), help: ArgumentHelp("Weight initialization: xavier, uniform:A or signed:A.", valueName: "scheme"))
    var initializer: String = "xavier"

    @Option(parsing: .unconditional, help: "Examples per batch.")
    var batchSize: Int = 32

    @OptionGroup var training: OptimizerOptions

    @Option(name: .customLong("inputs"), help: "Input scaling, fitted on the training set: raw, global (zero mean, unit variance overall) or feature (per feature).")
    var inputScaling: InputScaling = .raw

    @Option(help: ArgumentHelp("Spiking hidden units while training: none, bernoulli or poisson — unbiased spike counts of the rates, "
                                   + "learning through the rate's derivative; evaluation uses the rates.", valueName: "none|bernoulli|poisson"))
    var spikes: String = "none"

    @Option(name: .customLong("spike-window"), parsing: .unconditional,
            help: ArgumentHelp("T, the spike-counting window in seconds (default 0.1); the noise is set by r·T.", valueName: "T"))
    var spikeWindow: Float?

    @Option(name: .customLong("max-rate"), parsing: .unconditional,
            help: ArgumentHelp("r, the peak rate in spikes per second (default 100).", valueName: "r"))
    var maxRate: Float?

    @Option(parsing: .unconditional, help: ArgumentHelp("Dropout of every hidden unit with probability p while training (the regularizer "
                                                            + "spikes are compared with).", valueName: "p"))
    var dropout: Float?

    @Flag(name: .customLong("noisy-eval"), help: "Evaluate with the spikes or dropout too (default: the noiseless rates).")
    var noisyEvaluation = false

    /// `--spikes`, `--dropout` and their settings as the configuration's noise.
    func activityNoise() throws -> ActivityNoise? {
        let kind: ActivityNoise.Kind?
        switch spikes {
        case "none": kind = nil
        case "bernoulli": kind = .bernoulli
        case "poisson": kind = .poisson
        default: throw ValidationError("--spikes: expected none, bernoulli or poisson, found '\(spikes)'")
        }
        if kind == nil && (spikeWindow != nil || maxRate != nil) {
            throw ValidationError("\(spikeWindow != nil ? "--spike-window" : "--max-rate"): only with --spikes bernoulli or poisson")
        }
        if kind != nil && dropout != nil { throw ValidationError("--dropout: not with --spikes (one kind of noise at a time)") }
        if let kind {
            let defaults = ActivityNoise.spikes(kind)
            return .spikes(kind, window: spikeWindow ?? defaults.window, maxRate: maxRate ?? defaults.maxRate, atEvaluation: noisyEvaluation)
        }
        if let dropout { return .dropout(dropout, atEvaluation: noisyEvaluation) }
        if noisyEvaluation { throw ValidationError("--noisy-eval: only with --spikes or --dropout") }
        return nil
    }

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

    func configuration(epochs: Int) throws -> TrainingConfiguration {
        try configuration(epochs: epochs, rule: ruleChoice.configured().rule)
    }

    /// The model these flags describe, trained by `rule` (whose options are already applied).
    func configuration(epochs: Int, rule: RuleSpec) throws -> TrainingConfiguration {
        let (activation, hiddenActivations) = try activations()
        var configuration = TrainingConfiguration(
            dataset: dataset, hiddenLayers: try hiddenLayers(), activation: activation, outputActivation: outputActivation,
            loss: loss, rule: rule, epochs: epochs, batchSize: batchSize, learningRate: training.learningRate ?? 0.05,
            optimizer: training.optimizer ?? .momentum, momentum: training.momentum, learningRateDecay: training.learningRateDecay,
            initializer: initializer, seed: training.seed,
            inputScaling: inputScaling, probeEvery: training.probeEvery, autoencoder: autoencoder, positiveFraction: positiveFraction ?? 0.5, joint: joint,
            weightBall: weightBall, freezeForwardWeights: freezeForward)
        configuration.hiddenActivations = hiddenActivations
        configuration.noise = try activityNoise()
        // Not validated here: the library validates a configuration once, against its data
        // (`TrainingConfiguration.validated(for:)`), and its errors come back under these flags.
        return configuration
    }

    func validate() throws {
        if dataset.isSequenceTask {
            throw ValidationError("--dataset: \(dataset.rawValue) is a sequence task; train it with `credit train-rnn`")
        }
        // The model alone; the command checks the rule with its options (`train` one, `compare` several).
        let configuration = try configuration(epochs: 1, rule: .backprop)
        // A flag that would change nothing is a mistake to point out, not to ignore.
        let hidden = configuration.hiddenActivations ?? [configuration.activation]
        if positiveFraction != nil, !hidden.contains(.mixedRectifier), loss != .rectilinear {
            throw ValidationError("--positive-fraction: only with mixed rectifier units (--activation mixed-rectifier or --loss rectilinear)")
        }
        if let outputActivation, loss == .rectilinear {
            throw ValidationError("--output-activation: --loss rectilinear fixes the output to mixed rectifiers, found '\(outputActivation.rawValue)'")
        }
        try training.checkMomentum(optimizer: configuration.optimizer)
    }

    var locator: DataLocator { DataLocator(explicitRoot: dataRoot) }
}
