import Testing
@testable import CreditKit

/// Learned feedback by node perturbation, and the matching rule, against what they must do.
@Suite("Node perturbation")
struct NodePerturbationTests {
    static func network(_ sizes: [Int], activation: Activation, seed: UInt64 = 11) -> Network {
        var random = RandomSource(seed: seed)
        return Network(architecture: Architecture(sizes: sizes, hiddenActivation: activation), initializer: .uniform(0.6),
                       random: &random)
    }

    /// One batch through the shared path: forward pass, output error, credits, feedback learning.
    static func learn(_ rule: inout NodePerturbation, network: Network, input: Matrix, target: Matrix,
                      random: inout RandomSource) -> Workspace {
        var workspace = Workspace(architecture: network.architecture, batchSize: input.rows)
        workspace.input = input
        workspace.target = target
        network.forward(&workspace, backend: .portable)
        network.writeOutputError(loss: .squaredError, into: &workspace)
        rule.assignCredit(network: network, workspace: &workspace, backend: .portable, random: &random)
        rule.learnFeedback(network: network, workspace: workspace, backend: .portable, random: &random)
        return workspace
    }

    @Test func feedbackConvergesToTransposedWeightsOnLinearNetwork() {
        // An output wider than the layers below keeps every regression identifiable and well
        // conditioned (a square random W would amplify the top B's error into the next B's).
        let network = Self.network([5, 6, 4, 8], activation: .identity)
        var random = RandomSource(seed: 5)
        var rule = NodePerturbation(settings: NodePerturbationSettings(noise: 1e-3, solver: .exact, ridge: 1e-3),
                                    network: network, loss: .squaredError, family: .uniform(0.5), random: &random)
        for _ in 0..<1500 {
            let input = randomMatrix(128, 5, &random), target = randomMatrix(128, 8, &random)
            _ = Self.learn(&rule, network: network, input: input, target: target, random: &random)
        }
        for (ℓ, b) in rule.feedback.enumerated() {
            let error = Alignment.relativeError(b, from: network.layers[ℓ + 1].weights)
            #expect(error < 0.1, "B\(ℓ + 2): relative error \(error)")
        }
        #expect(rule.takeWarnings().isEmpty)
    }

    @Test func sgdSolverAlsoConvergesWithFrozenWeights() {
        let network = Self.network([4, 5, 3], activation: .tanh)
        var random = RandomSource(seed: 6)
        var rule = NodePerturbation(settings: NodePerturbationSettings(noise: 1e-3, feedbackLearningRate: 0.02),
                                    network: network, loss: .squaredError, family: .uniform(0.5), random: &random)
        let before = Alignment.relativeError(rule.feedback[0], from: network.layers[1].weights)
        for _ in 0..<5000 {
            let input = randomMatrix(32, 4, &random), target = randomMatrix(32, 3, &random)
            _ = Self.learn(&rule, network: network, input: input, target: target, random: &random)
        }
        let after = Alignment.relativeError(rule.feedback[0], from: network.layers[1].weights)
        #expect(before > 0.5)
        #expect(after < 0.1, "relative error \(before) → \(after)")
    }

    /// `E[(L̃ − L) ξ / c] = ∂L/∂h + O(c)`: the mean over many draws matches backprop's `∂L/∂hⁱ`.
    @Test func estimateIsUnbiasedToFirstOrder() {
        let network = Self.network([4, 6, 5, 3], activation: .tanh)
        var random = RandomSource(seed: 8)
        let example = randomMatrix(1, 4, &random), goal = randomMatrix(1, 3, &random)
        let copies = 4000
        let input = Matrix(rows: copies, columns: 4) { _, c in example[0, c] }
        let target = Matrix(rows: copies, columns: 3) { _, c in goal[0, c] }
        var bp = Backpropagation()
        let reference = ruleGradients(network: network, rule: &bp, loss: .squaredError, input: input, target: target)
        // The exact solver leaves the estimates in place (SGD overwrites them with its residual).
        var rule = NodePerturbation(settings: NodePerturbationSettings(noise: 1e-3, solver: .exact, ridge: 1),
                                    network: network, loss: .squaredError, family: .uniform(0.5), random: &random)
        var sums: [[Double]] = [Array(repeating: 0, count: 6), Array(repeating: 0, count: 5)]
        let rounds = 40
        for _ in 0..<rounds {
            _ = Self.learn(&rule, network: network, input: input, target: target, random: &random)
            for ℓ in 0..<2 {
                for r in 0..<copies { for k in 0..<sums[ℓ].count { sums[ℓ][k] += Double(rule.estimates[ℓ][r, k]) } }
            }
        }
        for ℓ in 0..<2 {
            // ∂L/∂hˡ = δaˡ⁺¹ Wˡ⁺¹ (one example: the first row).
            let w = network.layers[ℓ + 1].weights
            let truth = (0..<w.columns).map { k in (0..<w.rows).reduce(0.0) { $0 + Double(reference.credits[ℓ + 1][0, $1] * w[$1, k]) } }
            let mean = sums[ℓ].map { $0 / Double(copies * rounds) }
            // 160,000 draws of λ̂ = (λ·ξ)ξ: the standard error of the mean is ~1 % of |λ|; allow 3×.
            #expect(relativeError(mean, truth) < 0.03, "layer \(ℓ + 1): \(mean) vs \(truth)")
        }
    }

