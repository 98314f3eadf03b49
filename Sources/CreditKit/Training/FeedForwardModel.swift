import Foundation

/// A layered feed-forward ``Network`` with its rule, optimizer and data, as the ``Trainer``
/// drives it: every batch is one ``TrainingStep`` on examples drawn without replacement.
///
/// Randomness: the initial weights come from stream 0 of the seed, the rule's feedback weights
/// from stream 1.
public struct FeedForwardModel: TrainingModel {
    /// What the run trains.
    public let configuration: TrainingConfiguration
    /// The data as trained on (inputs scaled, targets prepared).
    public let data: DataSplit
    /// Where the matrix products run.
    public let backend: LinearAlgebraBackend
    /// The network being trained.
    public var network: Network
    /// The credit-assignment rule, with any feedback weights it owns.
    public var rule: any LearningRule
    /// The optimizer and its state.
    public var optimizer: Optimizer

    private let trainingStep: TrainingStep
    private var workspace: Workspace
    private var evaluationWorkspace: Workspace
    private var order: [Int]
    private var lossScratch: Matrix
    private var probe: GradientProbe
    /// False while only the rule's feedback learns (a frozen run, or node perturbation's warm-up).
    private var forwardWeightsLearn = true

    /// Examples per batch when evaluating.
    public static let evaluationBatchSize = 500

    /// The model `validated` describes on its data (or `network` and `rule` of one's own, which
    /// replace the configuration's).
    init(_ validated: Validated<TrainingConfiguration>, network ownNetwork: Network?, rule ownRule: (any LearningRule)?,
         backend: LinearAlgebraBackend) throws(ConfigurationError) {
        let configuration = validated.configuration
        let given = validated.data!  // a feed-forward configuration is only validated for data
        self.configuration = configuration
        var data = given.scalingInputs(configuration.inputScaling).preparingTargets(column: configuration.joint.map { $0 - 1 })
        if configuration.autoencoder {
            data = DataSplit(train: data.train.asAutoencoder(), test: data.test.asAutoencoder(), source: data.source)
        }
        self.data = data
        self.backend = backend
        let architecture: Architecture
        if let ownNetwork {
            architecture = ownNetwork.architecture
            let outputs = configuration.loss.outputWidth(forTargetWidth: data.train.outputSize)
            guard architecture.sizes.first == data.train.featureCount, architecture.sizes.last == outputs else {
                throw .invalid(field: "network", value: architecture.sizes.map(String.init).joined(separator: "-"),
                               expected: "\(data.train.featureCount) inputs and \(outputs) outputs for the data and the loss")
            }
            network = ownNetwork.withHiddenNoise(configuration.noise)
        } else {
            architecture = configuration.architecture(inputs: data.train.featureCount, outputs: data.train.outputSize)
            var weightRandom = RandomSource(seed: configuration.seed, stream: 0)
            network = Network(architecture: architecture, initializer: Initializer(argument: configuration.initializer)!,
                              random: &weightRandom).withHiddenNoise(configuration.noise)
        }
        var ruleRandom = RandomSource(seed: configuration.seed, stream: 1)
        if let ownRule {
            rule = ownRule
        } else {
            rule = try configuration.rule.settings.makeRule(for: network, loss: configuration.loss, random: &ruleRandom)
        }
        optimizer = Optimizer(settings: OptimizerSettings(kind: configuration.optimizer, momentum: configuration.momentum),
                              learningRate: configuration.learningRateSchedule.rate(inEpoch: 1), network: network)
        trainingStep = TrainingStep(loss: configuration.loss, weightBall: configuration.weightBall, backend: backend)
        workspace = Workspace(architecture: architecture, batchSize: configuration.batchSize)
        let evaluationRows = min(Self.evaluationBatchSize, max(data.test.count, data.train.count))
        evaluationWorkspace = Workspace(architecture: architecture, batchSize: evaluationRows)
        order = Array(0..<data.train.count)
        lossScratch = Matrix(rows: evaluationRows, columns: architecture.outputSize)
        probe = GradientProbe(dataset: data.train, architecture: architecture, seed: configuration.seed)
    }

