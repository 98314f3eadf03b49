import Foundation

/// Trains a network with a learning rule: the shared loop of forward pass, loss, credit
/// assignment, local update and optimizer step.
///
/// All randomness is derived from the configuration's seed: the initial weights from stream 0,
/// the rule's feedback weights from stream 1, each epoch's data order and per-batch draws from
/// streams named by the epoch. Resuming at any epoch therefore reproduces the uninterrupted run
/// bit for bit (on one backend).
public struct Trainer: Sendable {
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
    /// Every finished epoch.
    public private(set) var history: [EpochRecord] = []
    /// Epochs finished.
    public var epochsCompleted: Int { history.count }

    private let trainingStep: TrainingStep
    private var workspace: Workspace
    private var evaluationWorkspace: Workspace
    private var order: [Int]
    private var lossScratch: Matrix
    private var probe: GradientProbe
    /// False while only the rule's feedback learns (a frozen run, or node perturbation's warm-up).
    private var forwardWeightsLearn = true
    /// What the rule reported while learning its feedback, collected after every epoch.
    public private(set) var warnings: [String] = []

    /// Examples per batch when evaluating.
    public static let evaluationBatchSize = 500

    /// A trainer for `configuration` on `data`, after checking the configuration against the data.
    public init(configuration: TrainingConfiguration, data: DataSplit, backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        try self.init(configuration: configuration, data: data, network: nil, rule: nil, backend: backend)
    }

    /// Trains a network and a rule of your own: `network` replaces the one the configuration would
    /// build (its input width must be the data's, its output the loss's), and `rule` replaces the
    /// configuration's rule. The configuration supplies everything else (loss, optimizer, batch,
    /// epochs, seed); its own layer list and rule are not used. Resume with ``restore(_:)`` on a
    /// trainer made the same way.
    public init(network: Network, rule: any LearningRule, data: DataSplit, configuration: TrainingConfiguration = TrainingConfiguration(),
                backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        var configuration = configuration
        configuration.hiddenLayers = Array(network.architecture.sizes.dropFirst().dropLast())
        configuration.hiddenActivations = nil
        configuration.rule = .backprop
        try self.init(configuration: configuration, data: data, network: network, rule: rule, backend: backend)
    }

