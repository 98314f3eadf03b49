/// Layer-wise transport through feedback matrices standing where the transposed forward weights
/// would (FA's path): `δaⁱ = (Bⁱ⁺¹ δaⁱ⁺¹) ⊙ fᵢ'(aⁱ)`, top-down. `feedback[ℓ]` stores `(Bˡ⁺²)ᵀ`
/// shaped like `layers[ℓ + 1].weights`, so that with `feedback[ℓ] == Wˡ⁺²` this is backprop.
enum LayerwiseFeedback {
    static func assignCredit(through feedback: [Matrix], network: Network, workspace: inout Workspace,
                             backend: LinearAlgebraBackend) {
        for ℓ in stride(from: network.depth - 2, through: 0, by: -1) {
            backend.gemm(workspace.credits[ℓ + 1], .none, feedback[ℓ], .none, into: &workspace.credits[ℓ])
            network.layers[ℓ].multiplyByDerivative(&workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                                                   activity: workspace.activities[ℓ])
        }
    }
}