    /// The network's widths and transfer functions.
    public var architecture: Architecture { network.architecture }
    public var ruleName: String { rule.name }
    public var shape: String { architecture.description }
    public var errorName: String { data.train.isClassification ? "err" : "nMSE" }
    public var batchesPerEpoch: Int { (data.train.count + configuration.batchSize - 1) / configuration.batchSize }
    public var summary: String {
        "\(architecture), rule \(rule.name), \(configuration.optimizer.rawValue) lr \(configuration.learningRate), "
            + "batch \(configuration.batchSize); \(data.train.count) train / \(data.test.count) test from \(data.source); "
            + "GEMM: \(backend.name)"
    }

    public mutating func beginEpoch(_ epoch: Int, random: inout RandomSource) {
        forwardWeightsLearn = configuration.forwardWeightsLearn(inEpoch: epoch)
        rule.epochWillBegin(epoch)
        for i in order.indices { order[i] = i }
        random.shuffle(&order)
    }

    public mutating func trainBatch(_ batch: Int, random: inout RandomSource) -> BatchOutcome {
        let lower = batch * configuration.batchSize
        return step(order[lower..<min(lower + configuration.batchSize, order.count)], random: &random)
    }

    /// One training step on the examples `indices` (at most the batch size).
    @discardableResult
    public mutating func step(_ indices: ArraySlice<Int>, random: inout RandomSource) -> BatchOutcome {
        workspace.setBatchSize(indices.count)
        data.train.fillBatch(indices, input: &workspace.input, target: &workspace.target)
        for (row, index) in indices.enumerated() { workspace.examples[row] = index }
        return stepOnFilledBatch(random: &random)
    }

    /// One training step on the consecutive training examples `range`.
    @discardableResult
    public mutating func step(_ range: Range<Int>, random: inout RandomSource) -> BatchOutcome {
        workspace.setBatchSize(range.count)
        data.train.fillBatch(range, input: &workspace.input, target: &workspace.target)
        for (row, index) in range.enumerated() { workspace.examples[row] = index }
        return stepOnFilledBatch(random: &random)
    }

    private mutating func stepOnFilledBatch(random: inout RandomSource) -> BatchOutcome {
        let loss = trainingStep(network: &network, rule: &rule, optimizer: &optimizer, workspace: &workspace,
                                updateForwardWeights: forwardWeightsLearn, random: &random)
        // The outputs are those of the forward pass before the update: count the errors from them.
        let rows = workspace.batchSize
        guard data.train.isClassification else { return BatchOutcome(loss: loss, examples: rows) }
        return BatchOutcome(loss: loss, examples: rows, judged: rows, wrong: Self.misclassified(workspace.output, workspace.target))
    }

    public func trainError(of epoch: BatchOutcome) -> Double {
        data.train.isClassification ? Double(epoch.wrong) / Double(epoch.judged)
            : Self.normalizedMSE(meanLoss: epoch.loss / Double(epoch.examples), of: data.train)
    }

    public mutating func evaluateTest() -> (loss: Double, error: Double) { evaluate(data.test) }

    public mutating func diagnose() -> GradientDiagnostics {
        let reference = BackpropagationSettings.backpropagation(for: network, loss: configuration.loss)
        return probe.measure(network: network, rule: rule, reference: reference, loss: configuration.loss, dataset: data.train,
                             backend: backend)
    }

    public mutating func takeWarnings() -> [String] { rule.takeWarnings() }

    /// `W1`, `b1`, `W2`, … from the input side.
    public var parameters: [NamedTensor] {
        network.layers.enumerated().flatMap { ℓ, layer in [NamedTensor("W\(ℓ + 1)", layer.weights), NamedTensor("b\(ℓ + 1)", layer.biases)] }
    }

