import Foundation

/// How a recurrent network's credit travels back through time, read from the run's rule:
/// backprop's exact transposes (truncated BPTT), node perturbation's matrices learned from noise
/// through the window, or the matrices of any rule that works on feedback paths (FA, matching,
/// Kolen–Pollack, weight mirrors: ``RuleSettings/makePathLearning(for:random:)``).
enum RecurrentTransport: Equatable {
    case exact
    case nodePerturbation(NodePerturbationSettings)
    case paths
    /// E-prop: the learning signal from the output only, through `W_outᵀ` or the fixed `B_out`.
    case eligibility(symmetric: Bool)
    /// RTRL: the exact gradient, carried forward in time.
    case realTime

    /// The transport, the initial feedback (`B_out`, `B_rec`) and, for path rules, their learner.
    static func make(rule: RuleSpec, network: RecurrentNetwork, random: inout RandomSource) throws(ConfigurationError)
        -> (RecurrentTransport, [Matrix], (any FeedbackPathLearner)?) {
        if rule == .backprop {
            // Drawn, unused, so that every rule's run draws the same numbers from the seed.
            return (.exact, FeedbackFamily.xavier.pathFeedback(for: network, random: &random), nil)
        }
        if let settings = rule.settings(as: NodePerturbationSettings.self) {
            guard settings.solver == .sgd, settings.warmupEpochs == 0 else {
                throw .invalid(field: "rule", value: "np", expected: "node perturbation by sgd without warm-up for an RNN")
            }
            return (.nodePerturbation(settings), settings.feedback.pathFeedback(for: network, random: &random), nil)
        }
        if rule.settings(as: RealTimeRecurrentLearningSettings.self) != nil {
            return (.realTime, FeedbackFamily.xavier.pathFeedback(for: network, random: &random), nil)
        }
        if let settings = rule.settings(as: EligibilityPropagationSettings.self) {
            return (.eligibility(symmetric: settings.learningSignal == .symmetric),
                    settings.feedback.pathFeedback(for: network, random: &random), nil)
        }
        if let (feedback, learner) = rule.settings.makePathLearning(for: network, random: &random) {
            return (.paths, feedback, learner)
        }
        throw .invalid(field: "rule", value: rule.description,
                       expected: "a rule that works through time: bp, fa, np, matching, kp, wm, eprop, eprop-random, rflo or rtrl")
    }
}

extension RuleSpec {
    /// Feedback alignment through time as the RNN experiments use it: Xavier-drawn feedback.
    public static let recurrentFeedbackAlignment = RuleSpec(GeneralFeedbackSettings(.feedbackAlignment, feedback: .xavier))
}

/// A ``RecurrentNetwork`` with its rule, optimizer and task, as the ``Trainer`` drives it: every
/// epoch draws `stepsPerEpoch` fresh steps of every stream; every batch is one truncated window
/// of `k` steps, which runs forward from the state the last one left, assigns credit back to its
/// first step, updates the weights with the shared ``Optimizer``, and hands its last state on.
public struct RecurrentModel: TrainingModel {
    /// What the run trains.
    public let configuration: RecurrentConfiguration
    /// Where the matrix products run.
    public let backend: LinearAlgebraBackend
    /// The network being trained.
    public internal(set) var network: RecurrentNetwork
    /// `B_out` stored like `W_out` `(O, H)` and `B_rec` like `W_rec` `(H, H)` (BPTT uses the
    /// weights themselves).
    public internal(set) var feedback: [Matrix]
    /// `B_out`.
    public var readoutFeedback: Matrix { feedback[0] }
    /// `B_rec`.
    public var recurrentFeedback: Matrix { feedback[1] }
    /// The optimizer and its state.
    public var optimizer: Optimizer

    private let transport: RecurrentTransport
    /// How a path rule learns `feedback` (nil for BPTT and NP).
    private var pathLearner: (any FeedbackPathLearner)?
    private var window: RecurrentWindow
    private var noisyWindow: RecurrentWindow
    /// RTRL's sensitivities or e-prop's traces, carried from window to window through an epoch.
    private var online: (any OnlineGradient)?
    private var noise: [Matrix]
    private var gradients: [Matrix]
    /// The epoch's streams, drawn when it begins.
    private var epochData: SequenceBatch
    private let test: SequenceBatch
    private let probe: SequenceBatch
    /// The generator and what its outputs mean.
    private let task: any SequenceTask
    /// Whether each parameter tensor, in the optimizer's order, is held fixed.
    private let isFrozen: [Bool]

