import Testing
@testable import CreditKit

/// Kickback against the statements of Balduzzi et al. 2015.
@Suite("Kickback")
struct KickbackTests {
    struct Problem {
        var network: Network
        var input: Matrix
        var target: Matrix
        var loss: Loss
    }

    /// A mixed-rectifier regression network with one scalar target.
    static func problem(hidden: [Int], initializer: Initializer, rectilinear: Bool, seed: UInt64 = 5) -> Problem {
        var random = RandomSource(seed: seed)
        let loss: Loss = rectilinear ? .rectilinear : .squaredError
        let configuration = TrainingConfiguration(hiddenLayers: hidden, activation: .mixedRectifier, loss: loss, rule: .kickback)
        let architecture = configuration.architecture(inputs: 5, outputs: 1)
        let network = Network(architecture: architecture, initializer: initializer, random: &random)
        let input = randomMatrix(12, 5, &random)
        let target = Matrix(rows: 12, columns: 1) { _, _ in random.uniform(-2, 2) }
        return Problem(network: network, input: input, target: target, loss: loss)
    }

    static func credits(_ p: Problem, truncated: Bool) -> Workspace {
        var rule = Kickback(truncated: truncated, scales: [1], network: p.network, loss: p.loss)
        return ruleGradients(network: p.network, rule: &rule, loss: p.loss, input: p.input, target: p.target)
    }

    @Test(arguments: [false, true])
    func withOneHiddenLayerKickbackIsBackprop(rectilinear: Bool) {
        let p = Self.problem(hidden: [8], initializer: .uniform(0.5), rectilinear: rectilinear)
        let kickback = Self.credits(p, truncated: true), backprop = Self.credits(p, truncated: false)
        #expect(kickback.credits == backprop.credits)
        if !rectilinear {
            // And backprop through β is the library's backprop when the output is linear.
            var bp = Backpropagation()
            let reference = ruleGradients(network: p.network, rule: &bp, loss: p.loss, input: p.input, target: p.target)
            #expect(maxDifference(reference.credits[0], backprop.credits[0]) < 1e-6)
        }
    }

    @Test func truncationChangesDeeperLayers() {
        // Guards the test above: below the top hidden layer the two must differ.
        let p = Self.problem(hidden: [6, 8], initializer: .uniform(0.5), rectilinear: true)
        let kickback = Self.credits(p, truncated: true), backprop = Self.credits(p, truncated: false)
        #expect(kickback.credits[1] == backprop.credits[1])
        #expect(maxDifference(kickback.credits[0], backprop.credits[0]) > 1e-3)
    }

    @Test func signedInitializationMakesEveryInfluencePositive() {
        let p = Self.problem(hidden: [6, 8, 10], initializer: .signed(0.5), rectilinear: true)
        var workspace = Workspace(architecture: p.network.architecture, batchSize: 12)
        workspace.input = p.input
        p.network.forward(&workspace, backend: .portable)
        for ℓ in 0..<3 {
            let tau = Kickback.influence(of: ℓ, network: p.network, workspace: workspace, backend: .portable)
            #expect(tau.elements.allSatisfy { $0 >= 0 }, "layer \(ℓ + 1)")
            #expect(tau.elements.contains { $0 > 0 })
            #expect(Kickback.coherence(tau) == 1)
        }
        let uniform = Self.problem(hidden: [6, 8, 10], initializer: .uniform(0.5), rectilinear: true)
        var w = Workspace(architecture: uniform.network.architecture, batchSize: 12)
        w.input = uniform.input
        uniform.network.forward(&w, backend: .portable)
        #expect(Kickback.coherence(Kickback.influence(of: 1, network: uniform.network, workspace: w, backend: .portable)) < 0.9)
    }

