import Testing
@testable import CreditKit

/// The FA family against backprop where they must coincide, and the diagnostics where their
/// values are known.
@Suite("Feedback alignment family")
struct FeedbackAlignmentTests {
    struct Problem {
        var network: Network
        var input: Matrix
        var target: Matrix
    }

    static func problem(sizes: [Int], activation: Activation = .tanh, seed: UInt64 = 7) -> Problem {
        var random = RandomSource(seed: seed)
        let network = Network(architecture: Architecture(sizes: sizes, hiddenActivation: activation),
                              initializer: .uniform(0.5), random: &random)
        let input = randomMatrix(9, sizes[0], &random)
        var target = Matrix(rows: 9, columns: sizes.last!)
        for r in 0..<9 { target[r, r % sizes.last!] = 1 }
        return Problem(network: network, input: input, target: target)
    }

    static func rule(_ kind: String, _ network: Network, auxiliaryErrors: Bool = false,
                     family: FeedbackFamily = .uniform(0.5)) throws -> GeneralFeedback {
        var random = RandomSource(seed: 3)
        let settings = GeneralFeedbackSettings(GeneralFeedbackSettings.Preset(argument: kind)!, feedback: family,
                                               auxiliaryErrors: auxiliaryErrors)
        return try settings.makeRule(for: network, loss: .crossEntropy, random: &random) as! GeneralFeedback
    }

    @Test func faWithTransposedWeightsIsBackprop() throws {
        let p = Self.problem(sizes: [6, 8, 7, 5, 4])
        var fa = try Self.rule("fa", p.network)
        fa.state = p.network.layers.indices.dropFirst().map { NamedTensor("above\($0 + 1)", p.network.layers[$0].weights) }  // Bⁱ⁺¹ = (Wⁱ⁺¹)ᵀ, stored transposed
        var bp = Backpropagation()
        let viaFA = ruleGradients(network: p.network, rule: &fa, loss: .crossEntropy, input: p.input, target: p.target)
        let viaBP = ruleGradients(network: p.network, rule: &bp, loss: .crossEntropy, input: p.input, target: p.target)
        #expect(viaFA.credits == viaBP.credits)
        #expect(viaFA.weightGradients == viaBP.weightGradients)
    }

    @Test func dfaWithOneHiddenLayerAndTransposedWeightsIsBackprop() throws {
        let p = Self.problem(sizes: [6, 8, 4])
        var dfa = try Self.rule("dfa", p.network)
        dfa.state = [NamedTensor("direct1", p.network.layers[1].weights)]
        var bp = Backpropagation()
        let viaDFA = ruleGradients(network: p.network, rule: &dfa, loss: .crossEntropy, input: p.input, target: p.target)
        let viaBP = ruleGradients(network: p.network, rule: &bp, loss: .crossEntropy, input: p.input, target: p.target)
        #expect(viaDFA.credits == viaBP.credits)
    }

    @Test func randomFeedbackIsNotBackprop() throws {
        // Guards the two tests above: with its own random B, FA must differ from backprop.
        let p = Self.problem(sizes: [6, 8, 7, 4])
        var fa = try Self.rule("fa", p.network)
        var bp = Backpropagation()
        let viaFA = ruleGradients(network: p.network, rule: &fa, loss: .crossEntropy, input: p.input, target: p.target)
        let viaBP = ruleGradients(network: p.network, rule: &bp, loss: .crossEntropy, input: p.input, target: p.target)
        let angle = Alignment.angle(viaFA.weightGradients[0], viaBP.weightGradients[0])
        #expect(angle > 10)
        #expect(viaFA.weightGradients[2] == viaBP.weightGradients[2], "the output layer's update is the same for every rule")
    }

    @Test func strategiesFollowTheirDefinitionsOnTwoLayers() throws {
        // s1: δa² = B²e ⊙ f'(a²);  δa¹ = ½(B¹e + B̃¹δa²) ⊙ f'(a¹), checked against a direct computation.
        let p = Self.problem(sizes: [6, 8, 7, 4])
        var s1 = try Self.rule("s1", p.network)
        let w = ruleGradients(network: p.network, rule: &s1, loss: .crossEntropy, input: p.input, target: p.target)
        let e = w.credits[2]
        let direct2 = s1.direct[1]!, direct1 = s1.direct[0]!, above1 = s1.above[0]!
        var expected2 = product(e, direct2)
        p.network.layers[1].multiplyByDerivative(&expected2, preActivation: w.preActivations[1], activity: w.activities[1])
        var expected1 = sum(scaled(product(e, direct1), 0.5), scaled(product(expected2, above1), 0.5))
        p.network.layers[0].multiplyByDerivative(&expected1, preActivation: w.preActivations[0], activity: w.activities[0])
        #expect(maxDifference(w.credits[1], expected2) < 1e-6)
        #expect(maxDifference(w.credits[0], expected1) < 1e-6)

        typealias Preset = GeneralFeedbackSettings.Preset
        #expect(Preset.strategy(1).terms(hiddenLayers: 2) == [[.direct, .above], .direct])
        #expect(Preset.strategy(2).terms(hiddenLayers: 2) == [.direct, [.below, .direct]])
        #expect(Preset.strategy(3).terms(hiddenLayers: 2) == [[.direct, .above], [.below, .direct]])
        #expect(RuleSpec(argument: "terms:da/bd") == RuleSpec(GeneralFeedbackSettings(.terms([[.direct, .above], [.below, .direct]]))))
    }

