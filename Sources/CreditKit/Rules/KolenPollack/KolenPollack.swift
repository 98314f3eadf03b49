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
public struct KolenPollackLearner: FeedbackPathLearner {
    /// `λ`, the shrinkage of `W` and `B` per step.
    public let decay: Float
    /// The last epoch that decays; `nil`: every epoch.
    public let decayEpochs: Int?
    /// Whether the current epoch decays.
    private var decaying = true
    /// The paths' forward weights after the last step, to read the optimizer's change from.
    var previousPathWeights: [Matrix]
    /// The other weights after the last step, to decay by.
    var previousOtherWeights: [Matrix]
    let pathNames: [String]
    let otherNames: [String]

    /// A learner for `model`, starting from its current weights.
    public init<Model: FeedbackPathModel>(decay: Float, decayEpochs: Int? = nil, model: Model) {
        self.decay = decay
        self.decayEpochs = decayEpochs
        pathNames = model.pathNames
        otherNames = model.otherWeightNames
        previousPathWeights = pathNames.indices.map(model.pathWeights)
        previousOtherWeights = otherNames.indices.map(model.otherWeights)
    }

    /// `previousW…`: every forward weight of the last step, by layer (`previousW1`, `previousW2`, …).
    public var state: [NamedTensor] {
        get {
            zip(otherNames, previousOtherWeights).map { NamedTensor("previousW" + $0, $1) }
                + zip(pathNames, previousPathWeights).map { NamedTensor("previousW" + $0, $1) }
        }
        set {
            for j in previousOtherWeights.indices {
                previousOtherWeights[j] = newValue[named: "previousW" + otherNames[j]] ?? previousOtherWeights[j]
            }
            for i in previousPathWeights.indices {
                previousPathWeights[i] = newValue[named: "previousW" + pathNames[i]] ?? previousPathWeights[i]
            }
        }
    }

    public mutating func epochWillBegin(_ epoch: Int) {
        decaying = decayEpochs.map { epoch <= $0 } ?? true
    }

    /// With `W₀` the weights before the optimizer's step and `ΔW` its change:
    /// `W ← W₀ + ΔW − λW₀` (every weight) and `B ← B + ΔW − λB` (every path).
    public mutating func follow<Model: FeedbackPathModel>(_ feedback: inout [Matrix], model: inout Model) {
        let decay = decaying ? self.decay : 0
        for j in previousOtherWeights.indices {
            model.updateOtherWeights(j) { weights in
                Self.decay(&weights, previous: &previousOtherWeights[j], by: decay)
            }
        }
        for i in previousPathWeights.indices {
            model.updatePathWeights(i) { weights in
                let count = weights.count
                feedback[i].storage.withUnsafeMutableBufferPointer { b in
                    weights.storage.withUnsafeBufferPointer { w in
                        previousPathWeights[i].storage.withUnsafeBufferPointer { previous in
                            for k in 0..<count { b[k] += (w[k] - previous[k]) - decay * b[k] }
                        }
                    }
                }
                Self.decay(&weights, previous: &previousPathWeights[i], by: decay)
            }
        }
    }

    /// `W ← W − λW₀`, then `W₀ ← W`.
    private static func decay(_ weights: inout Matrix, previous: inout Matrix, by decay: Float) {
        let count = weights.count
        weights.storage.withUnsafeMutableBufferPointer { w in
            previous.storage.withUnsafeMutableBufferPointer { p in
                for k in 0..<count {
                    w[k] -= decay * p[k]
                    p[k] = w[k]
                }
            }
        }
    }
}

/// Kolen–Pollack on a feed-forward network.
public typealias KolenPollack = PathFeedbackRule<KolenPollackLearner>

/// Kolen–Pollack's settings (`--rule kp`): the decay λ and the initial feedback.
public struct KolenPollackSettings: PathRuleSettings {
    /// λ, the share of `W` and `B` removed after every step.
    public var decay: Float
    /// The last epoch that decays; `nil`: every epoch (the paper's rule).
    public var decayEpochs: Int?
    /// How the initial `B` are drawn.
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
            .value("decay-epochs", \.decayEpochs, field: "decayEpochs", valueName: "N",
                   help: "Decay only in the first N epochs; B then follows W's exact changes (default: every epoch).",
                   expected: "a positive number of epochs", parse: { Int($0).map(Optional.some) }),
            .feedbackFamily(\.feedback, help: "How the initial feedback is drawn: \(FeedbackFamily.helpText) (default xavier)."),
        ]
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard decay >= 0, decay < 1 else { throw .invalid(field: "rule.decay", value: "\(decay)", expected: "a decay λ in [0, 1)") }
        if let decayEpochs, decayEpochs <= 0 {
            throw .invalid(field: "rule.decayEpochs", value: "\(decayEpochs)", expected: "a positive number of epochs")
        }
    }

    public func makeLearner<Model: FeedbackPathModel>(for model: Model) -> KolenPollackLearner {
        KolenPollackLearner(decay: decay, decayEpochs: decayEpochs, model: model)
    }
}

extension RuleSpec {
    /// Kolen–Pollack with decay 2·10⁻⁴ and Xavier-drawn initial feedback.
    public static let kolenPollack = RuleSpec(KolenPollackSettings())
}
