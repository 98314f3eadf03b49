/// Target propagation (Lee et al. 2015) and difference target propagation: every hidden layer is
/// given a target activity and learns to reach it.
///
/// The penultimate layer's target is a gradient step on the task loss, `ĥᴸ⁻¹ = hᴸ⁻¹ − α ∂L/∂hᴸ⁻¹`
/// (the loss of each example); below it targets travel down through learned top-down weights
/// (``LearnedTopDown``): `ĥⁱ = gᵢ(ĥⁱ⁺¹)` (TP) or, with the difference correction that cancels
/// the inverses' error, `ĥⁱ = hⁱ + gᵢ(ĥⁱ⁺¹) − gᵢ(hⁱ⁺¹)` (DTP). No target is made for the input.
/// Each hidden layer learns its local loss `½‖hⁱ − ĥⁱ‖²`, whose credit is
/// `δaⁱ = (hⁱ − ĥⁱ) ⊙ fᵢ'(aⁱ)`; here it is divided by α (Meulemans et al.: the forward learning
/// rate divided by the target step), so that one learning rate suits backprop and DTP — with
/// exact transposes the penultimate layer's credit is then backprop's. The output layer learns
/// the task loss.
public struct TargetPropagation: LearningRule {
    /// TP or DTP.
    public let difference: Bool
    /// `α`, the step of the penultimate target.
    public let targetStep: Float
    /// The learned top-down weights `gᵢ`.
    public internal(set) var topDown: LearnedTopDown
    let learnsTopDown: @Sendable (Int) -> Bool
    private var topDownLearnsNow = true
    /// Per layer: the target `ĥⁱ`, and scratch for a reconstruction and its pre-activation.
    private var target = LayerScratch(), reconstruction = LayerScratch(), scratch = LayerScratch()

    /// TP (`difference: false`) or DTP with target step `targetStep` and top-down weights `topDown`.
    public init(difference: Bool, targetStep: Float, topDown: LearnedTopDown, learnsTopDown: @escaping @Sendable (Int) -> Bool) {
        self.difference = difference
        self.targetStep = targetStep
        self.topDown = topDown
        self.learnsTopDown = learnsTopDown
    }

    public var name: String { difference ? "dtp" : "tp" }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        target.fit(workspace)
        reconstruction.fit(workspace)
        scratch.fit(workspace)
        let penultimate = network.depth - 2
        guard penultimate >= 0 else { return }
        // ĥᴸ⁻¹ = hᴸ⁻¹ − α e Wᴸ (rows are examples, so ∂L/∂hᴸ⁻¹ = e · Wᴸ).
        target[penultimate].copyElements(from: workspace.activities[penultimate])
        backend.gemm(workspace.credits[penultimate + 1], .none, network.layers[penultimate + 1].weights, .none,
                     into: &target[penultimate], alpha: -targetStep, beta: 1)
        for ℓ in stride(from: penultimate - 1, through: 0, by: -1) {
            topDown.reconstruct(layer: ℓ, from: target[ℓ + 1], network: network, preActivation: &scratch[ℓ], into: &target[ℓ],
                                backend: backend)
            if difference {
                // ĥⁱ = hⁱ + gᵢ(ĥⁱ⁺¹) − gᵢ(hⁱ⁺¹).
                topDown.reconstruct(layer: ℓ, from: workspace.activities[ℓ + 1], network: network, preActivation: &scratch[ℓ],
                                    into: &reconstruction[ℓ], backend: backend)
                Self.combine(&target[ℓ], plus: workspace.activities[ℓ], minus: reconstruction[ℓ])
            }
        }
        // δaⁱ = (hⁱ − ĥⁱ) ⊙ fᵢ'(aⁱ) / α.
        for ℓ in 0...penultimate {
            Self.combine(&workspace.credits[ℓ], scale: 1 / targetStep, activity: workspace.activities[ℓ], target: target[ℓ])
            network.layers[ℓ].multiplyByDerivative(&workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                                                   activity: workspace.activities[ℓ])
        }
    }

    public mutating func epochWillBegin(_ epoch: Int) { topDownLearnsNow = learnsTopDown(epoch) }

    public mutating func learnFeedback(network: Network, workspace: Workspace, backend: LinearAlgebraBackend, random: inout RandomSource) {
        guard topDownLearnsNow else { return }
        topDown.learn(network: network, workspace: workspace, backend: backend, random: &random)
    }

    public var state: [NamedTensor] {
        get { topDown.state }
        set { topDown.state = newValue }
    }

    public func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn] {
        topDown.probeColumns(network: network, workspace: workspace, backend: backend)
    }

    /// `G_ℓ` stands where `(Wˡ⁺¹)ᵀ` would: compared with it like a feedback matrix.
    public var feedbackPairs: [FeedbackPair] { LayerwiseFeedback.pairs(topDown.weights.map(\.transposed)) }

    /// The targets of the last batch (for tests and diagnostics).
    var targets: [Matrix] { target.all }

    /// `destination ← destination + plus − minus` over the rows in use.
    private static func combine(_ destination: inout Matrix, plus: Matrix, minus: Matrix) {
        let count = plus.rows * plus.columns
        destination.storage.withUnsafeMutableBufferPointer { d in
            plus.storage.withUnsafeBufferPointer { p in
                minus.storage.withUnsafeBufferPointer { m in
                    for k in 0..<count { d[k] += p[k] - m[k] }
                }
            }
        }
    }

    /// `destination ← scale · (activity − target)` over the rows in use.
    private static func combine(_ destination: inout Matrix, scale: Float, activity: Matrix, target: Matrix) {
        let count = activity.rows * activity.columns
        destination.storage.withUnsafeMutableBufferPointer { d in
            activity.storage.withUnsafeBufferPointer { h in
                target.storage.withUnsafeBufferPointer { t in
                    for k in 0..<count { d[k] = scale * (h[k] - t[k]) }
                }
            }
        }
    }
}