    /// The model `validated` describes. Its weights come from stream 0 of the seed, its feedback
    /// from stream 1.
    public init(_ validated: Validated<RecurrentConfiguration>, backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        let configuration = validated.configuration
        self.configuration = configuration
        self.backend = backend
        task = configuration.task.task
        let (inputs, outputs, hidden) = (task.inputWidth, task.outputWidth, configuration.hidden)
        var weightRandom = RandomSource(seed: configuration.seed, stream: 0)
        network = RecurrentNetwork(inputs: inputs, hidden: hidden, outputs: outputs, gain: configuration.recurrentGain ?? 1,
                                   readoutScale: configuration.readoutScale, random: &weightRandom)
        network.leak = configuration.leak ?? 1
        network.readoutLeak = configuration.readoutLeak ?? 0
        network.loss = task.loss
        isFrozen = RecurrentConfiguration.parameterNames.map { (configuration.frozen ?? []).contains($0) }
        var feedbackRandom = RandomSource(seed: configuration.seed, stream: 1)
        (transport, feedback, pathLearner) = try RecurrentTransport.make(rule: configuration.rule, network: network, random: &feedbackRandom)
        let k = configuration.bpttSteps, streams = configuration.streams
        window = RecurrentWindow(streams: streams, steps: k, inputs: inputs, hidden: hidden, outputs: outputs)
        noisyWindow = window
        switch transport {
        case .realTime: online = RealTimeRecurrentLearning(streams: streams, hidden: hidden, inputs: inputs)
        case .eligibility: online = EligibilityTraces(streams: streams, hidden: hidden, inputs: inputs, outputs: outputs,
                                                      readoutLeak: network.readoutLeak)
        default: online = nil
        }
        noise = (0...k).map { _ in Matrix(rows: streams, columns: hidden) }
        gradients = network.parameters.map { Matrix(rows: $0.rows, columns: $0.columns) }
        let settings = OptimizerSettings(kind: configuration.optimizer, momentum: configuration.momentum)
        optimizer = Optimizer(settings: settings, learningRate: configuration.learningRate, parameters: network.parameters)
        epochData = SequenceBatch(streams: streams, steps: 0, inputWidth: inputs, outputWidth: outputs)
        var testRandom = RandomSource(seed: configuration.seed, stream: 0x7E57)
        // Whole trials, whole windows: the test streams about 5,000 steps, the probe's ten windows
        // (at least 50 steps, or one trial).
        let unit = task.trialLength ?? k
        test = task.generate(streams: streams, steps: max(5_000 / unit, 1) * unit, random: &testRandom)
        var probeRandom = RandomSource(seed: configuration.seed, stream: 0x9E0B)
        probe = task.generate(streams: streams, steps: max(max(10 * k, 50) / unit, 1) * unit, random: &probeRandom)
    }

    public var ruleName: String { configuration.rule.description }
    public var batchesPerEpoch: Int { configuration.stepsPerEpoch / configuration.bpttSteps }
    public var errorName: String {
        if case .normalizedError = task.scoring { return "nMSE" }
        return "err"
    }
    public var shape: String {
        "RNN \(network.inputSize)-\(network.hiddenSize)-\(network.outputSize) tanh" + (network.isLeaky ? ", leak \(network.leak)" : "")
            + (network.readoutLeak > 0 ? ", readout leak \(network.readoutLeak)" : "") + (network.loss == .crossEntropy ? ", softmax readout" : "")
    }
    public var summary: String {
        let c = configuration
        let frozen = (c.frozen ?? []).isEmpty ? "" : ", frozen \((c.frozen ?? []).joined(separator: ", "))"
        return "\(shape), rule \(c.rule), window \(c.bpttSteps), \(c.streams) streams × "
            + "\(c.stepsPerEpoch) steps per epoch, \(c.optimizer.rawValue) lr \(c.learningRate)\(frozen); \(task)"
            + (task.trialLength.map { " (trials of \($0) steps)" } ?? "") + "; GEMM: \(backend.name)"
    }

    public mutating func beginEpoch(_ epoch: Int, random: inout RandomSource) {
        pathLearner?.epochWillBegin(epoch)
        epochData = task.generate(streams: configuration.streams, steps: batchesPerEpoch * configuration.bpttSteps, random: &random)
        window.restart(initialState: task.initialState)
        online?.reset()
    }

