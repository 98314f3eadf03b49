import Foundation
import Testing
@testable import CreditKit

@Suite("Kolen–Pollack")
struct KolenPollackTests {
    static func trainer(decay: Float, optimizer: OptimizerKind = .adam, epochs: Int = 1, batchSize: Int = 50) throws -> Trainer {
        let configuration = TrainingConfiguration(hiddenLayers: [12, 8], rule: RuleSpec(KolenPollackSettings(decay: decay, feedback: .uniform(0.5))), epochs: epochs,
                                                  batchSize: batchSize, learningRate: optimizer == .adam ? 0.01 : 0.05, optimizer: optimizer)
        return try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
    }

    /// `‖Bᵀ − W‖_F` per feedback matrix.
    static func gaps(_ trainer: Trainer) -> [Double] {
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
            let steps = trainer.batchesPerEpoch
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
        let factor = pow(0.99, Double(trainer.batchesPerEpoch))
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
        #expect(relativeError(afterDecay, start.map { $0 * pow(0.99, Double(trainer.batchesPerEpoch)) }) < 1e-4)
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
