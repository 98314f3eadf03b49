import Foundation
import Testing
@testable import CreditKit

/// The recurrent network, truncated BPTT and the delayed-XOR generator against what they must be.
@Suite("Recurrent networks")
struct RecurrentTests {
    /// The rules with a recurrent form, feedback drawn like the forward weights.
    static let rules: [String: RuleSpec] = [
        "bp": .backprop, "fa": .recurrentFeedbackAlignment, "np": RuleSpec(NodePerturbationSettings(feedback: .xavier)),
    ]

    static func trainer(hidden: Int = 5, steps: Int = 6, rule: RuleSpec = .backprop, leak: Float? = nil) throws -> Trainer<RecurrentModel> {
        var configuration = RecurrentConfiguration()
        configuration.leak = leak
        configuration.hidden = hidden
        configuration.bpttSteps = steps
        configuration.streams = 3
        configuration.stepsPerEpoch = 10 * steps
        configuration.rule = rule
        return try Trainer(configuration: configuration, backend: .portable)
    }

    /// A random stream batch (dense inputs and targets, so every weight matters).
    static func batch(streams: Int, steps: Int, seed: UInt64) -> SequenceBatch {
        var random = RandomSource(seed: seed)
        var batch = SequenceBatch(streams: streams, steps: steps, inputWidth: DelayedXOR.inputWidth, outputWidth: 1)
        batch.inputs = randomMatrix(streams * steps, DelayedXOR.inputWidth, &random)
        batch.targets = randomMatrix(streams * steps, 1, &random)
        return batch
    }

    /// The summed loss over streams and steps divided by the streams, in double precision (the
    /// forward pass of ``SequenceTaskTests/run``: one linear output, a plain readout, from zero).
    static func loss(_ net: [[Double]], sizes: (h: Int, i: Int), batch: SequenceBatch, leak α: Double = 1) -> Double {
        var total = 0.0
        for s in 0..<batch.streams {
            let outputs = SequenceTaskTests.run(net, sizes: (sizes.h, sizes.i, 1), batch: batch, stream: s, leak: α, readoutLeak: 0,
                                                initial: 0).outputs
            for t in 0..<batch.steps {
                let d = outputs[t + 1][0] - Double(batch.targets[t * batch.streams + s, 0])
                total += 0.5 * d * d
            }
        }
        return total / Double(batch.streams)
    }

    @Test(arguments: [Float(1), 0.3])
    func fullWindowBPTTMatchesFiniteDifferences(_ leak: Float) throws {
        let trainer = try Self.trainer(leak: leak)
        let batch = Self.batch(streams: 3, steps: 6, seed: 4)
        let analytic = trainer.model.truncatedGradients(of: batch, window: 6)
        let parameters = trainer.network.parameters.map(\.doubles)
        let sizes = (h: trainer.network.hiddenSize, i: trainer.network.inputSize)
        for (p, values) in parameters.enumerated() {
            var numeric: [Double] = []
            for index in values.indices {
                var up = parameters, down = parameters
                up[p][index] += 1e-6
                down[p][index] -= 1e-6
                numeric.append((Self.loss(up, sizes: sizes, batch: batch, leak: Double(leak))
                    - Self.loss(down, sizes: sizes, batch: batch, leak: Double(leak))) / 2e-6)
            }
            #expect(relativeError(analytic[p].doubles, numeric) < 1e-3, "parameter block \(p)")
        }
    }

