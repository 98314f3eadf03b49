/// The rules the command line can name (`--rule`).
public enum RuleKind: String, CaseIterable, Sendable, Codable {
    case backprop = "bp"

    /// A new rule of this kind for `network` (rules with feedback weights draw them from `random`).
    public func makeRule(for network: Network, random: inout RandomSource) -> any LearningRule {
        switch self {
        case .backprop: Backpropagation()
        }
    }
}
