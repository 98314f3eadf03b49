/// Everything that defines a training run; saved as the run's `config.json` and read back by
/// `--resume`.
public struct TrainingConfiguration: RunConfiguration {
    /// The dataset (its name, for data of one's own a label).
    public var dataset: DatasetName
    /// Hidden layer widths, input side first.
    public var hiddenLayers: [Int]
    /// The hidden units' transfer function.
    public var activation: Activation
    /// The output layer's transfer function; `nil` means identity (logits for cross-entropy).
    public var outputActivation: Activation?
    /// The loss.
    public var loss: Loss
    /// The credit-assignment rule and its own settings.
    public var rule: RuleSpec
    /// Passes over the training set.
    public var epochs: Int
    /// Examples per batch.
    public var batchSize: Int
    /// The first epoch's step size.
    public var learningRate: Float
    /// SGD, momentum or Adam.
    public var optimizer: OptimizerKind
    /// μ for momentum.
    public var momentum: Float
    /// The learning rate is multiplied by this after every epoch (1 = constant).
    public var learningRateDecay: Float
    /// `xavier`, `uniform:A` or `signed:A`.
    public var initializer: String
    /// The seed of every random draw: weights, feedback, data order, noise.
    public var seed: UInt64
    /// How inputs are rescaled before training (fitted on the training set).
    public var inputScaling: InputScaling
    /// Gradient diagnostics on the probe batch every this many batches; 0 = at the end of each
    /// epoch only.
    public var probeEvery: Int
    /// Train on the inputs as targets (an autoencoder).
    public var autoencoder: Bool
    /// The share of positive units in mixed rectifier layers (`--activation mixed-rectifier`).
    public var positiveFraction: Float
    /// The target column (1-based) of a multi-target regression set (the robot joint).
    public var joint: Int?
    /// If set, every unit's incoming weight vector is projected into the ℓ2 ball of this radius
    /// after each step (the setting of Kickback's regret bound, Theorem 2).
    public var weightBall: Float?
    /// Learn only the rule's feedback, never the forward weights (the learned-feedback paper's
    /// Appendix A validation).
    public var freezeForwardWeights: Bool
    /// One transfer function per hidden layer, when they differ; `nil`: `activation` everywhere.
    public var hiddenActivations: [Activation]?
    /// Spikes or dropout in every hidden layer while training; `nil`: noiseless rates.
    public var noise: ActivityNoise?

    /// A configuration; every value has a default that works with the others.
    public init(dataset: DatasetName = .digits, hiddenLayers: [Int] = [100], activation: Activation = .tanh,
                outputActivation: Activation? = nil, loss: Loss = .crossEntropy, rule: RuleSpec = .backprop,
                epochs: Int = 20, batchSize: Int = 32, learningRate: Float = 0.05, optimizer: OptimizerKind = .momentum,
                momentum: Float = 0.9, learningRateDecay: Float = 1, initializer: String = "xavier", seed: UInt64 = 1,
                inputScaling: InputScaling = .raw, probeEvery: Int = 0, autoencoder: Bool = false,
                positiveFraction: Float = 0.5, joint: Int? = nil, weightBall: Float? = nil, freezeForwardWeights: Bool = false) {
        self.dataset = dataset
        self.hiddenLayers = hiddenLayers
        self.activation = activation
        self.outputActivation = outputActivation
        self.loss = loss
        self.rule = rule
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.momentum = momentum
        self.learningRateDecay = learningRateDecay
        self.initializer = initializer
        self.seed = seed
        self.inputScaling = inputScaling
        self.probeEvery = probeEvery
        self.autoencoder = autoencoder
        self.positiveFraction = positiveFraction
        self.joint = joint
        self.weightBall = weightBall
        self.freezeForwardWeights = freezeForwardWeights
    }