    @Test func s3ExchangesDFASignals() throws {
        // s3: δa¹ = ½(B¹e + B̃¹δã²) ⊙ f'(a¹) with δã² = B²e ⊙ f'(a²).
        let p = Self.problem(sizes: [6, 8, 7, 4])
        var s3 = try Self.rule("s3", p.network)
        let w = ruleGradients(network: p.network, rule: &s3, loss: .crossEntropy, input: p.input, target: p.target)
        let e = w.credits[2]
        var dfa2 = product(e, s3.direct[1]!)
        p.network.layers[1].multiplyByDerivative(&dfa2, preActivation: w.preActivations[1], activity: w.activities[1])
        var expected1 = sum(scaled(product(e, s3.direct[0]!), 0.5), scaled(product(dfa2, s3.above[0]!), 0.5))
        p.network.layers[0].multiplyByDerivative(&expected1, preActivation: w.preActivations[0], activity: w.activities[0])
        #expect(maxDifference(w.credits[0], expected1) < 1e-6)
    }

    @Test func auxiliaryErrorsAreTheLocalGradientOfTheFixedReadout() throws {
        // LAFS: with aₓ = (B¹)ᵀh¹ and eⁱ = softmax(aₓ) − y, B¹e¹ ⊙ f'(a¹) is ∂L_aux/∂a¹ exactly.
        let p = Self.problem(sizes: [6, 8, 4])
        var lafs = try Self.rule("dfa", p.network, auxiliaryErrors: true)
        let w = ruleGradients(network: p.network, rule: &lafs, loss: .crossEntropy, input: p.input, target: p.target)
        // The same quantity by backprop through a network whose output layer is the fixed readout.
        var readout = p.network
        readout.layers[1].weights = lafs.direct[0]!
        readout.layers[1].biases = Matrix(rows: 1, columns: 4)
        var bp = Backpropagation()
        let reference = ruleGradients(network: readout, rule: &bp, loss: .crossEntropy, input: p.input, target: p.target)
        #expect(maxDifference(w.credits[0], reference.credits[0]) < 1e-6)
    }

    @Test func probeReadsZeroDegreesForBackpropAndTheAngleIsNotFolded() throws {
        let p = Self.problem(sizes: [6, 8, 7, 4])
        let dataset = Dataset(name: "probe", count: 9, featureCount: 6, features: .floats(p.input.elements.map { $0 }),
                              targets: .classes((0..<9).map { UInt8($0 % 4) }, classCount: 4))
        var probe = GradientProbe(dataset: dataset, architecture: p.network.architecture, seed: 1)
        let bp = probe.measure(network: p.network, rule: Backpropagation(), loss: .crossEntropy, dataset: dataset, backend: .portable)
        #expect(bp.weightAngles.allSatisfy { $0 < 0.1 })
        #expect(bp.creditAngles.allSatisfy { $0 < 0.1 })

        let x = Matrix(rows: 1, columns: 3, elements: [1, 2, 0]), orthogonal = Matrix(rows: 1, columns: 3, elements: [-2, 1, 5])
        #expect(abs(Alignment.angle(x, orthogonal) - 90) < 1e-9)
        #expect(abs(Alignment.angle(x, Matrix(rows: 1, columns: 3, elements: [-1, -2, 0])) - 180) < 1e-6)
        #expect(Alignment.angle(x, Matrix(rows: 1, columns: 3)).isNaN)
    }

    @Test func signSymmetricFeedbackIsFullyCongruent() {
        for mode in SignSymmetry.Mode.allCases {
            let p = Self.problem(sizes: [6, 8, 7, 4])
            var random = RandomSource(seed: 5)
            var rule = SignSymmetry(mode: mode, network: p.network, random: &random)
            _ = ruleGradients(network: p.network, rule: &rule, loss: .crossEntropy, input: p.input, target: p.target)
            for pair in rule.feedbackPairs {
                let weights = p.network.layers[pair.layer + 1].weights
                #expect(Alignment.signCongruence(pair.feedback, weights) == 100, "\(mode) layer \(pair.layer)")
                // Scaled to W's RMS, so the norms agree.
                #expect(abs(Alignment.normRatio(pair.feedback, weights) - 1) < 1e-4)
            }
            let fa = try! Self.rule("fa", p.network)
            #expect(fa.feedbackPairs.allSatisfy { Alignment.signCongruence($0.feedback, p.network.layers[$0.layer + 1].weights) < 70 })
        }
    }