    /// Whether the window that starts at step `start` begins a trial (or the streams), and so a
    /// fresh state, traces and sensitivities.
    private func beginsTrial(_ start: Int) -> Bool {
        start == 0 || task.trialLength.map { start % $0 == 0 } ?? false
    }

    public mutating func trainBatch(_ w: Int, random: inout RandomSource) -> BatchOutcome {
        let k = configuration.bpttSteps
        if beginsTrial(w * k) {
            window.restart(initialState: task.initialState)
            online?.reset()
        }
        window.load(epochData, from: w * k)
        network.forward(&window, backend: backend)
        var outcome = Self.judge(window, of: epochData, from: w * k, scoring: task.scoring)
        Self.assignCredit(&window, network: network, transport: transport, feedback: feedback, readout: nil, recurrent: nil, backend: backend)
        if case .nodePerturbation(let settings) = transport { learnFeedback(epochData, from: w * k, settings: settings, random: &random) }
        if var learner = pathLearner {
            pathLearner = nil  // the local copy is then the only one: learning mutates it in place
            learner.learn(&feedback, model: network, backend: backend, random: &random)
            accumulateGradients(window)
            applyGradients()
            learner.follow(&feedback, model: &network)
            pathLearner = learner
        } else {
            accumulateGradients(window)
            if online != nil { online!.accumulate(window, network: network, readout: onlineReadout, into: &gradients, backend: backend) }
            applyGradients()
        }
        window.carryOver()
        outcome.examples = window.scoredCount
        return outcome
    }

    /// The window's summed loss over its scored steps, and how many of its answers are wrong: the
    /// sign of output 0 (delayed XOR), or the largest output against the target's class.
    private static func judge(_ window: RecurrentWindow, of batch: SequenceBatch, from start: Int, scoring: SequenceScoring) -> BatchOutcome {
        var outcome = BatchOutcome(loss: window.losses.reduce(0.0) { $0 + Double($1) }, examples: window.scoredCount)
        if case .normalizedError = scoring { return outcome }
        for t in 1...window.steps {
            let (output, target) = (window.outputs[t], window.targets[t])
            for s in 0..<window.streams where batch.isTarget[(start + t - 1) * window.streams + s] {
                outcome.judged += 1
                let right = scoring == .sign ? (output[s, 0] > 0) == (target[s, 0] > 0)
                    : Self.largest(output, row: s) == Self.largest(target, row: s)
                if !right { outcome.wrong += 1 }
            }
        }
        return outcome
    }

    /// The column of row `row`'s largest value (the first of ties).
    private static func largest(_ m: Matrix, row: Int) -> Int {
        var best = 0
        for c in 1..<m.columns where m[row, c] > m[row, best] { best = c }
        return best
    }

    /// The share of wrong answers, or for a regression the normalized MSE (`2 × loss per step /
    /// the target's variance`).
    public func trainError(of epoch: BatchOutcome) -> Double {
        if case .normalizedError(let variance) = task.scoring {
            return epoch.examples == 0 ? .nan : 2 * epoch.loss / Double(epoch.examples) / variance
        }
        return epoch.judged == 0 ? .nan : Double(epoch.wrong) / Double(epoch.judged)
    }

    public mutating func evaluateTest() -> (loss: Double, error: Double) { evaluate(test) }

    public mutating func takeWarnings() -> [String] { [] }

    /// `W_in`, `W_rec`, `b`, `W_out`, `b_out`.
    public var parameters: [NamedTensor] {
        zip(["W_in", "W_rec", "b", "W_out", "b_out"], network.parameters).map { NamedTensor($0, $1) }
    }

    public mutating func restoreParameters(_ parameters: [NamedTensor]) {
        let t = parameters.map(\.value)
        (network.inputWeights, network.recurrentWeights, network.biases, network.readoutWeights, network.readoutBiases) = (t[0], t[1], t[2], t[3], t[4])
    }

    /// `B_out` and `B_rec`, then what a path rule keeps besides them (Kolen–Pollack's last weights).
    public var ruleState: [NamedTensor] {
        get { [NamedTensor("B_out", feedback[0]), NamedTensor("B_rec", feedback[1])] + (pathLearner?.state ?? []) }
        set {
            feedback = [newValue[0].value, newValue[1].value]
            pathLearner?.state = Array(newValue.dropFirst(2))
        }
    }