    /// The learning rate of every epoch: `learningRate`, times `learningRateDecay` after each.
    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(initial: learningRate, decayPerEpoch: learningRateDecay)
    }

    /// Whether the forward weights learn in `epoch` (1-based): not while frozen, nor during node
    /// perturbation's feedback warm-up.
    public func forwardWeightsLearn(inEpoch epoch: Int) -> Bool {
        !freezeForwardWeights && rule.settings.forwardWeightsLearn(inEpoch: epoch)
    }

    /// The network this configuration trains on data with `inputs` features and `outputs` targets.
    public func architecture(inputs: Int, outputs: Int) -> Architecture {
        let outputWidth = loss.outputWidth(forTargetWidth: outputs)
        return Architecture(sizes: [inputs] + hiddenLayers + [outputWidth], hiddenActivation: activation,
                            outputActivation: loss == .rectilinear ? .mixedRectifier : outputActivation ?? .identity,
                            positiveFraction: positiveFraction, targetWidth: outputWidth == outputs ? nil : outputs,
                            hiddenActivations: hiddenActivations)
    }

    /// What the rule's settings are checked against.
    func ruleContext(targetWidth: Int? = nil, isClassification: Bool? = nil) -> RuleContext {
        RuleContext(hiddenLayers: hiddenLayers, hiddenActivations: hiddenActivations ?? Array(repeating: activation, count: hiddenLayers.count),
                    loss: loss, targetWidth: targetWidth, isClassification: isClassification)
    }

    /// Checks every value that does not depend on the data. Errors name the field.
    public func validate() throws(ConfigurationError) {
        if hiddenLayers.isEmpty && !type(of: rule.settings).allowsNoHiddenLayers {
            throw .invalid(field: "hiddenLayers", value: "", expected: "at least one hidden layer for rule \(rule)")
        }
        if let list = hiddenActivations, list.count != hiddenLayers.count {
            throw .invalid(field: "hiddenActivations", value: list.map(\.rawValue).joined(separator: ","),
                           expected: "one transfer function, or one per hidden layer (\(hiddenLayers.count))")
        }
        try rule.settings.validate(ruleContext())
        if let noise {
            let activations = hiddenActivations ?? Array(repeating: activation, count: hiddenLayers.count)
            if activations.contains(.mixedRectifier) {
                throw .invalid(field: "noise", value: noise.kind.rawValue, expected: "hidden units whose derivative needs no unit index")
            }
            try noise.validate(hiddenActivations: activations)
        }
        if let weightBall, !(weightBall > 0 && weightBall.isFinite) {
            throw .invalid(field: "weightBall", value: "\(weightBall)", expected: "a positive radius")
        }
        guard positiveFraction > 0, positiveFraction < 1 else {
            throw .invalid(field: "positiveFraction", value: "\(positiveFraction)", expected: "a share of positive units in (0, 1)")
        }
        if autoencoder && loss == .crossEntropy {
            throw .invalid(field: "loss", value: loss.rawValue, expected: "squared-error for an autoencoder (--autoencoder)")
        }
        guard probeEvery >= 0 else {
            throw .invalid(field: "probeEvery", value: String(probeEvery), expected: "a number of batches ≥ 0 (0: once per epoch)")
        }
        if let bad = hiddenLayers.first(where: { $0 <= 0 }) {
            throw .invalid(field: "hiddenLayers", value: String(bad), expected: "positive layer widths, e.g. 800,800")
        }
        guard epochs > 0 else { throw .invalid(field: "epochs", value: String(epochs), expected: "a positive number of epochs") }
        guard batchSize > 0 else { throw .invalid(field: "batchSize", value: String(batchSize), expected: "a positive batch size") }
        guard learningRate > 0, learningRate.isFinite else {
            throw .invalid(field: "learningRate", value: "\(learningRate)", expected: "a positive, finite learning rate")
        }
        guard momentum >= 0, momentum < 1 else {
            throw .invalid(field: "momentum", value: "\(momentum)", expected: "a momentum in [0, 1)")
        }
        guard learningRateDecay > 0, learningRateDecay <= 1 else {
            throw .invalid(field: "learningRateDecay", value: "\(learningRateDecay)", expected: "a per-epoch factor in (0, 1]")
        }
        guard Initializer(argument: initializer) != nil else {
            throw .invalid(field: "initializer", value: initializer, expected: "xavier, uniform:A or signed:A with A > 0")
        }
        if loss == .crossEntropy, let output = outputActivation, output != .identity {
            throw .invalid(field: "outputActivation", value: output.rawValue,
                           expected: "identity with --loss cross-entropy (the softmax is part of the loss)")
        }
    }

    /// The width of the targets trained on: 1 for a chosen joint, else the data's.
    func targetWidth(of data: DataSplit) -> Int { joint != nil ? 1 : data.train.outputSize }

    /// Checks the values that depend on the data.
    public func validate(against data: DataSplit) throws(ConfigurationError) {
        guard data.train.count > 0, data.test.count > 0 else {
            throw .invalid(field: "data", value: "\(data.train.count) training, \(data.test.count) test examples",
                           expected: "at least one training and one test example (\(data.source))")
        }
        guard batchSize <= data.train.count else {
            throw .invalid(field: "batchSize", value: String(batchSize),
                           expected: "at most the \(data.train.count) training examples of \(dataset.rawValue)")
        }
        if let joint {
            guard case .values(_, let width) = data.train.targets else {
                throw .invalid(field: "joint", value: String(joint), expected: "no --joint for the classification set \(dataset.rawValue)")
            }
            guard (1...width).contains(joint) else {
                throw .invalid(field: "joint", value: String(joint), expected: "a joint in 1…\(width) for \(dataset.rawValue)")
            }
        }
        let targetWidth = targetWidth(of: data)
        let sizes = [data.train.featureCount] + hiddenLayers + [loss.outputWidth(forTargetWidth: targetWidth)]
        try MemoryBudget.check(floats: memoryFloats(inputs: sizes[0], outputs: sizes.last!), field: "hiddenLayers",
                               value: hiddenLayers.map(String.init).joined(separator: ","),
                               what: "\(sizes.map(String.init).joined(separator: "-")) at batch \(batchSize)")
        try rule.settings.validate(ruleContext(targetWidth: targetWidth, isClassification: data.train.isClassification))
        if loss == .rectilinear && targetWidth != 1 {
            throw .invalid(field: "loss", value: "rectilinear", expected: "a scalar regression target (choose one with --joint)")
        }
        if loss == .crossEntropy && !data.train.isClassification {
            throw .invalid(field: "loss", value: loss.rawValue, expected: "squared-error for the regression set \(dataset.rawValue)")
        }
    }
}