    @Test func singularRidgeSystemIsReportedNotNaN() {
        // γ = 0 and one example: Σ ẽẽᵀ has rank 1 < 3, so the system cannot be solved yet.
        let network = Self.network([3, 4, 3], activation: .tanh)
        var random = RandomSource(seed: 9)
        var rule = NodePerturbation(settings: NodePerturbationSettings(solver: .exact, ridge: 0),
                                    network: network, loss: .squaredError, family: .uniform(0.5), random: &random)
        _ = Self.learn(&rule, network: network, input: randomMatrix(1, 3, &random), target: randomMatrix(1, 3, &random),
                       random: &random)
        let warnings = rule.takeWarnings()
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("singular") == true)
        #expect(rule.feedback.allSatisfy { $0.elements.allSatisfy(\.isFinite) })
        #expect(rule.takeWarnings().isEmpty)  // reported once
    }

    @Test func badSettingsAreRefusedBeforeTraining() {
        #expect(throws: ConfigurationError.self) { try NodePerturbationSettings(noise: 0).validate() }
        #expect(throws: ConfigurationError.self) { try NodePerturbationSettings(noise: -0.1).validate() }
        #expect(throws: ConfigurationError.self) { try NodePerturbationSettings(ridge: -1).validate() }
        #expect(throws: ConfigurationError.self) { try NodePerturbationSettings(noiseProbability: 0).validate() }
        // A rule refuses the options of another.
        var fa = RuleSpec.feedbackAlignment
        #expect(throws: ConfigurationError.self) { try fa.applyOptions(["--noise", "0.01"]) }
        var np = RuleSpec.nodePerturbation
        #expect(throws: ConfigurationError.self) { try np.applyOptions(["--noise", "x"]) }
        #expect(throws: ConfigurationError.self) { try np.applyOptions(["--noise"]) }
        _ = try? np.applyOptions(["--noise", "0.05", "--feedback-solver=exact"])
        #expect(np == RuleSpec(NodePerturbationSettings(noise: 0.05, solver: .exact)))
        #expect(RuleSpec(argument: "np") == .nodePerturbation)
        #expect(RuleSpec(argument: "matching") == .matching)
    }

    /// Matching: B receives exactly W's changes, so `Bᵀ − W` never moves; with `Bᵀ = W` at the
    /// start it is backprop throughout.
    @Test func matchingKeepsTheInitialDifference() throws {
        let configuration = TrainingConfiguration(hiddenLayers: [12, 8], rule: .matching, epochs: 1, batchSize: 16,
                                                  learningRate: 0.05, optimizer: .adam)
        var trainer = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        let rule0 = trainer.rule as! MatchingFeedback
        let start = zip(rule0.feedback, trainer.network.layers.dropFirst()).map { b, layer in
            zip(b.elements, layer.weights.elements).map { Double($0 - $1) }
        }
        try trainer.trainEpoch()
        let rule = trainer.rule as! MatchingFeedback
        for (ℓ, b) in rule.feedback.enumerated() {
            let now = zip(b.elements, trainer.network.layers[ℓ + 1].weights.elements).map { Double($0 - $1) }
            #expect(zip(now, start[ℓ]).allSatisfy { abs($0 - $1) < 1e-4 })
            #expect(trainer.network.layers[ℓ + 1].weights != rule0.learner.previousWeights[ℓ])  // W did learn
        }
    }

    @Test func warmUpAndFrozenRunsLearnOnlyTheFeedback() throws {
        var configuration = TrainingConfiguration(hiddenLayers: [12, 8], rule: RuleSpec(NodePerturbationSettings(noise: 0.05, warmupEpochs: 1)),
                                                  epochs: 2, batchSize: 50, learningRate: 0.05, optimizer: .sgd)
        var trainer = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        let (network, feedback) = (trainer.network, trainer.rule.state)
        try trainer.trainEpoch()
        #expect(trainer.network == network)
        #expect(trainer.rule.state != feedback)
        try trainer.trainEpoch()
        #expect(trainer.network != network)

        configuration.freezeForwardWeights = true
        configuration.rule = RuleSpec(NodePerturbationSettings(noise: 0.05))
        var frozen = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        for _ in 0..<2 { try frozen.trainEpoch() }
        #expect(frozen.network == network)
        #expect(frozen.rule.state != feedback)
    }
}