    /// What carries an online gradient's learning signal: `W_out` (RTRL, symmetric e-prop) or `B_out`.
    private var onlineReadout: Matrix { transport == .eligibility(symmetric: false) ? readoutFeedback : network.readoutWeights }

    /// `δhₜ = B_out eₜ + B_rec δaₜ₊₁`, `δaₜ = δhₜ ⊙ (1 − hₜ²)`, from the window's last step to
    /// its first (e-prop: `δhₜ = B_out eₜ` alone). A leaky readout first filters the errors
    /// backwards, `Ēₜ = eₜ + κĒₜ₊₁`, and `Ēₜ` takes `eₜ`'s place (e-prop filters its traces
    /// forward instead). `readout`/`recurrent` override the rule's feedback (the probe's BPTT
    /// reference).
    func assignCredit(_ window: inout RecurrentWindow, readout: Matrix? = nil, recurrent: Matrix? = nil) {
        Self.assignCredit(&window, network: network, transport: transport, feedback: feedback, readout: readout, recurrent: recurrent,
                          backend: backend)
    }

    /// The credit of `assignCredit`, static so that the training step can write into the model's
    /// own window without the call copying the model (and with it every buffer of the window).
    private static func assignCredit(_ window: inout RecurrentWindow, network: RecurrentNetwork, transport: RecurrentTransport,
                                     feedback: [Matrix], readout: Matrix?, recurrent: Matrix?, backend: LinearAlgebraBackend) {
        let (readoutFeedback, recurrentFeedback) = (feedback[0], feedback[1])
        // RTRL forms its gradient forward in time; its credits (for the diagnostics) are BPTT's.
        let exact = transport == .exact || transport == .realTime || (readout != nil && recurrent != nil)
        let throughTime: Bool
        if case .eligibility = transport, !exact { throughTime = false } else { throughTime = true }
        let readout = readout ?? (exact || transport == .eligibility(symmetric: true) ? network.readoutWeights : readoutFeedback)
        let recurrent = recurrent ?? (exact ? network.recurrentWeights : recurrentFeedback)
        // Leaky units: δhₜ also reaches hₜ₋₁ directly, `(1 − α) δhₜ`, and δaₜ = α δhₜ ⊙ (1 − rₜ²).
        let (leaky, α, κ) = (network.isLeaky, network.leak, network.readoutLeak)
        if κ > 0 { Self.filterErrors(&window, leak: κ) }
        for t in stride(from: window.steps, through: 1, by: -1) {
            backend.gemm(window.readoutError(t, filtered: κ > 0 && throughTime), .none, readout, .none, into: &window.transported[t])
            if t < window.steps && throughTime {
                backend.gemm(window.credits[t + 1], .none, recurrent, .none, into: &window.transported[t], beta: 1)
                if leaky {
                    let later = window.transported[t + 1]
                    window.transported[t].add(later, scaledBy: 1 - α)
                }
            }
            let count = window.credits[t].count, scale: Float = leaky ? α : 1
            let rate = window.rate(t, leaky: leaky)
            window.credits[t].storage.withUnsafeMutableBufferPointer { credit in
                window.transported[t].storage.withUnsafeBufferPointer { g in
                    rate.storage.withUnsafeBufferPointer { r in
                        for i in 0..<count { credit[i] = scale * g[i] * (1 - r[i] * r[i]) }
                    }
                }
            }
        }
    }

    /// `Ēₜ = eₜ + κĒₜ₊₁` from the window's last step back (what the window's errors send into
    /// earlier outputs through a leaky readout; truncated at the window's end).
    private static func filterErrors(_ window: inout RecurrentWindow, leak κ: Float) {
        for t in stride(from: window.steps, through: 1, by: -1) {
            window.filteredErrors[t].copyElements(from: window.errors[t])
            if t < window.steps {
                let later = window.filteredErrors[t + 1]
                window.filteredErrors[t].add(later, scaledBy: κ)
            }
        }
    }