    @Test func experimentFourFamiliesHaveTheirShapeAndStatistics() {
        var random = RandomSource(seed: 11)
        let sources = 10, targets = 800
        for family in FeedbackFamily.experiment4 + [.uniform(0.5), .gaussian(1), .xavier] {
            let m = family.transposedMatrix(sources: sources, targets: targets, random: &random)
            #expect(m.rows == sources && m.columns == targets)
            let values = m.doubles
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            let diagonal = (0..<sources).map { Double(m[$0, $0]) }
            let density = Double(FeedbackFamily.sparseDensity)
            switch family {
            case .onesNoise:
                #expect(abs(mean - 1) < 0.002 && abs(deviation - 0.01) < 0.001)
            case .identity:
                #expect(diagonal.allSatisfy { $0 == 1 } && values.reduce(0, +) == Double(sources))
            case .identityNoise:
                #expect(diagonal.allSatisfy { abs($0 - 1) < 0.05 } && abs(mean - Double(sources) / Double(values.count)) < 0.001)
            case .sparseOnes:
                #expect(values.allSatisfy { $0 == 0 || $0 == 1 } && abs(mean - density) < 0.02)
            case .onesUniform:
                #expect(values.allSatisfy { abs($0 - 1) <= 0.01 } && abs(deviation - 0.01 / 3.0.squareRoot()) < 0.001)
            case .sparseOnesNoise:
                #expect(abs(mean - density) < 0.02 && abs(deviation - (density * (1 - density) + 0.0001).squareRoot()) < 0.02)
            case .noise:
                #expect(abs(mean) < 0.001 && abs(deviation - 0.01) < 0.001)
            case .uniform(let a):
                #expect(values.allSatisfy { abs($0) <= Double(a) } && abs(deviation - Double(a) / 3.0.squareRoot()) < 0.01)
            case .gaussian(let s):
                #expect(abs(deviation - Double(s) / Double(sources).squareRoot()) < 0.01)
            case .xavier:
                let limit = (6 / Double(sources + targets)).squareRoot()
                #expect(values.allSatisfy { abs($0) <= limit } && abs(deviation - limit / 3.0.squareRoot()) < 0.002)
            }
        }
    }

    @Test func badRuleSpecificationsAreRejectedBeforeTraining() {
        #expect(RuleSpec(argument: "fb") == nil)
        #expect(RuleSpec(argument: "terms:dx/d") == nil)
        #expect(RuleSpec(argument: "terms:d//d") == nil)
        #expect(FeedbackFamily(argument: "b8") == nil)
        #expect(FeedbackFamily(argument: "uniform:-1") == nil)
        #expect(FeedbackFamily(argument: "b4") == .sparseOnes)

        func error(_ rule: String, layers: [Int] = [20, 20], aux: Bool = false) -> String? {
            var spec = RuleSpec(argument: rule)!
            do {
                try spec.applyOptions(aux ? ["--aux-errors"] : [])
                try TrainingConfiguration(hiddenLayers: layers, rule: spec).validate()
                return nil
            } catch { return error.description }
        }
        #expect(error("terms:bd/d")?.contains("no 'b' (below) term in hidden layer 1") == true)
        #expect(error("terms:d/d/d")?.contains("one term set per hidden layer") == true)
        #expect(error("fa", aux: true)?.hasPrefix("rule.auxiliaryErrors:") == true)
        #expect(error("s3", aux: true) == nil)
        #expect(error("terms:da/bd") == nil)
    }
}

private func product(_ a: Matrix, _ b: Matrix) -> Matrix {
    var c = Matrix(rows: a.rows, columns: b.columns)
    LinearAlgebraBackend.portable.gemm(a, .none, b, .none, into: &c)
    return c
}

private func scaled(_ a: Matrix, _ s: Float) -> Matrix {
    Matrix(rows: a.rows, columns: a.columns, elements: a.elements.map { $0 * s })
}

private func sum(_ a: Matrix, _ b: Matrix) -> Matrix {
    Matrix(rows: a.rows, columns: a.columns, elements: zip(a.elements, b.elements).map { $0 + $1 })
}

private func maxDifference(_ a: Matrix, _ b: Matrix) -> Float {
    zip(a.elements, b.elements).map { abs($0 - $1) }.max() ?? 0
}