/// A configuration value that cannot work, found before any training starts. It names the field
/// as the configuration's JSON does (`learningRate`, `hiddenLayers`, `rule.noise`, `task.delay`);
/// a rule option that cannot be parsed is named as written (`--noise`). The command line shows
/// each under its flag.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(field: String, value: String, expected: String)

    /// The field, as the configuration names it.
    public var field: String {
        switch self {
        case .invalid(let field, _, _): field
        }
    }

    public var description: String { description(naming: field) }

    /// The message with the field shown as `name` (a command line's flag).
    public func description(naming name: String) -> String {
        switch self {
        case let .invalid(_, value, expected): "\(name): expected \(expected), found '\(value)'"
        }
    }
}

/// A failure during training or while saving or resuming a run.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case diverged(epoch: Int, batch: Int, loss: Double, learningRate: Float)
    case checkpoint(file: String, reason: String)
    case output(file: String, reason: String)

    public var description: String {
        switch self {
        case let .diverged(epoch, batch, loss, learningRate):
            "training diverged: the loss became \(loss) at epoch \(epoch), batch \(batch); try a smaller --lr (was \(learningRate))"
        case let .checkpoint(file, reason): "\(file): cannot resume: \(reason)"
        case let .output(file, reason): "\(file): cannot write: \(reason)"
        }
    }
}
