import Foundation

/// Trains a model epoch by epoch: the loop every model shares — the epoch's learning rate and
/// random streams, its batches, divergence checks, progress, probe diagnostics, the test
/// evaluation and the epoch's record — and the checkpoint of its named tensors.
///
/// The model is a ``FeedForwardModel`` (a ``Network`` with any rule) or a ``RecurrentModel``
/// (a ``RecurrentNetwork`` through time); both are made by an `init(configuration:…)` of this
/// type. All randomness is derived from the configuration's seed, each epoch's from streams named
/// by the epoch, so resuming at any epoch reproduces the uninterrupted run bit for bit (on one
/// backend).
public struct Trainer<Model: TrainingModel>: Sendable {
    /// The model being trained, with its rule, optimizer and data.
    public var model: Model
    /// Every finished epoch.
    public private(set) var history: [EpochRecord] = []
    /// What the rule reported while learning, collected after every epoch.
    public private(set) var warnings: [String] = []

    /// Trains `model` from its present state.
    public init(model: Model) {
        self.model = model
    }

    /// What the run trains.
    public var configuration: Model.Configuration { model.configuration }
    /// Epochs finished.
    public var epochsCompleted: Int { history.count }

    /// The gradient diagnostics of the current model and rule on the fixed probe batch.
    public mutating func diagnose() -> GradientDiagnostics { model.diagnose() }

