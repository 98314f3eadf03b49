import Foundation
import Testing
@testable import CreditKit

@Suite("Kolen–Pollack")
struct KolenPollackTests {
    static func trainer(decay: Float, optimizer: OptimizerKind = .adam, epochs: Int = 1, batchSize: Int = 50) throws -> Trainer<FeedForwardModel> {
        let configuration = TrainingConfiguration(hiddenLayers: [12, 8], rule: RuleSpec(KolenPollackSettings(decay: decay, feedback: .uniform(0.5))), epochs: epochs,
                                                  batchSize: batchSize, learningRate: optimizer == .adam ? 0.01 : 0.05, optimizer: optimizer)
        return try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
    }

    /// `‖Bᵀ − W‖_F` per feedback matrix.
    static func gaps(_ trainer: Trainer<FeedForwardModel>) -> [Double] {
        let rule = trainer.rule as! KolenPollack
        return rule.feedback.indices.map { ℓ in
            zip(rule.feedback[ℓ].elements, trainer.network.layers[ℓ + 1].weights.elements)
                .reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        }
    }

    /// Whatever the optimizer does, `B − Wᵀ` shrinks by exactly `(1 − λ)` per step: after one
    /// epoch of `k` steps the gap is `(1 − λ)ᵏ` of the initial one; with λ = 0 it does not move
    /// (the matching rule).
    @Test(arguments: [OptimizerKind.adam, .momentum, .sgd])
    func theFeedbackGapShrinksByOneMinusLambdaPerStep(_ optimizer: OptimizerKind) throws {
        for decay: Float in [0, 0.01] {
            var trainer = try Self.trainer(decay: decay, optimizer: optimizer)
            let before = Self.gaps(trainer)
            let start = trainer.network
            try trainer.trainEpoch()
            #expect(trainer.network != start)
            let steps = trainer.model.batchesPerEpoch
            let expected = before.map { $0 * pow(1 - Double(decay), Double(steps)) }
            #expect(relativeError(Self.gaps(trainer), expected) < 1e-4, "\(optimizer) λ \(decay)")
        }
    }

    /// The forward weights lose λ of their value per step besides the optimizer's change: with a
    /// learning rate of (almost) nothing, `W` decays geometrically.
    @Test func theForwardWeightsDecayAlike() throws {
        var configuration = TrainingConfiguration(hiddenLayers: [12, 8], rule: RuleSpec(KolenPollackSettings(decay: 0.01)), epochs: 1,
                                                  batchSize: 50, learningRate: 1e-30, optimizer: .sgd)
        configuration.epochs = 1
        var trainer = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        let start = trainer.network
        try trainer.trainEpoch()
        let factor = pow(0.99, Double(trainer.model.batchesPerEpoch))
        for ℓ in start.layers.indices {
            #expect(relativeError(trainer.network.layers[ℓ].weights.doubles, start.layers[ℓ].weights.doubles.map { $0 * factor }) < 1e-4)
        }
    }

    /// From a random start, the feedback aligns with the transpose (relative error below 0.1
    /// after 162 steps at λ = 0.02), and the credits with backprop's; FA from the same draw does not.
    @Test func kolenPollackAlignsWhereFeedbackAlignmentDoesNot() throws {
        var kp = try Self.trainer(decay: 0.02, optimizer: .momentum, epochs: 3, batchSize: 25)
        for _ in 0..<3 { try kp.trainEpoch() }
        let measured = try #require(kp.history.last?.probes.last?.diagnostics)
        #expect(measured.feedback.allSatisfy { $0.relativeError < 0.1 }, "\(measured.feedback.map(\.relativeError))")
        #expect(measured.creditAngles.allSatisfy { $0 < 10 }, "\(measured.creditAngles)")

        let configuration = TrainingConfiguration(hiddenLayers: [12, 8], rule: .feedbackAlignment, epochs: 3, batchSize: 25,
                                                  learningRate: 0.05, optimizer: .momentum)
        var fa = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        for _ in 0..<3 { try fa.trainEpoch() }
        let faMeasured = try #require(fa.history.last?.probes.last?.diagnostics)
        #expect(faMeasured.feedback.allSatisfy { $0.relativeError > 0.5 }, "\(faMeasured.feedback.map(\.relativeError))")
        #expect(faMeasured.creditAngles.allSatisfy { $0 > 20 }, "\(faMeasured.creditAngles)")
    }

