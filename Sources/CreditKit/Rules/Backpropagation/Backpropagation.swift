/// Backpropagation, the reference every other rule is measured against.
///
/// Concretely: `δaᴸ = e`, `δaⁱ = ((Wⁱ⁺¹)ᵀ δaⁱ⁺¹) ⊙ fᵢ'(aⁱ)` (Rumelhart et al. 1986). In the
/// row-major batch layout this is `Δ_i = (Δ_{i+1} · Wⁱ⁺¹) ⊙ f'(A_i)`, one GEMM per hidden layer.
public struct Backpropagation: LearningRule {
    /// Backprop.
    public init() {}

    public var name: String { "bp" }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                               random: inout RandomSource) {
        for ℓ in stride(from: network.depth - 2, through: 0, by: -1) {
            let above = workspace.credits[ℓ + 1]                       // (batch, n_{i+1})
            backend.gemm(above, .none, network.layers[ℓ + 1].weights, .none,
                         into: &workspace.credits[ℓ])                   // (batch, n_i)
            network.layers[ℓ].multiplyByDerivative(
                &workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                activity: workspace.activities[ℓ])
        }
    }
}

/// Backprop's settings (`--rule bp`): none. With rectilinear outputs, backprop carries the
/// prediction's error through the same path as Kickback (``backpropagation(for:loss:)``).
public struct BackpropagationSettings: RuleSettings {
    /// Backprop's settings (it has none).
    public init() {}

    public init?(argument: String) {
        guard ["bp", "backprop"].contains(argument.lowercased()) else { return nil }
    }

    public static let identifier = "bp"
    public static let argumentHelp = "bp"
    public static var allowsNoHiddenLayers: Bool { true }
    public var description: String { "bp" }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        Self.backpropagation(for: network, loss: loss)
    }

    /// Backprop for `network`: the reference every diagnostic compares with. With rectilinear
    /// outputs it carries the prediction's error β through the same path as Kickback.
    public static func backpropagation(for network: Network, loss: Loss) -> any LearningRule {
        loss == .rectilinear ? Kickback(truncated: false, scales: [1], network: network, loss: loss) : Backpropagation()
    }
}

extension RuleSpec {
    /// Backpropagation, the reference.
    public static let backprop = RuleSpec(BackpropagationSettings())
}