    /// Trains one epoch, then evaluates on the test data. `onEvent` receives progress.
    @discardableResult
    public mutating func trainEpoch(onEvent: (TrainingEvent) -> Void = { _ in }) throws(TrainingError) -> EpochRecord {
        let epoch = epochsCompleted + 1
        let configuration = model.configuration
        model.optimizer.learningRate = configuration.learningRateSchedule.rate(inEpoch: epoch)
        var dataRandom = RandomSource(seed: configuration.seed, stream: UInt64(2 * epoch))
        var batchRandom = RandomSource(seed: configuration.seed, stream: UInt64(2 * epoch + 1))
        model.beginEpoch(epoch, random: &dataRandom)

        let start = DispatchTime.now().uptimeNanoseconds
        let batches = model.batchesPerEpoch
        var total = BatchOutcome()
        var probes: [ProbeSample] = []
        let remainingEpochs = configuration.epochs - epoch
        for b in 0..<batches {
            let outcome = model.trainBatch(b, random: &batchRandom)
            guard outcome.loss.isFinite else {
                throw .diverged(epoch: epoch, batch: b + 1, loss: outcome.loss, learningRate: model.optimizer.learningRate)
            }
            total += outcome
            if configuration.probeEvery > 0, (b + 1) % configuration.probeEvery == 0, b + 1 < batches {
                let sample = ProbeSample(epoch: epoch, batch: b + 1, diagnostics: model.diagnose())
                probes.append(sample)
                onEvent(.diagnostics(sample))
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let rate = Double(total.examples) / max(elapsed, 1e-9)
            let perEpoch = Double(total.examples) / Double(b + 1) * Double(batches)
            let remainingExamples = perEpoch - Double(total.examples) + Double(remainingEpochs) * perEpoch
            onEvent(.batch(BatchProgress(epoch: epoch, epochs: configuration.epochs, batch: b + 1, batches: batches,
                                         loss: total.loss / Double(total.examples), samplesPerSecond: rate,
                                         secondsRemaining: remainingExamples / rate)))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        for warning in model.takeWarnings() {
            warnings.append(warning)
            onEvent(.warning(warning))
        }
        let sample = ProbeSample(epoch: epoch, batch: batches, diagnostics: model.diagnose())
        probes.append(sample)
        onEvent(.diagnostics(sample))
        let test = model.evaluateTest()
        var record = EpochRecord(
            epoch: epoch, trainLoss: total.loss / Double(total.examples), trainError: model.trainError(of: total),
            testLoss: test.loss, testError: test.error, learningRate: model.optimizer.learningRate,
            seconds: seconds, samplesPerSecond: Double(total.examples) / seconds)
        record.probes = probes
        history.append(record)
        onEvent(.epoch(record))
        return record
    }

    /// The trained state as a checkpoint.
    public var checkpoint: Checkpoint {
        Checkpoint(ruleName: model.ruleName, optimizer: model.optimizer.settings.kind, optimizerStep: model.optimizer.step,
                   parameters: model.parameters, optimizerBuffers: model.optimizer.firstMoments + model.optimizer.secondMoments,
                   ruleState: model.ruleState, history: history)
    }

    /// Replaces the trained state with a checkpoint's (for `--resume`), after checking that it
    /// was written by a run of this rule and optimizer with tensors of these names and shapes.
    /// `file` names the checkpoint in errors.
    public mutating func restore(_ checkpoint: Checkpoint, file: String = "checkpoint") throws(TrainingError) {
        guard checkpoint.ruleName == model.ruleName else {
            throw .checkpoint(file: file, reason: "was written by rule \(checkpoint.ruleName), the configuration uses \(model.ruleName)")
        }
        let optimizer = model.optimizer
        guard checkpoint.optimizer == optimizer.settings.kind else {
            throw .checkpoint(file: file, reason: "was written with optimizer \(checkpoint.optimizer.rawValue), "
                              + "the configuration uses \(optimizer.settings.kind.rawValue)")
        }
        try Self.check(checkpoint.parameters, fits: model.parameters, what: "parameters", file: file)
        try Self.check(checkpoint.ruleState, fits: model.ruleState, what: "rule state", file: file)
        let buffers = optimizer.firstMoments + optimizer.secondMoments
        guard checkpoint.optimizerBuffers.map(TensorArchive.shape) == buffers.map(TensorArchive.shape) else {
            throw .checkpoint(file: file, reason: "its optimizer state does not fit the parameters")
        }
        model.restoreParameters(checkpoint.parameters)
        model.ruleState = checkpoint.ruleState
        model.optimizer.firstMoments = Array(checkpoint.optimizerBuffers.prefix(optimizer.firstMoments.count))
        model.optimizer.secondMoments = Array(checkpoint.optimizerBuffers.dropFirst(optimizer.firstMoments.count))
        if !checkpoint.momentumBuffersDecayed { model.optimizer.decayVelocities() }
        model.optimizer.restore(step: checkpoint.optimizerStep)
        history = checkpoint.history
    }

    /// Names and shapes must agree one for one: a checkpoint never fills a tensor by position alone.
    private static func check(_ held: [NamedTensor], fits expected: [NamedTensor], what: String, file: String) throws(TrainingError) {
        func listing(_ tensors: [NamedTensor]) -> String {
            "[" + tensors.map { "\($0.name) \($0.value.rows)×\($0.value.columns)" }.joined(separator: ", ") + "]"
        }
        guard held.map(\.name) == expected.map(\.name),
              held.map({ TensorArchive.shape($0.value) }) == expected.map({ TensorArchive.shape($0.value) }) else {
            throw .checkpoint(file: file, reason: "holds \(what) \(listing(held)), the configuration has \(listing(expected))")
        }
    }
}

extension Trainer where Model == FeedForwardModel {
    /// A trainer for `configuration` on `data`, after checking the configuration against the data.
    public init(configuration: TrainingConfiguration, data: DataSplit, backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        try self.init(configuration.validated(for: data), backend: backend)
    }

    /// A trainer for a configuration checked against its data.
    public init(_ validated: Validated<TrainingConfiguration>, backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        self.init(model: try FeedForwardModel(validated, network: nil, rule: nil, backend: backend))
    }

    /// Trains a network and a rule of your own: `network` replaces the one the configuration would
    /// build (its input width must be the data's, its output the loss's), and `rule` replaces the
    /// configuration's rule. The configuration supplies everything else (loss, optimizer, batch,
    /// epochs, seed); its own layer list and rule are not used. Resume with ``restore(_:file:)`` on a
    /// trainer made the same way.
    public init(network: Network, rule: any LearningRule, data: DataSplit, configuration: TrainingConfiguration = TrainingConfiguration(),
                backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        var configuration = configuration
        configuration.hiddenLayers = Array(network.architecture.sizes.dropFirst().dropLast())
        configuration.hiddenActivations = nil
        configuration.rule = .backprop
        self.init(model: try FeedForwardModel(configuration.validated(for: data), network: network, rule: rule, backend: backend))
    }

    /// The network being trained.
    public var network: Network {
        get { model.network }
        set { model.network = newValue }
    }
    /// The credit-assignment rule, with any feedback weights it owns.
    public var rule: any LearningRule {
        get { model.rule }
        set { model.rule = newValue }
    }
    /// The data as trained on (inputs scaled, targets prepared).
    public var data: DataSplit { model.data }
    /// The network's widths and transfer functions.
    public var architecture: Architecture { model.architecture }
    /// Where the matrix products run.
    public var backend: LinearAlgebraBackend { model.backend }
}