    /// E-prop, written out independently in Double: per stream, `Lₜ = B eₜ`, `δaₜ = Lₜ ⊙ (1 − hₜ²)`,
    /// `∇W_rec = Σₜ δaₜ hₜ₋₁ᵀ`, `∇W_in = Σₜ δaₜ xₜᵀ` (over the streams) — BPTT with the gradient
    /// stopped through the recurrence; symmetric (`B = W_outᵀ`) and random (the fixed `B_out`).
    /// Symmetric e-prop is also truncated BPTT with a window of one step.
    @Test(arguments: [(EligibilityPropagationSettings.LearningSignal.symmetric, Float(1)), (.random, 1), (.symmetric, 0.3), (.random, 0.3)])
    func eligibilityPropagationIsBPTTStoppedThroughTheRecurrence(_ signal: EligibilityPropagationSettings.LearningSignal, _ leak: Float) throws {
        let trainer = try Self.trainer(rule: RuleSpec(EligibilityPropagationSettings(learningSignal: signal)), leak: leak)
        let α = Double(leak)
        let batch = Self.batch(streams: 3, steps: 6, seed: 6)
        // One window, and three windows whose traces carry over (the weights held fixed).
        let analytic = trainer.model.truncatedGradients(of: batch, window: 6, exact: false)
        let carried = trainer.model.truncatedGradients(of: batch, window: 2, exact: false)
        let net = trainer.network
        let (h, i) = (net.hiddenSize, net.inputSize)
        let signalWeights = (signal == .symmetric ? net.readoutWeights : trainer.model.readoutFeedback).doubles
        var wIn = [Double](repeating: 0, count: h * i), wRec = [Double](repeating: 0, count: h * h), b = [Double](repeating: 0, count: h)
        for s in 0..<batch.streams {
            var state = [Double](repeating: 0, count: h)
            // The traces: P_in, P_rec, P_b, filtered with the units' leak.
            var pIn = [Double](repeating: 0, count: h * i), pRec = [Double](repeating: 0, count: h * h), pB = [Double](repeating: 0, count: h)
            for t in 0..<batch.steps {
                let row = t * batch.streams + s
                let x = (0..<i).map { Double(batch.inputs[row, $0]) }
                let rate = (0..<h).map { u in
                    Foundation.tanh(Double(net.biases[0, u]) + (0..<i).reduce(0.0) { $0 + Double(net.inputWeights[u, $1]) * x[$1] }
                        + (0..<h).reduce(0.0) { $0 + Double(net.recurrentWeights[u, $1]) * state[$1] })
                }
                let next = (0..<h).map { (1 - α) * state[$0] + α * rate[$0] }
                let e = Double(net.readoutBiases[0, 0]) + (0..<h).reduce(0.0) { $0 + Double(net.readoutWeights[0, $1]) * next[$1] }
                    - Double(batch.targets[row, 0])
                for u in 0..<h {
                    let slope = α * (1 - rate[u] * rate[u]), learning = signalWeights[u] * e
                    for v in 0..<h { pRec[u * h + v] = (1 - α) * pRec[u * h + v] + slope * state[v] }
                    for c in 0..<i { pIn[u * i + c] = (1 - α) * pIn[u * i + c] + slope * x[c] }
                    pB[u] = (1 - α) * pB[u] + slope
                    for v in 0..<h { wRec[u * h + v] += learning * pRec[u * h + v] / Double(batch.streams) }
                    for c in 0..<i { wIn[u * i + c] += learning * pIn[u * i + c] / Double(batch.streams) }
                    b[u] += learning * pB[u] / Double(batch.streams)
                }
                state = next
            }
        }
        for gradients in [analytic, carried] {
            #expect(relativeError(gradients[0].doubles, wIn) < 1e-5)
            #expect(relativeError(gradients[1].doubles, wRec) < 1e-5)
            #expect(relativeError(gradients[2].doubles, b) < 1e-5)
        }
        if signal == .symmetric && leak == 1 {
            let oneStep = trainer.model.truncatedGradients(of: batch, window: 1)
            #expect(relativeError(analytic[1].doubles, oneStep[1].doubles) < 1e-6)
        }
    }

