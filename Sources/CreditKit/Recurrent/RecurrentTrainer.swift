import Foundation

/// How a recurrent network's credit travels back through time, read from the run's rule:
/// backprop's exact transposes (truncated BPTT), node perturbation's matrices learned from noise
/// through the window, or the matrices of any rule that works on feedback paths (FA, matching,
/// Kolen–Pollack, weight mirrors: ``RuleSettings/makePathLearning(for:random:)``).
enum RecurrentTransport: Equatable {
    case exact
    case nodePerturbation(NodePerturbationSettings)
    case paths

    /// The transport, the initial feedback (`B_out`, `B_rec`) and, for path rules, their learner.
    static func make(rule: RuleSpec, network: RecurrentNetwork, random: inout RandomSource) throws(ConfigurationError)
        -> (RecurrentTransport, [Matrix], (any FeedbackPathLearner)?) {
        if rule == .backprop {
            // Drawn, unused, so that every rule's run draws the same numbers from the seed.
            return (.exact, FeedbackFamily.xavier.pathFeedback(for: network, random: &random), nil)
        }
        if let settings = rule.settings(as: NodePerturbationSettings.self) {
            guard settings.solver == .sgd, settings.warmupEpochs == 0 else {
                throw .invalid(flag: "--rule", value: "np", expected: "node perturbation by sgd without warm-up for an RNN")
            }
            return (.nodePerturbation(settings), settings.feedback.pathFeedback(for: network, random: &random), nil)
        }
        if let (feedback, learner) = rule.settings.makePathLearning(for: network, random: &random) {
            return (.paths, feedback, learner)
        }
        throw .invalid(flag: "--rule", value: rule.description,
                       expected: "a rule that works through time: bp, fa, np, matching, kp or wm")
    }
}

extension RuleSpec {
    /// Feedback alignment through time as the RNN experiments use it: Xavier-drawn feedback.
    public static let recurrentFeedbackAlignment = RuleSpec(GeneralFeedbackSettings(.feedbackAlignment, feedback: .xavier))
}

/// Everything that defines a recurrent run (`credit train-rnn`).
public struct RecurrentConfiguration: Sendable, Codable, Equatable {
    public var hidden: Int = 50
    /// `k`: the window of truncated BPTT (and of every rule through time).
    public var bpttSteps: Int = 7
    /// Parallel streams, the batch.
    public var streams: Int = 20
    /// Steps of every stream per epoch.
    public var stepsPerEpoch: Int = 50_000
    public var epochs: Int = 10
    public var learningRate: Float = 0.01
    /// The shared optimizer (plain SGD is the paper's choice for the RNN).
    public var optimizer: OptimizerKind = .sgd
    /// μ for `optimizer == .momentum`.
    public var momentum: Float = 0.9
    /// The rule with its own settings: bp (truncated BPTT), fa, np, matching, kp or wm.
    public var rule: RuleSpec = .backprop
    public var task = DelayedXOR()
    public var seed: UInt64 = 1

    public init() {}

    public func validate() throws(ConfigurationError) {
        guard bpttSteps > 0 else { throw .invalid(flag: "--bptt-steps", value: "\(bpttSteps)", expected: "a positive number of steps") }
        guard hidden > 0 else { throw .invalid(flag: "--layers", value: "\(hidden)", expected: "one positive width for the RNN") }
        guard streams > 0 else { throw .invalid(flag: "--batch-size", value: "\(streams)", expected: "a positive number of streams") }
        guard epochs > 0 else { throw .invalid(flag: "--epochs", value: "\(epochs)", expected: "a positive number of epochs") }
        guard stepsPerEpoch >= bpttSteps else {
            throw .invalid(flag: "--steps-per-epoch", value: "\(stepsPerEpoch)", expected: "at least one window of \(bpttSteps) steps")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw .invalid(flag: "--lr", value: "\(learningRate)", expected: "a positive, finite learning rate")
        }
        guard momentum >= 0, momentum < 1 else {
            throw .invalid(flag: "--momentum", value: "\(momentum)", expected: "a momentum in [0, 1)")
        }
        var random = RandomSource(seed: 0)
        let probe = RecurrentNetwork(inputs: 1, hidden: 1, outputs: 1, random: &random)
        if case .nodePerturbation(let settings) = try RecurrentTransport.make(rule: rule, network: probe, random: &random).0 {
            try settings.validate()
        }
        try rule.settings.validate(RuleContext(hiddenLayers: [hidden], hiddenActivations: [.tanh], loss: .squaredError))
        try task.validate()
    }
}