    public mutating func restoreParameters(_ parameters: [NamedTensor]) {
        // Weights and biases only: the units' kinds (a mixed rectifier's negative units) belong
        // to the configuration's network, and a checkpoint does not carry them.
        for ℓ in network.layers.indices {
            network.layers[ℓ].weights = parameters[2 * ℓ].value
            network.layers[ℓ].biases = parameters[2 * ℓ + 1].value
        }
    }

    public var ruleState: [NamedTensor] {
        get { rule.state }
        set { rule.state = newValue }
    }

    /// Mean loss and classification error (for regression sets the normalized MSE) of the current
    /// network on `dataset`.
    public mutating func evaluate(_ dataset: Dataset) -> (loss: Double, error: Double) {
        var totalLoss = 0.0, errors = 0
        let rows = evaluationWorkspace.capacity
        // Noisy evaluation (if asked for) draws the same noise every time, from a stream no epoch uses.
        var noiseRandom = RandomSource(seed: configuration.seed, stream: 1 << 40)
        let noisy = configuration.noise?.atEvaluation ?? false
        var lower = 0
        while lower < dataset.count {
            let upper = min(lower + rows, dataset.count)
            evaluationWorkspace.setBatchSize(upper - lower)
            lossScratch.resizeRows(upper - lower)
            dataset.fillBatch(lower..<upper, input: &evaluationWorkspace.input, target: &evaluationWorkspace.target)
            if noisy {
                network.forward(&evaluationWorkspace, random: &noiseRandom, backend: backend)
            } else {
                network.forward(&evaluationWorkspace, backend: backend)
            }
            rule.infer(network: network, workspace: &evaluationWorkspace, backend: backend)
            totalLoss += configuration.loss.value(output: evaluationWorkspace.output, target: evaluationWorkspace.target,
                                                  scratch: &lossScratch)
            if dataset.isClassification { errors += Self.misclassified(evaluationWorkspace.output, evaluationWorkspace.target) }
            lower = upper
        }
        let n = Double(max(dataset.count, 1))
        return (totalLoss / n, dataset.isClassification ? Double(errors) / n : Self.normalizedMSE(meanLoss: totalLoss / n, of: dataset))
    }

    /// The network's outputs for the examples `indices` of `dataset` (e.g. an autoencoder's
    /// reconstructions), one row each.
    public func predict(_ dataset: Dataset, indices: [Int]) -> Matrix {
        hiddenActivity(dataset, indices: indices, layer: network.depth - 1)
    }

    /// The activity `hˡᵃʸᵉʳ⁺¹` of weight layer `layer` (0-based; the last is the output) for the
    /// examples `indices`, one row each (e.g. an autoencoder's bottleneck code).
    public func hiddenActivity(_ dataset: Dataset, indices: [Int], layer: Int) -> Matrix {
        var workspace = Workspace(architecture: architecture, batchSize: indices.count)
        dataset.fillBatch(indices[...], input: &workspace.input, target: &workspace.target)
        network.forward(&workspace, backend: backend)
        return workspace.activities[layer]
    }

    /// For regression sets: MSE per target value over the targets' variance (the mean loss is
    /// ½ of the summed squared error per example); NaN otherwise.
    static func normalizedMSE(meanLoss: Double, of dataset: Dataset) -> Double {
        guard case .values(_, let width) = dataset.targets, let statistics = dataset.targetStatistics, statistics.deviation > 0 else {
            return .nan
        }
        return 2 * meanLoss / Double(width) / (statistics.deviation * statistics.deviation)
    }

    /// Rows whose largest output is not at the target's one-hot position.
    static func misclassified(_ output: Matrix, _ target: Matrix) -> Int {
        var errors = 0
        let columns = output.columns
        output.storage.withUnsafeBufferPointer { o in
            target.storage.withUnsafeBufferPointer { t in
                for r in 0..<output.rows {
                    let base = r * columns
                    var best = 0, truth = 0
                    for c in 1..<columns {
                        if o[base + c] > o[base + best] { best = c }
                        if t[base + c] > t[base + truth] { truth = c }
                    }
                    if best != truth { errors += 1 }
                }
            }
        }
        return errors
    }
}
