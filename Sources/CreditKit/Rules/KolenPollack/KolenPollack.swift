/// Kolen–Pollack feedback (Kolen & Pollack 1994; Akrout et al. 2019, "Deep learning without weight
/// transport"): the feedback learns by the forward weights' own update, and both decay.
///
/// Credits travel layer by layer as in FA, `δaⁱ = (Bⁱ⁺¹ δaⁱ⁺¹) ⊙ fᵢ'(aⁱ)`. After every step,
///
///     ΔWⁱ = −η δaⁱ (hⁱ⁻¹)ᵀ − λWⁱ,    ΔBⁱ (stored shaped like Wⁱ) = −η δaⁱ (hⁱ⁻¹)ᵀ − λBⁱ,
///
/// so `B − Wᵀ` shrinks by `(1 − λ)` per step whatever the data: the feedback converges to the
/// transpose from any random start, with no weight transport (each synapse pair sees only its
/// own pre- and postsynaptic activity). `B` receives exactly the change the optimizer made to `W`
/// (with SGD that is `−η δaⁱ (hⁱ⁻¹)ᵀ`; with momentum or Adam their step), and both lose `λ` of
/// their value before the step. With λ = 0 this is the matching rule, whose difference `B − Wᵀ`
/// never shrinks.
///
/// The decay is needed only until `B` has caught up: afterwards `B` receives `W`'s exact changes
/// and the gap stays where the decay left it, while `‖W‖` grows. `decayEpochs` ends the decay after
/// that many epochs (beyond the paper, whose decay never ends), so that the decay strong enough
/// to align `B` in a few epochs does not go on regularizing `W` for the rest of the run.
public struct KolenPollack: LearningRule {
    public let decay: Float
    /// The last epoch that decays; `nil`: every epoch.
    public let decayEpochs: Int?
    /// Whether the current epoch decays.
    private var decaying = true
    /// `(Bⁱ⁺¹)ᵀ` shaped like `layers[ℓ + 1].weights`.
    var feedback: [Matrix]
    /// Every layer's forward weights after the last step, to read the optimizer's change from
    /// (and decay by).
    var previousWeights: [Matrix]

    public var name: String { "kp" }

    public init(decay: Float, decayEpochs: Int? = nil, network: Network, family: FeedbackFamily, random: inout RandomSource) {
        self.decay = decay
        self.decayEpochs = decayEpochs
        previousWeights = network.layers.map(\.weights)
        feedback = previousWeights.dropFirst().map { w in family.transposedMatrix(sources: w.rows, targets: w.columns, random: &random) }
    }

    /// `B2…` (stored shaped like `Wⁱ`) and the forward weights of the last step, `previousW1…`.
    public var state: [NamedTensor] {
        get { LayerwiseFeedback.named(feedback, "B") + LayerwiseFeedback.named(previousWeights, "previousW", firstLayer: 1) }
        set {
            LayerwiseFeedback.restore(&feedback, "B", from: newValue)
            LayerwiseFeedback.restore(&previousWeights, "previousW", from: newValue, firstLayer: 1)
        }
    }

    public var feedbackPairs: [FeedbackPair] { LayerwiseFeedback.pairs(feedback) }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        LayerwiseFeedback.assignCredit(through: feedback, network: network, workspace: &workspace, backend: backend)
    }

    public mutating func epochWillBegin(_ epoch: Int) {
        decaying = decayEpochs.map { epoch <= $0 } ?? true
    }

    /// With `W₀` the weights before the optimizer's step and `ΔW` its change:
    /// `W ← W₀ + ΔW − λW₀` (every layer) and `B ← B + ΔW − λB`.
    public mutating func forwardWeightsDidChange(_ network: inout Network) {
        let decay = decaying ? self.decay : 0
        for ℓ in network.layers.indices {
            let count = network.layers[ℓ].weights.count
            network.layers[ℓ].weights.storage.withUnsafeMutableBufferPointer { w in
                previousWeights[ℓ].storage.withUnsafeMutableBufferPointer { previous in
                    if ℓ > 0 {
                        feedback[ℓ - 1].storage.withUnsafeMutableBufferPointer { b in
                            for i in 0..<count { b[i] += (w[i] - previous[i]) - decay * b[i] }
                        }
                    }
                    for i in 0..<count {
                        w[i] -= decay * previous[i]
                        previous[i] = w[i]
                    }
                }
            }
        }
    }
}

/// Kolen–Pollack's settings (`--rule kp`): the decay λ and the initial feedback.
public struct KolenPollackSettings: RuleSettings {
    /// λ, the share of `W` and `B` removed after every step.
    public var decay: Float
    /// The last epoch that decays; `nil`: every epoch (the paper's rule).
    public var decayEpochs: Int?
    public var feedback: FeedbackFamily

    /// The defaults: λ = 2·10⁻⁴, which at batch 32 on MNIST (1,875 steps an epoch) brings the
    /// relative error of B below 0.1 in 5 epochs, and feedback drawn like the forward weights.
    public init(decay: Float = 2e-4, decayEpochs: Int? = nil, feedback: FeedbackFamily = .xavier) {
        self.decay = decay
        self.decayEpochs = decayEpochs
        self.feedback = feedback
    }

    public init?(argument: String) {
        guard ["kp", "kolen-pollack"].contains(argument.lowercased()) else { return nil }
        self.init()
    }

    public static let identifier = "kp"
    public static let argumentHelp = "kp"
    public var description: String { "kp" }

    public static var options: [RuleOption<Self>] {
        [
            .value("decay", \.decay, valueName: "lambda",
                   help: "The share of W and B removed after every step; B − Wᵀ shrinks by (1 − λ) per step (default 0.0002).",
                   expected: "a decay λ in [0, 1)", parse: Float.init),
            .value("decay-epochs", \.decayEpochs, valueName: "N",
                   help: "Decay only in the first N epochs; B then follows W's exact changes (default: every epoch).",
                   expected: "a positive number of epochs", parse: { Int($0).map(Optional.some) }),
            .feedbackFamily(\.feedback, help: "How the initial feedback is drawn: \(FeedbackFamily.helpText) (default xavier)."),
        ]
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard decay >= 0, decay < 1 else { throw .invalid(flag: "--decay", value: "\(decay)", expected: "a decay λ in [0, 1)") }
        if let decayEpochs, decayEpochs <= 0 {
            throw .invalid(flag: "--decay-epochs", value: "\(decayEpochs)", expected: "a positive number of epochs")
        }
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        KolenPollack(decay: decay, decayEpochs: decayEpochs, network: network, family: feedback, random: &random)
    }
}

extension RuleSpec {
    /// Kolen–Pollack with decay 2·10⁻⁴ and Xavier-drawn initial feedback.
    public static let kolenPollack = RuleSpec(KolenPollackSettings())
}