    /// The window's weight gradients, summed over its steps and divided by the number of streams,
    /// into `gradients` (in the order of `RecurrentNetwork.parameters`).
    mutating func accumulateGradients(_ window: RecurrentWindow) {
        let scale = 1 / Float(window.streams), filtered = network.readoutLeak > 0
        // An online gradient (e-prop, RTRL) writes the recurrent layer's own: only the readout's here.
        let recurrentLayer = online == nil
        if recurrentLayer { gradients[2].fill(0) }
        gradients[4].fill(0)
        for t in 1...window.steps {
            let beta: Float = t == 1 ? 0 : 1
            if recurrentLayer {
                LocalUpdate.hebbianProduct(post: window.credits[t], pre: window.inputs[t], into: &gradients[0], alpha: scale, beta: beta,
                                           backend: backend)
                LocalUpdate.hebbianProduct(post: window.credits[t], pre: window.states[t - 1], into: &gradients[1], alpha: scale, beta: beta,
                                           backend: backend)
                LocalUpdate.biasChange(post: window.credits[t], into: &gradients[2], scale: scale, accumulate: true)
            }
            LocalUpdate.hebbianProduct(post: window.readoutError(t, filtered: filtered), pre: window.states[t], into: &gradients[3],
                                       alpha: scale, beta: beta, backend: backend)
            LocalUpdate.biasChange(post: window.readoutError(t, filtered: filtered), into: &gradients[4], scale: scale, accumulate: true)
        }
    }