/// Target propagation's settings (`--rule tp` or `--rule dtp`): the difference correction, the
/// penultimate target's step, and how the top-down weights learn.
public struct TargetPropagationSettings: RuleSettings {
    /// DTP (with the difference correction) or plain TP.
    public var difference: Bool
    /// `α`, the step of the penultimate target.
    public var targetStep: Float
    /// How the top-down weights learn.
    public var topDown: TopDownSettings

    /// DTP with α = 0.1 and the top-down weights' defaults.
    public init(difference: Bool = true, targetStep: Float = 0.1, topDown: TopDownSettings = TopDownSettings()) {
        self.difference = difference
        self.targetStep = targetStep
        self.topDown = topDown
    }

    public init?(argument: String) {
        switch argument.lowercased() {
        case "dtp": self.init(difference: true)
        // TP's targets carry the inverses' reconstruction error, which the credit's 1/α magnifies
        // (the penultimate credit does not depend on α): on the digits (32-16, 4 epochs, seeds
        // 1–3) α = 0.5 does not learn, α = 1 reaches 41–61 %, α = 4 11–14 % (DTP 12–13 %).
        case "tp": self.init(difference: false, targetStep: 4)
        default: return nil
        }
    }

    public static let identifier = "target-propagation"
    public static let argumentHelp = "tp, dtp"
    public var description: String { difference ? "dtp" : "tp" }

    public static var options: [RuleOption<Self>] {
        [
            .value("target-step", \.targetStep, field: "targetStep", valueName: "alpha",
                   help: "α: the penultimate layer's target is h − α ∂L/∂h (default dtp 0.1, tp 4).", expected: "a positive step α",
                   parse: Float.init),
        ] + TopDownSettings.options(\.topDown, when: "")
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard targetStep > 0, targetStep.isFinite else {
            throw .invalid(field: "rule.targetStep", value: "\(targetStep)", expected: "a positive, finite target step α")
        }
        try topDown.validate()
    }

    public func forwardWeightsLearn(inEpoch epoch: Int) -> Bool { topDown.forwardWeightsLearn(inEpoch: epoch) }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        TargetPropagation(difference: difference, targetStep: targetStep, topDown: topDown.make(for: network, random: &random),
                          learnsTopDown: topDown.learnsInEpoch)
    }
}

extension RuleSpec {
    /// Difference target propagation with α = 0.1 and top-down weights learned in parallel.
    public static let differenceTargetPropagation = RuleSpec(TargetPropagationSettings())
}