    @Test func onACoherentNetworkKickbackHasBackpropsSigns() {
        // Theorem 4: with every τⱼ > 0 downstream, εⱼ = βτⱼ and δⱼ = βπⱼ agree in sign.
        let p = Self.problem(hidden: [6, 8, 10], initializer: .signed(0.5), rectilinear: true)
        let kickback = Self.credits(p, truncated: true), backprop = Self.credits(p, truncated: false)
        for ℓ in 0..<3 {
            let pairs = zip(kickback.credits[ℓ].elements, backprop.credits[ℓ].elements)
            #expect(pairs.allSatisfy { ($0 > 0) == ($1 > 0) && ($0 < 0) == ($1 < 0) }, "layer \(ℓ + 1)")
            #expect(Alignment.signAgreement(kickback.credits[ℓ], backprop.credits[ℓ]) == 100)
        }
    }

    @Test func backpropFactorizesAsBetaTimesThePathSum() {
        // Theorem 3: δaⱼ = β 𝟙ⱼ πⱼ with πⱼ = Σ over paths j → … → output of Π wₖₗ 𝟙ₗ, here
        // enumerated path by path on a linear-output network.
        let p = Self.problem(hidden: [3, 4, 3], initializer: .uniform(0.8), rectilinear: false)
        let backprop = Self.credits(p, truncated: false)
        var workspace = Workspace(architecture: p.network.architecture, batchSize: 12)
        workspace.input = p.input
        p.network.forward(&workspace, backend: .portable)
        let layers = p.network.layers
        func subgradient(_ ℓ: Int, _ r: Int, _ j: Int) -> Double {
            if ℓ == layers.count - 1 { return 1 }
            let a = workspace.preActivations[ℓ][r, j]
            return a > 0 ? (j < layers[ℓ].positiveUnits ? 1 : -1) : 0
        }
        func pathSum(_ ℓ: Int, _ r: Int, _ j: Int) -> Double {  // ∂ŷ/∂hⱼ by explicit paths
            if ℓ == layers.count - 1 { return 1 }
            var total = 0.0
            for k in 0..<layers[ℓ + 1].outputs {
                total += Double(layers[ℓ + 1].weights[k, j]) * subgradient(ℓ + 1, r, k) * pathSum(ℓ + 1, r, k)
            }
            return total
        }
        for r in 0..<12 {
            let beta = Double(workspace.output[r, 0] - p.target[r, 0])
            for ℓ in 0..<3 {
                for j in 0..<layers[ℓ].outputs {
                    let expected = beta * subgradient(ℓ, r, j) * pathSum(ℓ, r, j)
                    #expect(abs(Double(backprop.credits[ℓ][r, j]) - expected) < 1e-4 * max(1, abs(expected)))
                }
            }
        }
    }

    @Test func theMultiClassExtensionIsKickbackWhenEveryClassSeesACoherentNetwork() {
        // With signed initialization and positive output weights every sign(τₘ⁽ᵏ⁾) is +1, so
        // εⱼ = ρ Σₖ βₖ τⱼ: scalar Kickback driven by the summed class errors. (Squared error: with
        // softmax cross-entropy Σₖ βₖ = 0 and this coherent special case carries no signal.)
        var random = RandomSource(seed: 9)
        let architecture = Architecture(sizes: [5, 6, 8, 3], hiddenActivation: .mixedRectifier)
        var network = Network(architecture: architecture, initializer: .signed(0.5), random: &random)
        network.layers[2].weights = Matrix(rows: 3, columns: 8) { _, _ in random.uniform(0.1, 0.5) }
        let input = randomMatrix(7, 5, &random)
        var target = Matrix(rows: 7, columns: 3)
        for r in 0..<7 { target[r, r % 3] = 1 }
        var rule = Kickback(truncated: true, scales: [0.7], network: network, loss: .squaredError)
        let w = ruleGradients(network: network, rule: &rule, loss: .squaredError, input: input, target: target)
        var bp = Backpropagation()
        let reference = ruleGradients(network: network, rule: &bp, loss: .squaredError, input: input, target: target)
        #expect(maxDifference(w.credits[1], reference.credits[1]) < 1e-6, "the top hidden layer is exact")
        let tau = Kickback.influence(of: 0, network: network, workspace: w, backend: .portable)
        var expected = Matrix(rows: 7, columns: 6)
        for r in 0..<7 {
            let beta = (0..<3).reduce(Float(0)) { $0 + w.credits[2][r, $1] }
            for j in 0..<6 { expected[r, j] = 0.7 * beta * tau[r, j] }
        }
        network.layers[0].multiplyByDerivative(&expected, preActivation: w.preActivations[0], activity: w.activities[0])
        #expect(maxDifference(w.credits[0], expected) < 1e-5)
        #expect(expected.elements.contains { abs($0) > 1e-4 })
    }