/// One epoch of a recurrent run.
public struct RecurrentEpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    /// Mean squared-error loss per stream and step.
    public var trainLoss: Double
    public var testLoss: Double
    /// Share of XOR answers with the right sign on the test streams.
    public var testAccuracy: Double
    /// Angle of the rule's δaₜ to BPTT's, averaged over the window's steps (probe window).
    public var creditAngle: Double
    /// Angles of ΔW_rec and ΔW_in to BPTT's over the probe window.
    public var recurrentWeightAngle: Double
    public var inputWeightAngle: Double
    /// ‖Wᵀ − B‖/‖W‖ and sign congruence of the readout and recurrent feedback (NaN for BPTT).
    public var readoutRelativeError: Double
    public var recurrentRelativeError: Double
    public var readoutSignCongruence: Double
    public var recurrentSignCongruence: Double
    public var seconds: Double
}

/// Trains a ``RecurrentNetwork`` on continuous streams with truncated windows: each window of
/// `k` steps runs forward from the state the last one left, assigns credit back to its first
/// step, updates the weights with the shared ``Optimizer``, and hands its last state on.
public struct RecurrentTrainer: Sendable {
    public let configuration: RecurrentConfiguration
    public let backend: LinearAlgebraBackend
    public internal(set) var network: RecurrentNetwork
    /// `B_out` stored like `W_out` `(O, H)` and `B_rec` like `W_rec` `(H, H)` (BPTT uses the
    /// weights themselves).
    public internal(set) var feedback: [Matrix]
    /// `B_out`.
    public var readoutFeedback: Matrix { feedback[0] }
    /// `B_rec`.
    public var recurrentFeedback: Matrix { feedback[1] }
    public private(set) var history: [RecurrentEpochRecord] = []

    private let transport: RecurrentTransport
    /// How a path rule learns `feedback` (nil for BPTT and NP).
    private var pathLearner: (any FeedbackPathLearner)?
    private var window: RecurrentWindow
    private var noisyWindow: RecurrentWindow
    private var noise: [Matrix]
    private var gradients: [Matrix]
    private var optimizer: Optimizer
    private let test: SequenceBatch
    private let probe: SequenceBatch

    public init(configuration: RecurrentConfiguration, backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.backend = backend
        let (inputs, outputs, hidden) = (DelayedXOR.inputWidth, 1, configuration.hidden)
        var weightRandom = RandomSource(seed: configuration.seed, stream: 0)
        network = RecurrentNetwork(inputs: inputs, hidden: hidden, outputs: outputs, random: &weightRandom)
        var feedbackRandom = RandomSource(seed: configuration.seed, stream: 1)
        (transport, feedback, pathLearner) = try RecurrentTransport.make(rule: configuration.rule, network: network, random: &feedbackRandom)
        let k = configuration.bpttSteps, streams = configuration.streams
        window = RecurrentWindow(streams: streams, steps: k, inputs: inputs, hidden: hidden, outputs: outputs)
        noisyWindow = window
        noise = (0...k).map { _ in Matrix(rows: streams, columns: hidden) }
        gradients = network.parameters.map { Matrix(rows: $0.rows, columns: $0.columns) }
        let settings = OptimizerSettings(kind: configuration.optimizer, momentum: configuration.momentum)
        optimizer = Optimizer(settings: settings, learningRate: configuration.learningRate, parameters: network.parameters)
        var testRandom = RandomSource(seed: configuration.seed, stream: 0x7E57)
        test = configuration.task.generate(streams: streams, steps: max(5_000 / k, 1) * k, random: &testRandom)
        var probeRandom = RandomSource(seed: configuration.seed, stream: 0x9E0B)
        probe = configuration.task.generate(streams: streams, steps: 10 * k, random: &probeRandom)
    }

    public var epochsCompleted: Int { history.count }

    /// The trained state after the last finished epoch.
    public var checkpoint: RecurrentCheckpoint {
        RecurrentCheckpoint(rule: configuration.rule.description, optimizer: configuration.optimizer, optimizerStep: optimizer.step,
                            tensors: network.parameters + feedback + optimizer.firstMoments + optimizer.secondMoments,
                            ruleState: pathLearner?.state ?? [], history: history)
    }

