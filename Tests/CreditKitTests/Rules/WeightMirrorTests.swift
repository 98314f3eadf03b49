import Foundation
import Testing
@testable import CreditKit

@Suite("Weight mirrors")
struct WeightMirrorTests {
    static func configuration(_ settings: WeightMirrorSettings, epochs: Int = 1, frozen: Bool = false) -> TrainingConfiguration {
        TrainingConfiguration(hiddenLayers: [12, 8], rule: RuleSpec(settings), epochs: epochs, batchSize: 25, learningRate: 0.05,
                              optimizer: .momentum, freezeForwardWeights: frozen)
    }

    /// ‖Bᵀ − W‖/‖W‖ per feedback matrix, against `network` (default: the trainer's).
    static func relativeErrors(_ trainer: Trainer<FeedForwardModel>, network: Network? = nil) -> [Double] {
        let rule = trainer.rule as! WeightMirror
        let network = network ?? trainer.network
        return rule.feedback.indices.map { ℓ in
            relativeError(rule.feedback[ℓ].doubles, network.layers[ℓ + 1].weights.doubles)
        }
    }

    /// `E[x yᵀ] = Wᵀ` for `x ~ N(0, I)`, `y = Wx`: one mirror phase with step 1 and many samples
    /// replaces B by the sample estimate, within the sampling error `√(inputs / samples)`.
    @Test func oneMirrorPhaseEstimatesTheTranspose() throws {
        let settings = WeightMirrorSettings(mirrorLearningRate: 1, samples: 40_000)
        var trainer = try Trainer(configuration: Self.configuration(settings, frozen: true), data: TrainerTests.digits, backend: .portable)
        #expect(Self.relativeErrors(trainer).allSatisfy { $0 > 0.5 })
        // The mirror phase sees the weights the batch was trained with, before the optimizer's step.
        let before = trainer.network
        var random = RandomSource(seed: 9)
        trainer.model.step(0..<25, random: &random)
        let errors = Self.relativeErrors(trainer, network: before)
        // Inputs of B2, B3: 12 and 8 units; √(12/40000) ≈ 0.017.
        #expect(errors.allSatisfy { $0 < 0.05 }, "\(errors)")
    }

    /// With the forward weights frozen, the running average converges to the transpose.
    @Test func withTheForwardWeightsFrozenTheFeedbackConvergesToTheTranspose() throws {
        var trainer = try Trainer(configuration: Self.configuration(WeightMirrorSettings(mirrorLearningRate: 0.05, samples: 64), epochs: 2,
                                                                    frozen: true),
                                  data: TrainerTests.digits, backend: .portable)
        let start = trainer.network
        for _ in 0..<2 { try trainer.trainEpoch() }
        #expect(trainer.network == start)
        let errors = Self.relativeErrors(trainer)
        #expect(errors.allSatisfy { $0 < 0.1 }, "\(errors)")
    }

    /// While W learns, B follows it: relative error below 0.1 and credits near backprop's, where FA's
    /// stay far (see the Kolen–Pollack suite for FA on the same net).
    @Test func whileTheNetworkLearnsTheFeedbackStaysAligned() throws {
        var trainer = try Trainer(configuration: Self.configuration(WeightMirrorSettings(mirrorLearningRate: 0.05, samples: 256), epochs: 3),
                                  data: TrainerTests.digits, backend: .portable)
        for _ in 0..<3 { try trainer.trainEpoch() }
        let measured = try #require(trainer.history.last?.probes.last?.diagnostics)
        #expect(measured.feedback.allSatisfy { $0.relativeError < 0.1 }, "\(measured.feedback.map(\.relativeError))")
        #expect(measured.creditAngles.allSatisfy { $0 < 10 }, "\(measured.creditAngles)")
    }

    @Test func optionsAndBadSettings() throws {
        var spec = try #require(RuleSpec(argument: "wm"))
        try spec.applyOptions(["--mirror-lr", "0.01", "--mirror-samples=32"])
        #expect(spec == RuleSpec(WeightMirrorSettings(mirrorLearningRate: 0.01, samples: 32)))
        #expect(throws: ConfigurationError.self) { try spec.applyOptions(["--decay", "1"]) }
        for bad in [WeightMirrorSettings(mirrorLearningRate: 0), WeightMirrorSettings(samples: 0)] {
            #expect(throws: ConfigurationError.self) { try Self.configuration(bad).validate() }
        }
    }
}
