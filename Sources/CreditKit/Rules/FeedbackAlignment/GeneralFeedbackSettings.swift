/// The settings of the feedback-alignment family (`--rule fa|dfa|s1|s2|s3|terms:…`), all run by
/// ``GeneralFeedback``.
///
/// The general-feedback strategies are presets for any depth `D ≥ 2` (hidden layers numbered
/// 1 … D from the input):
///
/// - `fa`: every layer `a` (from above); `dfa`: every layer `d` (direct).
/// - `s1`: the top layer `d`; every other layer `d+a` — the error goes down one FA step at a time,
///   mixed with the direct error at each layer.
/// - `s2`: the mirror: the bottom layer `d`; every other layer `b+d`, listening to the one below.
/// - `s3`: every layer `d`, plus `a` where there is a hidden layer above and `b` where there is one
///   below; neighbours that listen to each other exchange their DFA signals `δã`.
/// - `terms:L1/L2/…`: a custom combination, one set of letters per hidden layer from the input
///   up, from `b` (below), `d` (direct), `a` (above): `terms:da/d` is s1 on two layers,
///   `terms:d/bd` is s2, `terms:da/bd` is s3.
public struct GeneralFeedbackSettings: RuleSettings {
    /// A named strategy of the general-feedback paper, or any terms per layer.
    public enum Preset: Sendable, Hashable, CodableAsArgument {
        case feedbackAlignment
        case directFeedbackAlignment
        case strategy(Int)
        case terms([FeedbackTerms])

        public init?(argument: String) {
            let text = argument.lowercased()
            switch text {
            case "fa": self = .feedbackAlignment
            case "dfa": self = .directFeedbackAlignment
            case "s1", "s2", "s3": self = .strategy(Int(String(text.last!))!)
            default:
                guard text.hasPrefix("terms:") else { return nil }
                var terms: [FeedbackTerms] = []
                for layer in text.dropFirst("terms:".count).split(separator: "/", omittingEmptySubsequences: false) {
                    guard let t = FeedbackTerms(letters: layer) else { return nil }
                    terms.append(t)
                }
                self = .terms(terms)
            }
        }

        public var description: String {
            switch self {
            case .feedbackAlignment: "fa"
            case .directFeedbackAlignment: "dfa"
            case .strategy(let k): "s\(k)"
            case .terms(let terms): "terms:" + terms.map(\.description).joined(separator: "/")
            }
        }

        /// The per-layer terms for a network with `hidden` hidden layers.
        public func terms(hiddenLayers hidden: Int) -> [FeedbackTerms] {
            switch self {
            case .feedbackAlignment: return Array(repeating: .above, count: hidden)
            case .directFeedbackAlignment: return Array(repeating: .direct, count: hidden)
            case .terms(let terms): return terms
            case .strategy(let k):
                return (0..<hidden).map { ℓ -> FeedbackTerms in
                    let isTop = ℓ == hidden - 1, isBottom = ℓ == 0
                    switch k {
                    case 1: return isTop ? .direct : [.direct, .above]
                    case 2: return isBottom ? .direct : [.below, .direct]
                    default:
                        var t: FeedbackTerms = .direct
                        if !isTop { t.insert(.above) }
                        if !isBottom { t.insert(.below) }
                        return t
                    }
                }
            }
        }
    }

    /// Which terms feed each hidden layer.
    public var preset: Preset
    /// How the fixed feedback matrices are drawn.
    public var feedback: FeedbackFamily
    /// LAFS: direct terms carry per-layer auxiliary errors instead of the output error.
    public var auxiliaryErrors: Bool

    /// The strategy `preset` with feedback drawn from `feedback`.
    public init(_ preset: Preset, feedback: FeedbackFamily = .xavier, auxiliaryErrors: Bool = false) {
        self.preset = preset
        self.feedback = feedback
        self.auxiliaryErrors = auxiliaryErrors
    }

    public init?(argument: String) {
        guard let preset = Preset(argument: argument) else { return nil }
        self.init(preset)
    }

    public static let identifier = "general-feedback"
    public static let argumentHelp = "fa, dfa, s1, s2, s3, terms:L1/L2/... (each layer a set of b (from below), d (direct), "
        + "a (from above), e.g. terms:da/d)"
    public var description: String { preset.description }

    public static var options: [RuleOption<Self>] {
        [
            .feedbackFamily(\.feedback, help: "How the fixed feedback matrices are drawn: \(FeedbackFamily.helpText) (default xavier: like the forward weight it stands for)."),
            .flag("aux-errors", \.auxiliaryErrors, field: "auxiliaryErrors", help: "LAFS: the direct terms carry per-layer auxiliary errors (dfa, s1–s3, terms:…d…)."),
        ]
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        try GeneralFeedback.validate(preset.terms(hiddenLayers: context.hiddenLayers.count), hiddenLayers: context.hiddenLayers.count,
                                     auxiliaryErrors: auxiliaryErrors, rule: description)
    }

    /// Plain FA works on any model's feedback paths (through time as through depth); the other
    /// presets need a feed-forward network's layers.
    public func makePathLearning<Model: FeedbackPathModel>(for model: Model, random: inout RandomSource)
        -> (feedback: [Matrix], learner: any FeedbackPathLearner)? {
        guard preset == .feedbackAlignment, !auxiliaryErrors else { return nil }
        return (feedback.pathFeedback(for: model, random: &random), FixedFeedbackLearner())
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) throws(ConfigurationError) -> any LearningRule {
        guard network.depth >= 2 else {
            throw .invalid(field: "hiddenLayers", value: "", expected: "at least one hidden layer for rule \(description)")
        }
        return try GeneralFeedback(name: description, terms: preset.terms(hiddenLayers: network.depth - 1), network: network, loss: loss,
                                   family: feedback, auxiliaryErrors: auxiliaryErrors, random: &random)
    }
}

extension RuleSpec {
    /// Feedback alignment with feedback drawn like the forward weights (Xavier).
    public static let feedbackAlignment = RuleSpec(GeneralFeedbackSettings(.feedbackAlignment))
    /// Direct feedback alignment with feedback drawn like the forward weights (Xavier).
    public static let directFeedbackAlignment = RuleSpec(GeneralFeedbackSettings(.directFeedbackAlignment))

    /// The general-feedback strategy s`k` (1, 2 or 3).
    public static func strategy(_ k: Int) -> RuleSpec { RuleSpec(GeneralFeedbackSettings(.strategy(k))) }
}
