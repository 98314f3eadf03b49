import ArgumentParser
import CreditKit

/// The flags that define a model and how it learns, shared by `train` and `bench`.
struct ModelOptions: ParsableArguments {
    @Option(help: "The dataset: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")). `digits` is bundled and works offline.")
    var dataset: DatasetName = .digits

    @Option(name: .customLong("data"), help: ArgumentHelp("A data root with one folder per dataset, laid out like ../shared/data (overrides $CREDITKIT_DATA and the search path).", valueName: "dir"))
    var dataRoot: String?

    @Option(name: .customLong("model"), help: "The network: mlp (feed-forward) or rnn (a vanilla tanh RNN with a linear readout, for --dataset delayed-xor).")
    var networkKind: NetworkKind = .mlp

    @Option(name: .customLong("bptt-steps"), help: ArgumentHelp("RNN: the window k of truncated BPTT (and of FA/NP through time).", valueName: "k"))
    var bpttSteps: Int = 7

    @Option(help: ArgumentHelp("RNN, delayed XOR: steps from a go cue to its XOR answer.", valueName: "steps"))
    var delay: Int = 3

    @Option(name: .customLong("steps-per-epoch"), help: ArgumentHelp("RNN: time steps of every stream per epoch.", valueName: "N"))
    var stepsPerEpoch: Int = 50_000

    @Option(help: ArgumentHelp("Hidden layer widths, comma-separated, e.g. 800,800.", valueName: "widths"))
    var layers: String = "100"

    @Option(help: ArgumentHelp("Hidden-unit transfer function, or one per hidden layer, comma-separated (e.g. tanh,identity,tanh): \(Activation.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "f"))
    var activation: String = "tanh"

    @Option(help: "Output transfer function (default: identity; cross-entropy requires identity).")
    var outputActivation: Activation?

    @Option(help: "The loss.")
    var loss: Loss = .crossEntropy

    @Option(help: ArgumentHelp("The credit-assignment rule: \(RuleKind.helpText).", valueName: "rule"))
    var rule: RuleKind = .backprop

    @Option(help: ArgumentHelp("Fixed feedback matrices of the FA-family rules: \(FeedbackFamily.helpText) (default uniform:0.5; "
                               + "xavier for --model rnn).", valueName: "family"))
    var feedback: FeedbackFamily?

    @Flag(name: .customLong("aux-errors"), help: "LAFS: the direct terms carry per-layer auxiliary errors (with dfa, s1–s3, terms:…d…).")
    var auxiliaryErrors = false

    @Flag(help: "Train an autoencoder: the inputs are the targets (use --loss squared-error --output-activation sigmoid).")
    var autoencoder = false

    @Option(help: ArgumentHelp("The target column of a multi-target regression set (the robot joint, 1–7).", valueName: "N"))
    var joint: Int?

    @Option(help: "The share of positive units in mixed-rectifier layers (Kickback).")
    var positiveFraction: Float = 0.5

    @Option(help: ArgumentHelp("Kickback's feedback rescaling: one factor, one per hidden layer below the top (comma-separated), or 'auto' (k-fold cross-validation on the training set).", valueName: "factors"))
    var kickbackScales: String = "1"

    @Option(name: .customLong("weight-ball"), help: ArgumentHelp("Project every unit's incoming weights into the l2 ball of this radius after each step.", valueName: "R"))
    var weightBall: Float?

    @Option(help: ArgumentHelp("Node perturbation (--rule np): the noise level c_h added to every hidden activity (default 0.01).", valueName: "c"))
    var noise: Float?

    @Option(name: .customLong("feedback-lr"), help: ArgumentHelp("Node perturbation: the SGD step size of the feedback weights (default 0.01).", valueName: "eta"))
    var feedbackLearningRate: Float?

    @Option(name: .customLong("feedback-solver"), help: ArgumentHelp("Node perturbation: learn B by sgd, or by the exact ridge solution over the run (default sgd).", valueName: "sgd|exact"))
    var feedbackSolver: NodePerturbationSettings.Solver?

    @Option(help: ArgumentHelp("Node perturbation, exact solver: the ridge γ the sums start from (default 0.1).", valueName: "gamma"))
    var ridge: Float?

    @Option(name: .customLong("feedback-warmup"), help: ArgumentHelp("Node perturbation: epochs at the start that learn only the feedback (default 0).", valueName: "epochs"))
    var feedbackWarmup: Int?

    @Option(name: .customLong("noise-probability"), help: ArgumentHelp("Node perturbation: the chance each unit is perturbed on a pass (default 1).", valueName: "p"))
    var noiseProbability: Float?

    @Flag(name: .customLong("freeze-forward"), help: "Learn only the rule's feedback weights; the forward weights stay at their initial values (node perturbation's validation).")
    var freezeForward = false

    @Option(help: ArgumentHelp("Measure the gradient diagnostics every N batches as well as at the end of each epoch.", valueName: "N"))
    var probeEvery: Int = 0

    @Option(name: .customLong("init"), help: ArgumentHelp("Weight initialization: xavier, uniform:A or signed:A.", valueName: "scheme"))
    var initializer: String = "xavier"

    @Option(help: "Examples per batch (default 32; for --model rnn the parallel streams, default 20).")
    var batchSize: Int?

    @Option(name: .customLong("lr"), help: "Learning rate (default 0.05; 0.01 for --model rnn).")
    var learningRate: Float?

    @Option(help: "The optimizer (default momentum; sgd for --model rnn).")
    var optimizer: OptimizerKind?

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

    func configuration(epochs: Int) throws -> TrainingConfiguration {
        let (activation, hiddenActivations) = try activations()
        var configuration = TrainingConfiguration(
            dataset: dataset, hiddenLayers: try hiddenLayers(), activation: activation, outputActivation: outputActivation,
            loss: loss, rule: rule, epochs: epochs, batchSize: batchSize ?? 32, learningRate: learningRate ?? 0.05, optimizer: optimizer ?? .momentum,
            momentum: momentum, learningRateDecay: learningRateDecay, initializer: initializer, seed: seed, inputScaling: inputScaling,
            feedback: feedback ?? .uniform(0.5), auxiliaryErrors: auxiliaryErrors, probeEvery: probeEvery, autoencoder: autoencoder,
            positiveFraction: positiveFraction, joint: joint, kickbackScales: try parsedKickbackScales(), weightBall: weightBall,
            nodePerturbation: nodePerturbationSettings(), freezeForwardWeights: freezeForward ? true : nil)
        configuration.hiddenActivations = hiddenActivations
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    /// The defaults overridden by the flags given; `nil` for other rules unless a flag was given
    /// (which the configuration then refuses, naming it).
    func nodePerturbationSettings() -> NodePerturbationSettings? {
        let given = noise != nil || feedbackLearningRate != nil || feedbackSolver != nil || ridge != nil || feedbackWarmup != nil
            || noiseProbability != nil
        guard rule == .nodePerturbation || given else { return nil }
        var settings = NodePerturbationSettings()
        if let noise { settings.noise = noise }
        if let feedbackLearningRate { settings.feedbackLearningRate = feedbackLearningRate }
        if let feedbackSolver { settings.solver = feedbackSolver }
        if let ridge { settings.ridge = ridge }
        if let feedbackWarmup { settings.warmupEpochs = feedbackWarmup }
        if let noiseProbability { settings.noiseProbability = noiseProbability }
        return settings
    }

    func parsedKickbackScales() throws -> [Float]? {
        if kickbackScales == "auto" { return nil }
        return try kickbackScales.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let value = Float(part.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
                throw ValidationError("--kickback-scales: expected positive factors such as 1 or 2,1, or 'auto', found '\(kickbackScales)'")
            }
            return value
        }
    }

    func validate() throws {
        if networkKind == .rnn {
            _ = try recurrentConfiguration(epochs: 1)
        } else {
            if dataset.isSequenceTask {
                throw ValidationError("--dataset: \(dataset.rawValue) is a sequence task; train it with --model rnn")
            }
            _ = try configuration(epochs: 1)
        }
    }

    /// The recurrent run these flags describe (`--model rnn`).
    func recurrentConfiguration(epochs: Int) throws -> RecurrentConfiguration {
        guard dataset.isSequenceTask else {
            throw ValidationError("--model rnn: expected a sequence dataset (delayed-xor), found '\(dataset.rawValue)', which is a table "
                                  + "of independent examples")
        }
        guard let recurrentRule = RecurrentRuleKind(rule: rule) else {
            throw ValidationError("--rule: expected bp, fa or np for --model rnn, found '\(rule)'")
        }
        try refuseFeedForwardFlags()
        let widths = try hiddenLayers()
        guard widths.count == 1 else {
            throw ValidationError("--layers: expected one width (the RNN's hidden units) for --model rnn, found '\(layers)'")
        }
        var configuration = RecurrentConfiguration()
        configuration.hidden = widths[0]
        configuration.bpttSteps = bpttSteps
        if let batchSize { configuration.streams = batchSize }
        configuration.stepsPerEpoch = stepsPerEpoch
        configuration.epochs = epochs
        if let learningRate { configuration.learningRate = learningRate }
        configuration.optimizer = optimizer ?? .sgd
        configuration.momentum = momentum
        configuration.rule = recurrentRule
        if let feedback { configuration.feedback = feedback }
        if let settings = nodePerturbationSettings() { configuration.nodePerturbation = settings }
        configuration.task = DelayedXOR(delay: delay)
        configuration.seed = seed
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    /// Flags the RNN has no use for are refused rather than silently ignored.
    private func refuseFeedForwardFlags() throws {
        let unused: [(flag: String, given: Bool)] = [
            ("--activation", activation != "tanh"), ("--output-activation", outputActivation != nil), ("--init", initializer != "xavier"),
            ("--lr-decay", learningRateDecay != 1), ("--autoencoder", autoencoder), ("--aux-errors", auxiliaryErrors),
            ("--joint", joint != nil), ("--kickback-scales", kickbackScales != "1"), ("--weight-ball", weightBall != nil),
            ("--freeze-forward", freezeForward), ("--probe-every", probeEvery != 0),
            ("--feedback-solver", feedbackSolver != nil && feedbackSolver != .sgd), ("--feedback-warmup", feedbackWarmup != nil),
            ("--ridge", ridge != nil),
        ]
        if let first = unused.first(where: \.given) {
            throw ValidationError("\(first.flag): not used by --model rnn (a tanh RNN with a linear readout; NP through time learns B by sgd)")
        }
    }

    var locator: DataLocator { DataLocator(explicitRoot: dataRoot) }
}