    /// The shared optimizer's step on every parameter tensor that is not frozen (one step of
    /// Adam's count per window).
    private mutating func applyGradients() {
        for slot in isFrozen.indices where isFrozen[slot] { gradients[slot].fill(0) }
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
    /// With `exact: false`, the rule's own credit instead (the weights held fixed).
    func truncatedGradients(of batch: SequenceBatch, window k: Int, exact: Bool = true) -> [Matrix] {
        precondition(batch.steps % k == 0)
        var copy = self
        // The exact gradient is BPTT's alone; the rule's own carries its online traces from a fresh start.
        if exact { copy.online = nil } else { copy.online?.reset() }
        var window = RecurrentWindow(streams: batch.streams, steps: k, inputs: network.inputSize, hidden: network.hiddenSize,
                                     outputs: network.outputSize)
        var sum = gradients.map { Matrix(rows: $0.rows, columns: $0.columns) }
        for w in 0..<(batch.steps / k) {
            if beginsTrial(w * k) {
                window.restart(initialState: task.initialState)
                copy.online?.reset()
            }
            window.load(batch, from: w * k)
            network.forward(&window, backend: backend)
            if exact {
                assignCredit(&window, readout: network.readoutWeights, recurrent: network.recurrentWeights)
            } else {
                assignCredit(&window)
            }
            copy.accumulateGradients(window)
            if !exact, copy.online != nil {
                copy.online!.accumulate(window, network: network, readout: onlineReadout, into: &copy.gradients, backend: backend)
            }
            for p in sum.indices { sum[p].add(copy.gradients[p]) }
            window.carryOver()
        }
        return sum
    }

    /// Mean loss per scored step and stream, and the share of wrong answers (a regression's
    /// normalized MSE).
    public func evaluate(_ batch: SequenceBatch) -> (loss: Double, error: Double) {
        var window = RecurrentWindow(streams: batch.streams, steps: configuration.bpttSteps, inputs: network.inputSize,
                                     hidden: network.hiddenSize, outputs: network.outputSize)
        var total = BatchOutcome()
        let k = configuration.bpttSteps
        for w in 0..<(batch.steps / k) {
            if beginsTrial(w * k) { window.restart(initialState: task.initialState) }
            window.load(batch, from: w * k)
            network.forward(&window, backend: backend)
            total += Self.judge(window, of: batch, from: w * k, scoring: task.scoring)
            window.carryOver()
        }
        return (total.loss / Double(max(total.examples, 1)), trainError(of: total))
    }

    /// The rule against BPTT on the probe streams: the angles of ΔW_in and ΔW_rec, the angle of
    /// δaₜ averaged over the steps (as hidden layer 1's credit angle), and `B_out`, `B_rec` against
    /// `W_out`, `W_rec`. A rule that sends credit back through its window is judged on the probe's
    /// last window (its state warmed up by the ones before) against BPTT through that window; an
    /// online rule (e-prop, RFLO, RTRL), whose window is only its update period, against the
    /// gradient it stands in for: full BPTT over the probe (its first trial for a trial task).
    public func diagnose() -> GradientDiagnostics {
        let (weightAngles, meanAngle) = online == nil ? diagnoseWindow() : diagnoseOnline()
        // The feedback the rule uses in place of a weight: both for FA-like rules, B_out alone for
        // random e-prop (it sends nothing through the recurrence), none for BPTT and symmetric e-prop.
        let readoutPair = GradientDiagnostics.Feedback(layer: 0, kind: "readout", feedback: readoutFeedback, weights: network.readoutWeights)
        let pairs: [GradientDiagnostics.Feedback]
        switch transport {
        case .exact, .eligibility(symmetric: true), .realTime: pairs = []
        case .eligibility(symmetric: false): pairs = [readoutPair]
        case .nodePerturbation, .paths:
            pairs = [readoutPair, .init(layer: 0, kind: "recurrent", feedback: recurrentFeedback, weights: network.recurrentWeights)]
        }
        return GradientDiagnostics(weightNames: ["_in", "_rec"], weightAngles: weightAngles, creditAngles: [meanAngle],
                                   creditSignAgreement: [], coherence: [], feedback: pairs)
    }

    /// The mean angle between the rule's and the reference's δaₜ over the window's steps where both are nonzero.
    private static func meanCreditAngle(_ rule: RecurrentWindow, _ reference: RecurrentWindow) -> Double {
        var angles: [Double] = []
        for t in 1...rule.steps where Alignment.squaredNorm(reference.credits[t]) > 0 && Alignment.squaredNorm(rule.credits[t]) > 0 {
            angles.append(Alignment.angle(rule.credits[t], reference.credits[t]))
        }
        return angles.isEmpty ? .nan : angles.reduce(0, +) / Double(angles.count)
    }

    /// The online rule's gradient summed over the probe's span against full BPTT's over the same span.
    private func diagnoseOnline() -> (weightAngles: [Double], creditAngle: Double) {
        let k = configuration.bpttSteps, span = min(task.trialLength ?? probe.steps, probe.steps)
        let head = probe.prefix(steps: span)
        let ruleGradients = truncatedGradients(of: head, window: k, exact: false), exact = truncatedGradients(of: head, window: span)
        var rule = RecurrentWindow(streams: head.streams, steps: span, inputs: network.inputSize, hidden: network.hiddenSize,
                                   outputs: network.outputSize)
        rule.restart(initialState: task.initialState)
        rule.load(head, from: 0)
        network.forward(&rule, backend: backend)
        var reference = rule
        assignCredit(&rule)
        assignCredit(&reference, readout: network.readoutWeights, recurrent: network.recurrentWeights)
        return ([Alignment.angle(ruleGradients[0], exact[0]), Alignment.angle(ruleGradients[1], exact[1])],
                Self.meanCreditAngle(rule, reference))
    }

    /// The rule's credit and gradient on the probe's last window against BPTT's through that window.
    private func diagnoseWindow() -> (weightAngles: [Double], creditAngle: Double) {
        let k = configuration.bpttSteps
        var rule = RecurrentWindow(streams: probe.streams, steps: k, inputs: network.inputSize, hidden: network.hiddenSize,
                                   outputs: network.outputSize)
        let windows = probe.steps / k
        for w in 0..<windows {
            if beginsTrial(w * k) { rule.restart(initialState: task.initialState) }
            rule.load(probe, from: w * k)
            network.forward(&rule, backend: backend)
            if w < windows - 1 { rule.carryOver() }
        }
        var reference = rule
        assignCredit(&rule)
        assignCredit(&reference, readout: network.readoutWeights, recurrent: network.recurrentWeights)
        var copy = self
        copy.accumulateGradients(rule)
        let ruleGradients = copy.gradients
        copy.accumulateGradients(reference)
        return ([Alignment.angle(ruleGradients[0], copy.gradients[0]), Alignment.angle(ruleGradients[1], copy.gradients[1])],
                Self.meanCreditAngle(rule, reference))
    }
}

extension Trainer where Model == RecurrentModel {
    /// A trainer for the recurrent run `configuration`, after checking it.
    public init(configuration: RecurrentConfiguration, backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        try self.init(configuration.validated(), backend: backend)
    }

    /// A trainer for a checked recurrent configuration.
    public init(_ validated: Validated<RecurrentConfiguration>, backend: LinearAlgebraBackend = .shared) throws(ConfigurationError) {
        self.init(model: try RecurrentModel(validated, backend: backend))
    }

    /// The network being trained.
    public var network: RecurrentNetwork { model.network }
}
