import Foundation
import Testing
@testable import CreditKit

/// NGRAD (activity differences) against backprop: its credit is backprop's to first order in the
/// nudge (second order when symmetric), so it trains as backprop does.
@Suite("Activity differences (NGRAD)")
struct ActivityDifferenceTests {
    static func network(_ sizes: [Int], activation: Activation, seed: UInt64 = 7) -> Network {
        var random = RandomSource(seed: seed)
        return Network(architecture: Architecture(sizes: sizes, hiddenActivation: activation), initializer: .xavier, random: &random)
    }

    /// The credits of `rule` on one batch (forward pass and output error first).
    static func credits(_ rule: any LearningRule, network: Network, input: Matrix, target: Matrix) -> [Matrix] {
        var workspace = Workspace(architecture: network.architecture, batchSize: input.rows)
        workspace.input = input
        workspace.target = target
        network.forward(&workspace, backend: .portable)
        network.writeOutputError(loss: .crossEntropy, into: &workspace)
        var rule = rule
        var random = RandomSource(seed: 1)
        rule.assignCredit(network: network, workspace: &workspace, backend: .portable, random: &random)
        return Array(workspace.credits.dropLast())
    }

    static func batch(_ network: Network, rows: Int = 16) -> (Matrix, Matrix) {
        var random = RandomSource(seed: 3)
        let input = randomMatrix(rows, network.architecture.sizes[0], &random)
        let classes = network.architecture.sizes.last!
        let target = Matrix(rows: rows, columns: classes) { r, c in c == r % classes ? 1 : 0 }
        return (input, target)
    }

    /// Least-squares slope of log(error) against log(η).
    static func slope(_ points: [(Double, Double)]) -> Double {
        let xs = points.map { log($0.0) }, ys = points.map { log($0.1) }
        let (mx, my) = (xs.reduce(0, +) / Double(xs.count), ys.reduce(0, +) / Double(ys.count))
        return zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }

    /// `‖δa_ngrad − δa_BP‖/‖δa_BP‖` over every hidden layer falls as η (one-sided) and as η²
    /// (symmetric) over η = 10⁻¹ … 10⁻⁴. The changes of activity are taken without subtracting two
    /// activities, so Float's rounding no longer grows as 10⁻⁷/η: the symmetric error falls as η²
    /// until it meets that rounding (about 10⁻⁷, near η = 10⁻³) and stays there below it.
    @Test(arguments: [Activation.tanh, .sigmoid])
    func theCreditIsBackpropsToFirstOrderAndToSecondWhenSymmetric(_ activation: Activation) {
        let network = Self.network([6, 10, 9, 8, 4], activation: activation)
        let (input, target) = Self.batch(network)
        let reference = Self.credits(Backpropagation(), network: network, input: input, target: target)
        func error(_ η: Float, symmetric: Bool) -> Double {
            let credits = Self.credits(ActivityDifference(nudge: η, symmetric: symmetric), network: network, input: input, target: target)
            return relativeError(credits.flatMap { $0.elements.map(Double.init) }, reference.flatMap { $0.elements.map(Double.init) })
        }
        let nudges: [Float] = [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001]
        let oneSided = nudges.map { (Double($0), error($0, symmetric: false)) }
        let symmetric = nudges.map { (Double($0), error($0, symmetric: true)) }
        #expect(abs(Self.slope(oneSided) - 1) < 0.1, "one-sided: \(oneSided)")
        #expect(abs(Self.slope(Array(symmetric.prefix(4))) - 2) < 0.3, "symmetric: \(symmetric)")
        #expect(symmetric.dropFirst(4).allSatisfy { $0.1 < 1e-6 }, "symmetric, at Float's rounding: \(symmetric)")
        #expect(zip(symmetric, oneSided).allSatisfy { $0.1 < $1.1 })
    }

    /// With a small symmetric nudge, ten steps of NGRAD move the weights as ten of backprop do.
    @Test func itTrainsAsBackpropDoes() {
        let start = Self.network([6, 12, 10, 4], activation: .tanh)
        let (input, target) = Self.batch(start, rows: 32)
        func train(_ rule: any LearningRule) -> Network {
            var network = start, rule = rule
            var workspace = Workspace(architecture: network.architecture, batchSize: input.rows)
            workspace.input = input
            workspace.target = target
            var optimizer = Optimizer(settings: OptimizerSettings(kind: .momentum), learningRate: 0.1, network: network)
            var random = RandomSource(seed: 2)
            let step = TrainingStep(loss: .crossEntropy, backend: .portable)
            for _ in 0..<10 { step(network: &network, rule: &rule, optimizer: &optimizer, workspace: &workspace, random: &random) }
            return network
        }
        let bp = train(Backpropagation()), ngrad = train(ActivityDifference(nudge: 1e-2, symmetric: true))
        for ℓ in start.layers.indices {
            let moved = zip(bp.layers[ℓ].weights.elements, start.layers[ℓ].weights.elements).map { Double($0 - $1) }
            let apart = zip(ngrad.layers[ℓ].weights.elements, bp.layers[ℓ].weights.elements).map { Double($0 - $1) }
            let ratio = apart.map { $0 * $0 }.reduce(0, +).squareRoot() / moved.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(ratio < 1e-3, "layer \(ℓ + 1): NGRAD's weights differ from backprop's by \(ratio) of backprop's change")
        }
    }