    /// Replaces the trained state with a checkpoint's (for `--resume`), after checking that it was
    /// written by a run of this rule, optimizer and size.
    public mutating func restore(_ checkpoint: RecurrentCheckpoint, file: String = "checkpoint") throws(TrainingError) {
        guard checkpoint.rule == configuration.rule.description, checkpoint.optimizer == configuration.optimizer else {
            throw .checkpoint(file: file, reason: "was written by rule \(checkpoint.rule) with \(checkpoint.optimizer.rawValue), "
                              + "the configuration uses \(configuration.rule) with \(configuration.optimizer.rawValue)")
        }
        guard checkpoint.tensors.map(TensorArchive.shape) == self.checkpoint.tensors.map(TensorArchive.shape) else {
            throw .checkpoint(file: file, reason: "its tensors do not fit an RNN of \(configuration.hidden) hidden units with this optimizer")
        }
        let expectedState = pathLearner?.state ?? []
        guard checkpoint.ruleState.map(\.name) == expectedState.map(\.name),
              checkpoint.ruleState.map({ TensorArchive.shape($0.value) }) == expectedState.map({ TensorArchive.shape($0.value) }) else {
            throw .checkpoint(file: file, reason: "its rule state \(checkpoint.ruleState.map(\.name)) is not rule \(configuration.rule)'s")
        }
        let t = checkpoint.tensors
        (network.inputWeights, network.recurrentWeights, network.biases, network.readoutWeights, network.readoutBiases) = (t[0], t[1], t[2], t[3], t[4])
        feedback = [t[5], t[6]]
        pathLearner?.state = checkpoint.ruleState
        let moments = Array(t.dropFirst(7))
        optimizer.firstMoments = Array(moments.prefix(optimizer.firstMoments.count))
        optimizer.secondMoments = Array(moments.dropFirst(optimizer.firstMoments.count))
        optimizer.restore(step: checkpoint.optimizerStep)
        history = checkpoint.history
    }