    @Test func projectionKeepsEveryUnitInTheBall() {
        var p = Self.problem(hidden: [6, 8], initializer: .uniform(2), rectilinear: true)
        p.network.projectUnitWeights(into: 0.5)
        for layer in p.network.layers {
            for unit in 0..<layer.outputs {
                let norm = (0..<layer.inputs).reduce(Float(0)) { $0 + layer.weights[unit, $1] * layer.weights[unit, $1] }.squareRoot()
                #expect(norm <= 0.5 + 1e-5)
                #expect(norm > 0.49, "uniform(2) rows are all longer than 0.5 and land on the sphere")
            }
        }
    }

    @Test func kickbackIsRefusedWhereItIsNotDefined() {
        func error(_ configuration: TrainingConfiguration, data: DataSplit? = nil) -> String? {
            do {
                try configuration.validate()
                if let data { try configuration.validate(against: data) }
                return nil
            } catch { return error.description }
        }
        #expect(error(TrainingConfiguration(hiddenLayers: [10], activation: .tanh, loss: .squaredError, rule: .kickback))?
            .contains("rectifier hidden units") == true)
        let regression = Dataset(name: "r", count: 4, featureCount: 2, features: .floats(Array(repeating: 0, count: 8)),
                                 targets: .values(Array(repeating: 0, count: 12), width: 3))
        let split = DataSplit(train: regression, test: regression, source: "test")
        var configuration = TrainingConfiguration(dataset: .sarcos, hiddenLayers: [10], activation: .mixedRectifier,
                                                  loss: .rectilinear, rule: .kickback, batchSize: 2)
        #expect(error(configuration, data: split)?.contains("scalar regression target") == true)
        configuration.joint = 4
        #expect(error(configuration, data: split)?.contains("a joint in 1…3") == true)
        configuration.joint = 2
        #expect(error(configuration, data: split) == nil)
        configuration.rule = .kickback(scales: .fixed([1, 2, 3]))
        #expect(error(configuration)?.hasPrefix("rule.scales:") == true)
    }

    /// The factor search keeps the candidate nearest the centre among those within one standard
    /// error of the best, and takes the best when it wins clearly.
    @Test func theScaleSearchPrefersTheCentreUnlessClearlyBeaten() {
        typealias Trial = KickbackScaleSearch.Trial
        let close = [Trial(multiplier: 0.25, error: 0.207, standardError: 0.01),
                     Trial(multiplier: 1, error: 0.215, standardError: 0.01),
                     Trial(multiplier: 4, error: 0.30, standardError: 0.01)]
        #expect(KickbackScaleSearch.oneStandardErrorChoice(close)?.multiplier == 1)
        let clear = [Trial(multiplier: 0.25, error: 0.150, standardError: 0.01),
                     Trial(multiplier: 0.5, error: 0.155, standardError: 0.01),
                     Trial(multiplier: 1, error: 0.215, standardError: 0.01)]
        #expect(KickbackScaleSearch.oneStandardErrorChoice(clear)?.multiplier == 0.5)
        let diverged = [Trial(multiplier: 1, error: .nan, standardError: .nan),
                        Trial(multiplier: 2, error: 0.3, standardError: .nan)]
        #expect(KickbackScaleSearch.oneStandardErrorChoice(diverged)?.multiplier == 2)
        #expect(KickbackScaleSearch.oneStandardErrorChoice([]) == nil)
    }
}

private func maxDifference(_ a: Matrix, _ b: Matrix) -> Float {
    zip(a.elements, b.elements).map { abs($0 - $1) }.max() ?? 0
}