    /// With `decayEpochs`, the gap shrinks in those epochs and then holds still, as matching's does.
    @Test func theDecayEndsAfterItsEpochs() throws {
        let configuration = TrainingConfiguration(hiddenLayers: [12, 8],
                                                  rule: RuleSpec(KolenPollackSettings(decay: 0.01, decayEpochs: 1, feedback: .uniform(0.5))),
                                                  epochs: 2, batchSize: 50, learningRate: 0.01, optimizer: .adam)
        var trainer = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        let start = Self.gaps(trainer)
        try trainer.trainEpoch()
        let afterDecay = Self.gaps(trainer)
        #expect(relativeError(afterDecay, start.map { $0 * pow(0.99, Double(trainer.model.batchesPerEpoch)) }) < 1e-4)
        try trainer.trainEpoch()
        #expect(relativeError(Self.gaps(trainer), afterDecay) < 1e-4)
    }

    @Test func optionsAndBadSettings() throws {
        var spec = try #require(RuleSpec(argument: "kp"))
        try spec.applyOptions(["--decay", "0.05", "--decay-epochs", "5", "--feedback", "xavier"])
        #expect(spec == RuleSpec(KolenPollackSettings(decay: 0.05, decayEpochs: 5, feedback: .xavier)))
        #expect(throws: ConfigurationError.self) { try spec.applyOptions(["--noise", "1"]) }
        let bad = TrainingConfiguration(hiddenLayers: [8], rule: RuleSpec(KolenPollackSettings(decay: 1)))
        #expect(throws: ConfigurationError.self) { try bad.validate() }
    }
}

/// Kolen–Pollack through time: the same learner on the RNN's readout and recurrent feedback.
@Suite("Kolen–Pollack through time")
struct KolenPollackThroughTimeTests {
    static func configuration(_ rule: RuleSpec, steps: Int = 700, epochs: Int = 1, learningRate: Float = 0.05) -> RecurrentConfiguration {
        var configuration = RecurrentConfiguration()
        configuration.hidden = 16
        configuration.bpttSteps = 7
        configuration.streams = 8
        configuration.stepsPerEpoch = steps
        configuration.epochs = epochs
        configuration.learningRate = learningRate
        configuration.rule = rule
        return configuration
    }

    static func gaps(_ trainer: Trainer<RecurrentModel>) -> [Double] {
        zip(trainer.model.feedback, [trainer.network.readoutWeights, trainer.network.recurrentWeights]).map { b, w in
            zip(b.elements, w.elements).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        }
    }

    /// `B_out − W_outᵀ` and `B_rec − W_recᵀ` shrink by `(1 − λ)` per window, as through depth.
    @Test func theGapShrinksByOneMinusLambdaPerWindow() throws {
        var trainer = try Trainer(configuration: Self.configuration(RuleSpec(KolenPollackSettings(decay: 0.01))), backend: .portable)
        let before = Self.gaps(trainer)
        try trainer.trainEpoch()
        let windows = Double(700 / 7)
        #expect(relativeError(Self.gaps(trainer), before.map { $0 * pow(0.99, windows) }) < 1e-4)
    }

    /// Delayed XOR learns with Kolen–Pollack and with weight mirrors through time, their feedback
    /// moving towards the transposes (weight mirrors' within 0.2 in three short epochs).
    @Test(arguments: ["kp", "wm"])
    func delayedXORLearns(_ name: String) throws {
        let rule = name == "kp" ? RuleSpec(KolenPollackSettings()) : RuleSpec(WeightMirrorSettings(mirrorLearningRate: 0.01, samples: 32))
        var trainer = try Trainer(configuration: Self.configuration(rule, steps: 5_000, epochs: 3, learningRate: 0.01), backend: .portable)
        for _ in 0..<3 { try trainer.trainEpoch() }
        let (first, last) = (trainer.history[0], trainer.history[2])
        #expect(last.testError < 0.05, "\(trainer.history.map(\.testError))")
        #expect(last.readoutRelativeError < first.readoutRelativeError && last.recurrentRelativeError < first.recurrentRelativeError)
        if name == "wm" { #expect(last.readoutRelativeError < 0.2 && last.recurrentRelativeError < 0.2, "\(last)") }
    }

    /// A resumed run continues exactly: the learner's state (Kolen–Pollack's last weights) is in
    /// the checkpoint by name.
    @Test(arguments: ["kp", "wm", "matching"])
    func aResumedRunEqualsTheUninterruptedOne(_ name: String) throws {
        let configuration = Self.configuration(RuleSpec(argument: name)!, epochs: 2)
        var straight = try Trainer(configuration: configuration, backend: .portable)
        for _ in 0..<2 { try straight.trainEpoch() }
        var first = try Trainer(configuration: configuration, backend: .portable)
        try first.trainEpoch()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-rnn-\(name)-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try first.checkpoint.write(to: path)
        var resumed = try Trainer(configuration: configuration, backend: .portable)
        try resumed.restore(Checkpoint.read(from: path))
        try resumed.trainEpoch()
        #expect(resumed.network == straight.network && resumed.model.feedback == straight.model.feedback)
        #expect(resumed.history.map(\.testLoss) == straight.history.map(\.testLoss))
    }
}
