/// The rules the command line can name (`--rule`).
///
/// The general-feedback strategies are presets of ``GeneralFeedback`` for any depth `D ≥ 2`
/// (hidden layers numbered 1 … D from the input):
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
public enum RuleKind: Sendable, Hashable, CodableAsArgument {
    case backprop
    case feedbackAlignment
    case directFeedbackAlignment
    case signSymmetry(SignSymmetry.Mode)
    case strategy(Int)
    case terms([FeedbackTerms])
    case kickback
    /// Feedback learned by node perturbation (Lansdell et al. 2020).
    case nodePerturbation
    /// Feedback that receives the forward weights' changes (the "matching" rule).
    case matching

    public init?(argument: String) {
        let text = argument.lowercased()
        switch text {
        case "bp", "backprop": self = .backprop
        case "fa": self = .feedbackAlignment
        case "dfa": self = .directFeedbackAlignment
        case "kickback": self = .kickback
        case "np", "node-perturbation": self = .nodePerturbation
        case "matching": self = .matching
        case "s1", "s2", "s3": self = .strategy(Int(String(text.last!))!)
        default:
            if let mode = SignSymmetry.Mode(rawValue: text) {
                self = .signSymmetry(mode)
            } else if text.hasPrefix("terms:") {
                let layers = text.dropFirst("terms:".count).split(separator: "/", omittingEmptySubsequences: false)
                var terms: [FeedbackTerms] = []
                for layer in layers {
                    guard let t = FeedbackTerms(letters: layer) else { return nil }
                    terms.append(t)
                }
                self = .terms(terms)
            } else {
                return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .backprop: "bp"
        case .feedbackAlignment: "fa"
        case .directFeedbackAlignment: "dfa"
        case .signSymmetry(let mode): mode.rawValue
        case .strategy(let k): "s\(k)"
        case .terms(let terms): "terms:" + terms.map(\.description).joined(separator: "/")
        case .kickback: "kickback"
        case .nodePerturbation: "np"
        case .matching: "matching"
        }
    }

    /// The name, usable as a file or folder name (`terms:da/d` → `terms-da_d`).
    public var fileName: String {
        description.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ":", with: "-")
    }

    public static let helpText = "bp, fa, dfa, usf, brsf, frsf, s1, s2, s3, kickback, np, matching, or terms:L1/L2/... with each layer "
        + "a set of b (from below), d (direct), a (from above), e.g. terms:da/d"

    /// Whether the rule draws its (initial) feedback matrices from `--feedback`.
    public var usesFeedbackFamily: Bool {
        switch self {
        case .backprop, .signSymmetry, .kickback: false
        default: true
        }
    }

    /// The per-layer terms of the general-feedback rules, for a network with `hidden` hidden layers.
    public func feedbackTerms(hiddenLayers hidden: Int) -> [FeedbackTerms]? {
        switch self {
        case .backprop, .signSymmetry, .kickback, .nodePerturbation, .matching: return nil
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

    /// A new rule of this kind for `network`; feedback matrices are drawn from `random`.
    public func makeRule(for network: Network, loss: Loss, feedback: FeedbackFamily, auxiliaryErrors: Bool,
                         kickbackScales: [Float] = [1], nodePerturbation: NodePerturbationSettings = NodePerturbationSettings(),
                         random: inout RandomSource) throws(ConfigurationError) -> any LearningRule {
        if auxiliaryErrors, feedbackTerms(hiddenLayers: network.depth - 1) == nil {
            throw .invalid(flag: "--aux-errors", value: description, expected: "a rule with direct terms: dfa, s1, s2, s3 or terms:… with d")
        }
        switch self {
        case .backprop:
            return Self.backpropagation(for: network, loss: loss)
        case .kickback:
            return Kickback(truncated: true, scales: kickbackScales, network: network, loss: loss)
        case .signSymmetry(let mode):
            return SignSymmetry(mode: mode, network: network, random: &random)
        case .nodePerturbation:
            try nodePerturbation.validate()
            return NodePerturbation(settings: nodePerturbation, network: network, loss: loss, family: feedback, random: &random)
        case .matching:
            return MatchingFeedback(network: network, family: feedback, random: &random)
        default:
            guard network.depth >= 2 else {
                throw .invalid(flag: "--layers", value: "", expected: "at least one hidden layer for rule \(description)")
            }
            return try GeneralFeedback(name: description, terms: feedbackTerms(hiddenLayers: network.depth - 1)!, network: network,
                                       loss: loss, family: feedback, auxiliaryErrors: auxiliaryErrors, random: &random)
        }
    }

    /// Backprop for `network`: the reference every diagnostic compares with. With rectilinear
    /// outputs it carries the prediction's error β through the same path as Kickback.
    public static func backpropagation(for network: Network, loss: Loss) -> any LearningRule {
        loss == .rectilinear ? Kickback(truncated: false, scales: [1], network: network, loss: loss) : Backpropagation()
    }
}

/// A value written in files the way it is written on the command line (`"terms:da/d"`,
/// `"uniform:0.5"`), so that `config.json` reads like the command that made it.
public protocol CodableAsArgument: Codable, CustomStringConvertible {
    init?(argument: String)
}

extension CodableAsArgument {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(argument: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown \(Self.self) '\(text)'"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
