/// E-prop (Bellec et al. 2020) for the recurrent network: every synapse keeps an eligibility
/// trace of what it did, and a learning signal `Lₜ = B eₜ` broadcast from the output tells it,
/// online, how that mattered — nothing is sent back in time. For the vanilla tanh units of
/// ``RecurrentNetwork`` a unit's state is its own output, so the traces have no memory:
/// `ε_rec,ₜ = (1 − hₜ²) hₜ₋₁ᵀ`, `ε_in,ₜ = (1 − hₜ²) xₜᵀ`, and
///
///     ΔW_rec = −η Σₜ (Lₜ ⊙ (1 − hₜ²)) hₜ₋₁ᵀ,
///
/// BPTT with the gradient stopped through `hₜ₋₁` in the recurrence. Leaky units (`--leak α`) keep
/// a filtered trace, `Pₜ = (1 − α)Pₜ₋₁ + α(1 − rₜ²)[xₜ, hₜ₋₁, 1]` (`EligibilityTraces`), which is
/// RFLO's (Murray 2019: `--rule rflo`, random e-prop under its own name). `B = W_outᵀ` (symmetric
/// e-prop) or a fixed random matrix drawn like it (random e-prop, RFLO). The weights change after
/// every `--bptt-steps` steps (the window is only the update's period here).
public struct EligibilityPropagationSettings: RuleSettings {
    /// Where the learning signal comes from.
    public enum LearningSignal: String, Sendable, Codable, CaseIterable {
        /// `B = W_outᵀ`.
        case symmetric
        /// A fixed random `B`.
        case random
    }

    /// Symmetric or random e-prop.
    public var learningSignal: LearningSignal

    /// RFLO (Murray 2019) is random e-prop, derived independently for leaky units: the name it is
    /// asked for by.
    public var namedRFLO: Bool

    /// How the random `B` is drawn (random e-prop, RFLO); stored like `W_out`, so `gaussian:1` is
    /// Murray's `B ~ N(0, 1)` for one output.
    public var feedback: FeedbackFamily

    /// Symmetric e-prop (`eprop`), random (`eprop-random`), or the same under Murray's name (`rflo`).
    public init(learningSignal: LearningSignal = .symmetric, namedRFLO: Bool = false, feedback: FeedbackFamily = .xavier) {
        self.learningSignal = learningSignal
        self.namedRFLO = namedRFLO
        self.feedback = feedback
    }

    public static var options: [RuleOption<Self>] {
        [.feedbackFamily(\.feedback, help: "How random e-prop's and RFLO's fixed B is drawn (default xavier, like W_out).")]
    }

    public init?(argument: String) {
        switch argument.lowercased() {
        case "eprop": self.init()
        case "eprop-random": self.init(learningSignal: .random)
        case "rflo": self.init(learningSignal: .random, namedRFLO: true)
        default: return nil
        }
    }

    private enum CodingKeys: String, CodingKey { case learningSignal, namedRFLO, feedback }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(learningSignal: try c.decode(LearningSignal.self, forKey: .learningSignal),
                  namedRFLO: try c.decodeIfPresent(Bool.self, forKey: .namedRFLO) ?? false,
                  feedback: try c.decodeIfPresent(FeedbackFamily.self, forKey: .feedback) ?? .xavier)
    }

    public static let identifier = "eprop"
    public static let argumentHelp = "eprop, eprop-random, rflo (recurrent networks)"
    public var description: String { namedRFLO ? "rflo" : learningSignal == .symmetric ? "eprop" : "eprop-random" }

    /// E-prop assigns credit through time only: a feed-forward network has no eligibility to trace.
    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) throws(ConfigurationError) -> any LearningRule {
        throw .invalid(field: "rule", value: description, expected: "a recurrent network for e-prop (credit train-rnn)")
    }
}