    /// One pass over `stepsPerEpoch` fresh steps of every stream, then the test streams and the probe.
    @discardableResult
    public mutating func trainEpoch(onProgress: (Double) -> Void = { _ in }) throws(TrainingError) -> RecurrentEpochRecord {
        let epoch = epochsCompleted + 1
        let start = DispatchTime.now().uptimeNanoseconds
        var dataRandom = RandomSource(seed: configuration.seed, stream: UInt64(2 * epoch))
        var noiseRandom = RandomSource(seed: configuration.seed, stream: UInt64(2 * epoch + 1))
        let k = configuration.bpttSteps
        let windows = configuration.stepsPerEpoch / k
        pathLearner?.epochWillBegin(epoch)
        let data = configuration.task.generate(streams: configuration.streams, steps: windows * k, random: &dataRandom)
        window.states[0] = Matrix(rows: configuration.streams, columns: configuration.hidden)
        var total = 0.0
        for w in 0..<windows {
            window.load(data, from: w * k)
            network.forward(&window, backend: backend)
            total += window.losses.reduce(0.0) { $0 + Double($1) }
            assignCredit(&window)
            if case .nodePerturbation(let settings) = transport { learnFeedback(data, from: w * k, settings: settings, random: &noiseRandom) }
            if var learner = pathLearner {
                pathLearner = nil  // the local copy is then the only one: learning mutates it in place
                learner.learn(&feedback, model: network, backend: backend, random: &noiseRandom)
                accumulateGradients(window)
                applyGradients()
                learner.follow(&feedback, model: &network)
                pathLearner = learner
            } else {
                accumulateGradients(window)
                applyGradients()
            }
            window.states[0].copyElements(from: window.states[k])
            if w % 256 == 255 {
                guard total.isFinite else { throw .diverged(epoch: epoch, batch: w + 1, loss: total, learningRate: configuration.learningRate) }
                onProgress(Double(w + 1) / Double(windows))
            }
        }
        guard total.isFinite else { throw .diverged(epoch: epoch, batch: windows, loss: total, learningRate: configuration.learningRate) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let (testLoss, accuracy) = evaluate(test)
        let d = diagnose()
        let learned = transport != .exact
        let readoutError: Double = learned ? Alignment.relativeError(readoutFeedback, from: network.readoutWeights) : .nan
        let recurrentError: Double = learned ? Alignment.relativeError(recurrentFeedback, from: network.recurrentWeights) : .nan
        let readoutSigns: Double = learned ? Alignment.signCongruence(readoutFeedback, network.readoutWeights) : .nan
        let recurrentSigns: Double = learned ? Alignment.signCongruence(recurrentFeedback, network.recurrentWeights) : .nan
        let steps = Double(windows * k * configuration.streams)
        let record = RecurrentEpochRecord(
            epoch: epoch, trainLoss: total / steps, testLoss: testLoss, testAccuracy: accuracy,
            creditAngle: d.creditAngle, recurrentWeightAngle: d.recurrentAngle, inputWeightAngle: d.inputAngle,
            readoutRelativeError: readoutError, recurrentRelativeError: recurrentError,
            readoutSignCongruence: readoutSigns, recurrentSignCongruence: recurrentSigns, seconds: seconds)
        history.append(record)
        return record
    }

    /// `δhₜ = B_out eₜ + B_rec δaₜ₊₁`, `δaₜ = δhₜ ⊙ (1 − hₜ²)`, from the window's last step to
    /// its first. `readout`/`recurrent` override the rule's feedback (the probe's BPTT reference).
    func assignCredit(_ window: inout RecurrentWindow, readout: Matrix? = nil, recurrent: Matrix? = nil) {
        let exact = transport == .exact
        let readout = readout ?? (exact ? network.readoutWeights : readoutFeedback)
        let recurrent = recurrent ?? (exact ? network.recurrentWeights : recurrentFeedback)
        for t in stride(from: window.steps, through: 1, by: -1) {
            backend.gemm(window.errors[t], .none, readout, .none, into: &window.transported[t])
            if t < window.steps {
                backend.gemm(window.credits[t + 1], .none, recurrent, .none, into: &window.transported[t], beta: 1)
            }
            let count = window.credits[t].count
            window.credits[t].storage.withUnsafeMutableBufferPointer { credit in
                window.transported[t].storage.withUnsafeBufferPointer { g in
                    window.states[t].storage.withUnsafeBufferPointer { h in
                        for i in 0..<count { credit[i] = g[i] * (1 - h[i] * h[i]) }
                    }
                }
            }
        }
    }

    /// The window's weight gradients, summed over its steps and divided by the number of streams,
    /// into `gradients` (in the order of `RecurrentNetwork.parameters`).
    mutating func accumulateGradients(_ window: RecurrentWindow) {
        let scale = 1 / Float(window.streams)
        gradients[2].fill(0)
        gradients[4].fill(0)
        for t in 1...window.steps {
            let beta: Float = t == 1 ? 0 : 1
            LocalUpdate.hebbianProduct(post: window.credits[t], pre: window.inputs[t], into: &gradients[0], alpha: scale, beta: beta,
                                       backend: backend)
            LocalUpdate.hebbianProduct(post: window.credits[t], pre: window.states[t - 1], into: &gradients[1], alpha: scale, beta: beta,
                                       backend: backend)
            LocalUpdate.hebbianProduct(post: window.errors[t], pre: window.states[t], into: &gradients[3], alpha: scale, beta: beta,
                                       backend: backend)
        }
        for t in 1...window.steps {
            LocalUpdate.biasChange(post: window.credits[t], into: &gradients[2], scale: scale, accumulate: true)
            LocalUpdate.biasChange(post: window.errors[t], into: &gradients[4], scale: scale, accumulate: true)
        }
    }

    /// The shared optimizer's step on every parameter tensor (one step of Adam's count per window).
    private mutating func applyGradients() {
        optimizer.update(&network.inputWeights, gradient: gradients[0], slot: 0)
        optimizer.update(&network.recurrentWeights, gradient: gradients[1], slot: 1, counted: false)
        optimizer.update(&network.biases, gradient: gradients[2], slot: 2, counted: false)
        optimizer.update(&network.readoutWeights, gradient: gradients[3], slot: 3, counted: false)
        optimizer.update(&network.readoutBiases, gradient: gradients[4], slot: 4, counted: false)
    }

    /// NP through time: the window again with noise on every hidden activity at every step, each
    /// stream's `λ̂ₜ = (L̃ − L) ξₜ / c`, and one SGD step on `B_out`, `B_rec` towards `δhₜ ≈ λ̂ₜ`.
    private mutating func learnFeedback(_ data: SequenceBatch, from start: Int, settings: NodePerturbationSettings,
                                        random: inout RandomSource) {
        let k = window.steps, streams = window.streams, hidden = configuration.hidden
        noisyWindow.states[0].copyElements(from: window.states[0])
        noisyWindow.load(data, from: start)
        for t in 1...k {
            let count = noise[t].count
            noise[t].storage.withUnsafeMutableBufferPointer { xi in
                settings.drawNoise(into: UnsafeMutableBufferPointer(rebasing: xi[0..<count]), random: &random)
            }
        }
        network.forward(&noisyWindow, noise: (settings.noise, noise), backend: backend)
        let rate = -settings.feedbackLearningRate / Float(streams)
        for t in 1...k {
            // The residual δhₜ − λ̂ₜ, in the noisy window's scratch.
            for s in 0..<streams {
                let scale = (noisyWindow.losses[s] - window.losses[s]) / settings.noise
                for c in 0..<hidden {
                    noisyWindow.transported[t][s, c] = window.transported[t][s, c] - scale * noise[t][s, c]
                }
            }
            backend.gemm(window.errors[t], .transposed, noisyWindow.transported[t], .none, into: &feedback[0], alpha: rate, beta: 1)
            if t < k {
                backend.gemm(window.credits[t + 1], .transposed, noisyWindow.transported[t], .none, into: &feedback[1],
                             alpha: rate, beta: 1)
            }
        }
    }

    /// The exact-transport (BPTT) gradient of `batch`'s summed loss divided by its streams, from a
    /// zero state, truncated to windows of `k` steps (`k` divides `batch.steps`): with
    /// `k = batch.steps` the full BPTT gradient, with a smaller `k` what truncation keeps of it.
    func truncatedGradients(of batch: SequenceBatch, window k: Int) -> [Matrix] {
        precondition(batch.steps % k == 0)
        var copy = self
        var window = RecurrentWindow(streams: batch.streams, steps: k, inputs: network.inputSize, hidden: network.hiddenSize,
                                     outputs: network.outputSize)
        var sum = gradients.map { Matrix(rows: $0.rows, columns: $0.columns) }
        for w in 0..<(batch.steps / k) {
            window.load(batch, from: w * k)
            network.forward(&window, backend: backend)
            assignCredit(&window, readout: network.readoutWeights, recurrent: network.recurrentWeights)
            copy.accumulateGradients(window)
            for p in sum.indices { sum[p].add(copy.gradients[p]) }
            window.states[0].copyElements(from: window.states[k])
        }
        return sum
    }

    /// Mean loss per stream and step, and the share of XOR answers whose sign is right.
    public func evaluate(_ batch: SequenceBatch) -> (loss: Double, accuracy: Double) {
        var window = RecurrentWindow(streams: batch.streams, steps: configuration.bpttSteps, inputs: network.inputSize,
                                     hidden: network.hiddenSize, outputs: network.outputSize)
        var total = 0.0, correct = 0, answers = 0
        let k = configuration.bpttSteps
        for w in 0..<(batch.steps / k) {
            window.load(batch, from: w * k)
            network.forward(&window, backend: backend)
            total += window.losses.reduce(0.0) { $0 + Double($1) }
            for t in 1...k {
                for s in 0..<batch.streams where batch.isTarget[(w * k + t - 1) * batch.streams + s] {
                    answers += 1
                    if (window.outputs[t][s, 0] > 0) == (window.targets[t][s, 0] > 0) { correct += 1 }
                }
            }
            window.states[0].copyElements(from: window.states[k])
        }
        let steps = Double((batch.steps / k) * k * batch.streams)
        let accuracy: Double = answers == 0 ? .nan : Double(correct) / Double(answers)
        return (total / steps, accuracy)
    }

    /// The rule against BPTT on the probe streams' last window (its state warmed up by the ones
    /// before): the angle of δaₜ averaged over steps, and the angles of ΔW_rec and ΔW_in.
    func diagnose() -> (creditAngle: Double, recurrentAngle: Double, inputAngle: Double) {
        let k = configuration.bpttSteps
        var rule = RecurrentWindow(streams: probe.streams, steps: k, inputs: network.inputSize, hidden: network.hiddenSize,
                                   outputs: network.outputSize)
        let windows = probe.steps / k
        for w in 0..<windows {
            rule.load(probe, from: w * k)
            network.forward(&rule, backend: backend)
            if w < windows - 1 { rule.states[0].copyElements(from: rule.states[k]) }
        }
        var reference = rule
        assignCredit(&rule)
        assignCredit(&reference, readout: network.readoutWeights, recurrent: network.recurrentWeights)
        var angles: [Double] = []
        for t in 1...k where Alignment.squaredNorm(reference.credits[t]) > 0 && Alignment.squaredNorm(rule.credits[t]) > 0 {
            angles.append(Alignment.angle(rule.credits[t], reference.credits[t]))
        }
        var copy = self
        copy.accumulateGradients(rule)
        let ruleGradients = copy.gradients
        copy.accumulateGradients(reference)
        let meanAngle: Double = angles.isEmpty ? .nan : angles.reduce(0, +) / Double(angles.count)
        let recurrentAngle = Alignment.angle(ruleGradients[1], copy.gradients[1])
        let inputAngle = Alignment.angle(ruleGradients[0], copy.gradients[0])
        return (meanAngle, recurrentAngle, inputAngle)
    }
}