    /// RTRL carries the exact gradient forward: whatever its window (the weights held fixed), its
    /// gradient over the sequence is full-window BPTT's, to Float's resolution.
    @Test(arguments: [(1, Float(1)), (2, 1), (6, 1), (2, 0.3)])
    func realTimeRecurrentLearningIsFullBPTT(_ window: Int, _ leak: Float) throws {
        let trainer = try Self.trainer(steps: window, rule: RuleSpec(RealTimeRecurrentLearningSettings()), leak: leak)
        let batch = Self.batch(streams: 3, steps: 6, seed: 7)
        let online = trainer.model.truncatedGradients(of: batch, window: window, exact: false)
        let full = trainer.model.truncatedGradients(of: batch, window: 6)
        for p in 0..<5 { #expect(relativeError(online[p].doubles, full[p].doubles) < 1e-5, "parameter block \(p)") }
    }

    @Test func realTimeRecurrentLearningRefusesLargeNets() {
        var configuration = RecurrentConfiguration()
        configuration.hidden = 200
        configuration.rule = RuleSpec(RealTimeRecurrentLearningSettings())
        #expect { try configuration.validate() } throws: { ($0 as? ConfigurationError)?.field == "hidden" }
    }

    /// RFLO is random e-prop: the same gradients, under Murray's name.
    @Test func rfloIsRandomEProp() throws {
        let batch = Self.batch(streams: 3, steps: 6, seed: 8)
        let rflo = try Self.trainer(rule: RuleSpec(argument: "rflo")!, leak: 0.2).model.truncatedGradients(of: batch, window: 3, exact: false)
        let random = try Self.trainer(rule: RuleSpec(argument: "eprop-random")!, leak: 0.2).model
            .truncatedGradients(of: batch, window: 3, exact: false)
        #expect(zip(rflo, random).allSatisfy { $0.elements == $1.elements })
        #expect(RuleSpec(argument: "rflo")!.description == "rflo")
    }

    @Test func truncationDropsCreditAcrossWindowsOnly() throws {
        let trainer = try Self.trainer()
        let batch = Self.batch(streams: 3, steps: 6, seed: 5)
        let full = trainer.model.truncatedGradients(of: batch, window: 6)
        let truncated = trainer.model.truncatedGradients(of: batch, window: 2)
        // The readout's gradient needs no transport through time; the recurrent one does.
        #expect(relativeError(truncated[3].doubles, full[3].doubles) < 1e-5)
        #expect(relativeError(truncated[1].doubles, full[1].doubles) > 1e-2)
    }

    @Test func delayedXORTargetsAreTheXOROfTheCuedBits() {
        let task = DelayedXOR(delay: 4)
        var random = RandomSource(seed: 12)
        let batch = task.generate(streams: 5, steps: 400, random: &random)
        var answers = 0
        for s in 0..<5 {
            var lastCue = -1000
            for t in 0..<400 {
                let row = t * 5 + s
                if batch.inputs[row, 0] == 1 {
                    #expect(t - lastCue > task.delay, "cues closer than the delay")
                    lastCue = t
                    let a = batch.inputs[row, 1], b = batch.inputs[row, 2]
                    #expect(abs(a) == 1 && abs(b) == 1)
                    if t + task.delay < 400 {
                        let answer = (t + task.delay) * 5 + s
                        #expect(batch.targets[answer, 0] == (a == b ? -1 : 1))
                        #expect(batch.isTarget[answer])
                    }
                } else {
                    #expect(batch.inputs[row, 1] == 0 && batch.inputs[row, 2] == 0)
                }
                if batch.isTarget[row] {
                    answers += 1
                    #expect(t >= task.delay && batch.inputs[(t - task.delay) * 5 + s, 0] == 1)
                } else {
                    #expect(batch.targets[row, 0] == 0)
                }
            }
        }
        #expect(answers > 100)
        var again = RandomSource(seed: 12)
        #expect(task.generate(streams: 5, steps: 400, random: &again).targets == batch.targets)  // seeded
    }

    @Test func feedbackThroughTimeIsBPTTWhenItEqualsTheWeights() throws {
        var fa = try Self.trainer(rule: .recurrentFeedbackAlignment)
        fa.model.feedback = [fa.network.readoutWeights, fa.network.recurrentWeights]
        #expect(fa.diagnose().creditAngles[0] < 1e-3)
        var random = try Self.trainer(rule: .recurrentFeedbackAlignment)
        #expect(random.diagnose().creditAngles[0] > 10)
    }

    @Test func badRecurrentInputIsRefused() {
        var configuration = RecurrentConfiguration()
        configuration.bpttSteps = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = RecurrentConfiguration()
        configuration.rule = RuleSpec(NodePerturbationSettings(noise: 0))
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        for rule in [RuleSpec.directFeedbackAlignment, .kickback, RuleSpec(NodePerturbationSettings(solver: .exact))] {
            configuration.rule = rule
            #expect(throws: ConfigurationError.self, "\(rule)") { try configuration.validate() }
        }
        configuration = RecurrentConfiguration()
        configuration.task = .delayedXOR(DelayedXOR(delay: 0))
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = RecurrentConfiguration()
        configuration.momentum = 1
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        #expect(throws: DataError.self) { try DatasetCatalog.load(.delayedXOR) }
    }

    /// Stopping after epoch 1 and resuming from the checkpoint file gives the uninterrupted run's
    /// weights, feedback and metrics to the bit, for every rule (Adam's buffers and step included);
    /// a checkpoint of another rule, or a cut file, is refused with its name.
    @Test(arguments: ["bp", "fa", "np"])
    func aResumedRecurrentRunEqualsTheUninterruptedOne(_ name: String) throws {
        let rule = Self.rules[name]!
        var configuration = try Self.trainer(rule: rule).configuration
        configuration.optimizer = .adam
        configuration.learningRate = 0.001
        var straight = try Trainer(configuration: configuration, backend: .portable)
        for _ in 0..<2 { try straight.trainEpoch() }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-rnn-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var interrupted = try Trainer(configuration: configuration, backend: .portable)
        try interrupted.trainEpoch()
        try interrupted.checkpoint.write(to: path)
        var resumed = try Trainer(configuration: configuration, backend: .portable)
        try resumed.restore(Checkpoint.read(from: path))
        #expect(resumed.epochsCompleted == 1)
        try resumed.trainEpoch()
        #expect(resumed.network == straight.network)
        #expect(resumed.model.readoutFeedback == straight.model.readoutFeedback && resumed.model.recurrentFeedback == straight.model.recurrentFeedback)
        #expect(resumed.history.map(\.testLoss) == straight.history.map(\.testLoss))

        var other = configuration
        other.rule = rule == .backprop ? .recurrentFeedbackAlignment : .backprop
        var mismatched = try Trainer(configuration: other, backend: .portable)
        #expect(throws: TrainingError.self) { try mismatched.restore(Checkpoint.read(from: path), file: path) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        #expect {
            try Checkpoint.read(from: path)
        } throws: { error in
            "\(error)".hasPrefix(path + ": cannot resume: truncated")
        }
    }

    /// The RNN steps through the shared optimizer: momentum with μ = 0 is SGD to the bit, and
    /// Adam (another rule for the same gradients) moves the weights elsewhere.
    @Test func theChosenOptimizerAppliesTheUpdates() throws {
        func trained(_ kind: OptimizerKind, momentum: Float = 0.9) throws -> RecurrentNetwork {
            var configuration = try Self.trainer().configuration
            configuration.optimizer = kind
            configuration.momentum = momentum
            var trainer = try Trainer(configuration: configuration, backend: .portable)
            try trainer.trainEpoch()
            return trainer.network
        }
        let sgd = try trained(.sgd)
        #expect(try trained(.momentum, momentum: 0) == sgd)
        #expect(try trained(.adam).recurrentWeights != sgd.recurrentWeights)
    }

    @Test func anRNNTooLargeForMemoryIsRefusedBeforeAllocating() {
        var configuration = RecurrentConfiguration()
        configuration.hidden = 3_000_000
        #expect {
            try configuration.validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == "hidden" && "\(error)".contains("needs") && "\(error)".contains("this machine has")
        }
    }
}