    @Test func itsDiagnosticsReadZeroDegrees() throws {
        let data = try DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))
        var trainer = try Trainer(configuration: TrainingConfiguration(hiddenLayers: [32, 16],
                                                                       rule: RuleSpec(ActivityDifferenceSettings(nudge: 1e-2, nudgeMode: .symmetric)),
                                                                       epochs: 1, batchSize: 64), data: data)
        let diagnostics = trainer.diagnose()
        #expect(diagnostics.weightAngles.allSatisfy { $0 < 0.5 }, "\(diagnostics.weightAngles)")
        #expect(diagnostics.creditAngles.allSatisfy { $0 < 0.5 }, "\(diagnostics.creditAngles)")
    }

    @Test func aNudgeThatIsNotPositiveIsRefused() {
        for nudge: Float in [0, -0.1, .nan, .infinity] {
            #expect {
                try TrainingConfiguration(hiddenLayers: [8], rule: RuleSpec(ActivityDifferenceSettings(nudge: nudge))).validate()
            } throws: { error in
                (error as? ConfigurationError)?.field == "rule.nudge"
            }
        }
    }

    /// Learned top-down weights: their reconstruction loss (noise-preserving or de-noising) falls
    /// below a random start's, by SGD and by Adam (at its own, smaller step).
    @Test(arguments: [(OptimizerKind.sgd, TopDownSettings.ReconstructionLoss.noisePreserving), (.adam, .noisePreserving), (.sgd, .denoising)])
    func learnedTopDownWeightsReconstructTheLayerBelow(_ optimizer: OptimizerKind, _ loss: TopDownSettings.ReconstructionLoss) {
        let network = Self.network([8, 16, 12, 4], activation: .tanh)
        var random = RandomSource(seed: 9)
        let step: Float = optimizer == .adam ? 3e-3 : 0.05
        var topDown = LearnedTopDown(network: network, learningRate: step, noise: 0.1, loss: loss, optimizer: optimizer, random: &random)
        var workspace = Workspace(architecture: network.architecture, batchSize: 64)
        func batch() {
            workspace.input = randomMatrix(64, 8, &random)
            network.forward(&workspace, backend: .portable)
        }
        batch()
        topDown.learn(network: network, workspace: workspace, backend: .portable, random: &random)
        let initial = topDown.lastLoss
        for _ in 0..<400 {
            batch()
            topDown.learn(network: network, workspace: workspace, backend: .portable, random: &random)
        }
        for ℓ in initial.indices {
            #expect(topDown.lastLoss[ℓ] < initial[ℓ] / 2, "layer \(ℓ + 1): \(initial[ℓ]) → \(topDown.lastLoss[ℓ])")
        }
        // Their state is named for checkpoints (with Adam's moments and step count), and restoring it restores them.
        var copy = LearnedTopDown(network: network, learningRate: step, noise: 0.1, loss: loss, optimizer: optimizer, random: &random)
        copy.state = topDown.state
        #expect(copy.weights == topDown.weights && copy.state == topDown.state)
        let names = ["G2", "c2", "G3", "c3"]
        #expect(topDown.state.map(\.name) == (optimizer == .sgd ? names : names + names.map { $0 + ".m" } + names.map { $0 + ".v" } + ["topDownSteps"]))
    }

    /// `--top-step transpose`: the penultimate layer's credit is NGRAD-transpose's, bit for bit; the
    /// layers below get theirs through the learned weights (so differ from it), and the learned
    /// top step differs in the penultimate layer too.
    @Test func theTransposeTopStepGivesThePenultimateLayerTheTransposesCredit() {
        let network = Self.network([6, 10, 9, 8, 4], activation: .tanh)
        let (input, target) = Self.batch(network)
        var random = RandomSource(seed: 5)
        let topDown = LearnedTopDown(network: network, learningRate: 0.01, noise: 0.1, random: &random)
        let transposes = Self.credits(ActivityDifference(nudge: 1e-3, symmetric: false), network: network, input: input, target: target)
        let topStep = Self.credits(ActivityDifference(nudge: 1e-3, symmetric: false, topDown: topDown, penultimateThroughTranspose: true),
                                   network: network, input: input, target: target)
        let learned = Self.credits(ActivityDifference(nudge: 1e-3, symmetric: false, topDown: topDown), network: network, input: input,
                                   target: target)
        #expect(topStep[2] == transposes[2])
        #expect(learned[2] != transposes[2])
        for ℓ in 0..<2 { #expect(relativeError(topStep[ℓ].elements.map(Double.init), transposes[ℓ].elements.map(Double.init)) > 0.1) }
    }

    /// `--learned-change around-forward` with top-down weights equal to the transposes is
    /// NGRAD-transpose; the difference of reconstructions through the same weights is not (the
    /// slope is taken where the reconstruction puts each unit, not at its own pre-activation).
    @Test func theChangeAroundTheForwardDriveThroughTransposedWeightsIsTheTransposesRule() {
        let network = Self.network([6, 10, 9, 8, 4], activation: .tanh)
        let (input, target) = Self.batch(network)
        var random = RandomSource(seed: 5)
        var topDown = LearnedTopDown(network: network, learningRate: 0.01, noise: 0.1, random: &random)
        for ℓ in topDown.weights.indices { topDown.weights[ℓ] = network.layers[ℓ + 1].weights.transposed }
        let transposes = Self.credits(ActivityDifference(nudge: 1e-3, symmetric: false), network: network, input: input, target: target)
        let aroundForward = Self.credits(ActivityDifference(nudge: 1e-3, symmetric: false, topDown: topDown, changeAroundForward: true),
                                         network: network, input: input, target: target)
        let reconstructions = Self.credits(ActivityDifference(nudge: 1e-3, symmetric: false, topDown: topDown), network: network,
                                           input: input, target: target)
        for ℓ in transposes.indices {
            let exact = transposes[ℓ].elements.map(Double.init)
            #expect(relativeError(aroundForward[ℓ].elements.map(Double.init), exact) < 1e-5, "layer \(ℓ + 1)")
            #expect(relativeError(reconstructions[ℓ].elements.map(Double.init), exact) > 0.05, "layer \(ℓ + 1)")
        }
    }

    @Test func topDownOptionsWithTransposesAreRefused() {
        #expect {
            try TrainingConfiguration(hiddenLayers: [8], rule: RuleSpec(ActivityDifferenceSettings(topDown: TopDownSettings(schedule: .alternating)))).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == "rule.backward"
        }
        #expect {
            try TrainingConfiguration(hiddenLayers: [8], rule: RuleSpec(ActivityDifferenceSettings(topStep: .transpose))).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == "rule.backward"
        }
        #expect {
            try TrainingConfiguration(hiddenLayers: [8], rule: RuleSpec(ActivityDifferenceSettings(learnedChange: .aroundForward))).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == "rule.backward"
        }
        let settings = ActivityDifferenceSettings(backward: .learned, topDown: TopDownSettings(schedule: .alternating, pretrainEpochs: 2))
        #expect((1...6).map(settings.forwardWeightsLearn(inEpoch:)) == [false, false, false, true, false, true])
    }

    /// `--top-step` and `--learned-change` parse and are written; a configuration written before
    /// they existed reads as the learned step and the difference of reconstructions.
    @Test func theTopStepAndTheLearnedChangeAreReadAndWritten() throws {
        var rule = RuleSpec(argument: "ngrad")!
        try rule.applyOptions(["--backward", "learned", "--top-step", "transpose", "--learned-change", "around-forward"])
        #expect(rule == RuleSpec(ActivityDifferenceSettings(backward: .learned, topStep: .transpose, learnedChange: .aroundForward)))
        #expect(try JSONDecoder().decode(RuleSpec.self, from: JSONEncoder().encode(rule)) == rule)
        #expect(throws: ConfigurationError.self) { try rule.applyOptions(["--top-step", "output"]) }
        #expect(throws: ConfigurationError.self) { try rule.applyOptions(["--learned-change", "sideways"]) }
        let old = #"{"name": "ngrad", "settings": {"nudge": 0.001, "nudgeMode": "one-sided", "backward": "learned", "#
            + #""topDown": {"learningRate": 0.01, "noise": 0.1, "schedule": "parallel", "pretrainEpochs": 0}}}"#
        #expect(try JSONDecoder().decode(RuleSpec.self, from: Data(old.utf8)) == RuleSpec(ActivityDifferenceSettings(backward: .learned)))
    }
}
