/// Layer-wise transport through feedback matrices standing where the transposed forward weights
/// would (FA's path): `δaⁱ = (Bⁱ⁺¹ δaⁱ⁺¹) ⊙ fᵢ'(aⁱ)`, top-down. `feedback[ℓ]` stores `(Bˡ⁺²)ᵀ`
/// shaped like `layers[ℓ + 1].weights`, so that with `feedback[ℓ] == Wˡ⁺²` this is backprop.
///
/// FA, sign symmetry, node perturbation, matching, Kolen–Pollack and weight mirrors all transport
/// this way; a rule of one's own can too.
public enum LayerwiseFeedback {
    /// Fills `workspace.credits[ℓ]` for every hidden layer, top-down, from the output error.
    public static func assignCredit(through feedback: [Matrix], network: Network, workspace: inout Workspace,
                             backend: LinearAlgebraBackend) {
        for ℓ in stride(from: network.depth - 2, through: 0, by: -1) {
            backend.gemm(workspace.credits[ℓ + 1], .none, feedback[ℓ], .none, into: &workspace.credits[ℓ])
            network.layers[ℓ].multiplyByDerivative(&workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                                                   activity: workspace.activities[ℓ])
        }
    }
}

extension LayerwiseFeedback {
    /// `tensors` as rule state named by the weight layer each stands at: `B2`, `B3`, … for
    /// `prefix` "B" and `firstLayer` 2.
    static func named(_ tensors: [Matrix], _ prefix: String, firstLayer: Int = 2) -> [NamedTensor] {
        tensors.indices.map { NamedTensor("\(prefix)\($0 + firstLayer)", tensors[$0]) }
    }

    /// Replaces every tensor by the one `state` holds under its name, where it holds one.
    static func restore(_ tensors: inout [Matrix], _ prefix: String, from state: [NamedTensor], firstLayer: Int = 2) {
        for ℓ in tensors.indices { tensors[ℓ] = state[named: "\(prefix)\(ℓ + firstLayer)"] ?? tensors[ℓ] }
    }

    /// The diagnostics' view of `feedback`: each matrix stands where `(Wˡ⁺²)ᵀ` would.
    static func pairs(_ feedback: [Matrix]) -> [FeedbackPair] {
        feedback.indices.map { FeedbackPair(layer: $0, kind: "above", feedback: feedback[$0]) }
    }
}