    private init(configuration: TrainingConfiguration, data: DataSplit, network ownNetwork: Network?, rule ownRule: (any LearningRule)?,
                 backend: LinearAlgebraBackend) throws(ConfigurationError) {
        try configuration.validate()
        try configuration.validate(against: data)
        self.configuration = configuration
        var data = data.scalingInputs(configuration.inputScaling).preparingTargets(column: configuration.joint.map { $0 - 1 })
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
                throw .invalid(flag: "network", value: architecture.sizes.map(String.init).joined(separator: "-"),
                               expected: "\(data.train.featureCount) inputs and \(outputs) outputs for the data and the loss")
            }
            network = ownNetwork
        } else {
            architecture = configuration.architecture(inputs: data.train.featureCount, outputs: data.train.outputSize)
            var weightRandom = RandomSource(seed: configuration.seed, stream: 0)
            network = Network(architecture: architecture, initializer: Initializer(argument: configuration.initializer)!,
                              random: &weightRandom)
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

    /// The gradient diagnostics of the current network and rule on the fixed probe batch.
    public mutating func diagnose() -> GradientDiagnostics {
        let reference = BackpropagationSettings.backpropagation(for: network, loss: configuration.loss)
        return probe.measure(network: network, rule: rule, reference: reference, loss: configuration.loss, dataset: data.train,
                             backend: backend)
    }

    /// The network's widths and transfer functions.
    public var architecture: Architecture { network.architecture }
    /// Batches in an epoch (the last may be smaller).
    public var batchesPerEpoch: Int { (data.train.count + configuration.batchSize - 1) / configuration.batchSize }

    /// One training step on the examples `indices` (at most the batch size). Returns the summed
    /// loss and the number of misclassified examples in the batch (0 for regression).
    @discardableResult
    public mutating func step(_ indices: ArraySlice<Int>, random: inout RandomSource) -> (loss: Double, errors: Int) {
        workspace.setBatchSize(indices.count)
        data.train.fillBatch(indices, input: &workspace.input, target: &workspace.target)
        return stepOnFilledBatch(random: &random)
    }

    /// One training step on the consecutive training examples `range`.
    @discardableResult
    public mutating func step(_ range: Range<Int>, random: inout RandomSource) -> (loss: Double, errors: Int) {
        workspace.setBatchSize(range.count)
        data.train.fillBatch(range, input: &workspace.input, target: &workspace.target)
        return stepOnFilledBatch(random: &random)
    }

    private mutating func stepOnFilledBatch(random: inout RandomSource) -> (loss: Double, errors: Int) {
        // The outputs are those of the forward pass before the update: count the errors from them.
        var errors = 0
        let loss = trainingStep(network: &network, rule: &rule, optimizer: &optimizer, workspace: &workspace,
                                updateForwardWeights: forwardWeightsLearn, random: &random)
        if data.train.isClassification { errors = Self.misclassified(workspace.output, workspace.target) }
        return (loss, errors)
    }

    /// Trains one epoch, then evaluates on the test set. `onEvent` receives progress.
    @discardableResult
    public mutating func trainEpoch(onEvent: (TrainingEvent) -> Void = { _ in }) throws(TrainingError) -> EpochRecord {
        let epoch = epochsCompleted + 1
        optimizer.learningRate = configuration.learningRateSchedule.rate(inEpoch: epoch)
        forwardWeightsLearn = configuration.forwardWeightsLearn(inEpoch: epoch)
        rule.epochWillBegin(epoch)
        var orderRandom = RandomSource(seed: configuration.seed, stream: UInt64(2 * epoch))
        var ruleRandom = RandomSource(seed: configuration.seed, stream: UInt64(2 * epoch + 1))
        for i in order.indices { order[i] = i }
        orderRandom.shuffle(&order)

        let start = DispatchTime.now().uptimeNanoseconds
        let batches = batchesPerEpoch
        var totalLoss = 0.0, totalErrors = 0, seen = 0
        var probes: [ProbeSample] = []
        let remainingEpochs = configuration.epochs - epoch
        for b in 0..<batches {
            let lower = b * configuration.batchSize
            let upper = min(lower + configuration.batchSize, order.count)
            let (loss, errors) = step(order[lower..<upper], random: &ruleRandom)
            guard loss.isFinite else {
                throw .diverged(epoch: epoch, batch: b + 1, loss: loss, learningRate: optimizer.learningRate)
            }
            totalLoss += loss
            totalErrors += errors
            seen += upper - lower
            if configuration.probeEvery > 0, (b + 1) % configuration.probeEvery == 0, b + 1 < batches {
                let sample = ProbeSample(epoch: epoch, batch: b + 1, diagnostics: diagnose())
                probes.append(sample)
                onEvent(.diagnostics(sample))
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let rate = Double(seen) / max(elapsed, 1e-9)
            let remainingSamples = Double(order.count - seen + remainingEpochs * order.count)
            onEvent(.batch(BatchProgress(epoch: epoch, epochs: configuration.epochs, batch: b + 1, batches: batches,
                                         loss: totalLoss / Double(seen), samplesPerSecond: rate,
                                         secondsRemaining: remainingSamples / rate)))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        for warning in rule.takeWarnings() {
            warnings.append(warning)
            onEvent(.warning(warning))
        }
        let sample = ProbeSample(epoch: epoch, batch: batches, diagnostics: diagnose())
        probes.append(sample)
        onEvent(.diagnostics(sample))
        let test = evaluate(data.test)
        var record = EpochRecord(
            epoch: epoch, trainLoss: totalLoss / Double(seen),
            trainError: data.train.isClassification ? Double(totalErrors) / Double(seen)
                : Self.normalizedMSE(meanLoss: totalLoss / Double(seen), of: data.train),
            testLoss: test.loss, testError: test.error, learningRate: optimizer.learningRate,
            seconds: seconds, samplesPerSecond: Double(seen) / seconds)
        record.probes = probes
        history.append(record)
        onEvent(.epoch(record))
        return record
    }

    /// Mean loss and classification error (NaN for regression) of the current network on `dataset`.
    public mutating func evaluate(_ dataset: Dataset) -> (loss: Double, error: Double) {
        var totalLoss = 0.0, errors = 0
        let rows = evaluationWorkspace.capacity
        var lower = 0
        while lower < dataset.count {
            let upper = min(lower + rows, dataset.count)
            evaluationWorkspace.setBatchSize(upper - lower)
            lossScratch.resizeRows(upper - lower)
            dataset.fillBatch(lower..<upper, input: &evaluationWorkspace.input, target: &evaluationWorkspace.target)
            network.forward(&evaluationWorkspace, backend: backend)
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

    /// Replaces the trained state with a checkpoint's (for `--resume`).
    public mutating func restore(_ checkpoint: Checkpoint) throws(TrainingError) {
        try checkpoint.apply(to: &network, optimizer: &optimizer, rule: &rule)
        history = checkpoint.history
    }

    /// The trained state as a checkpoint.
    public var checkpoint: Checkpoint {
        Checkpoint(network: network, optimizer: optimizer, rule: rule, history: history)
    }
}
