/// The update every rule shares: each layer is a local learner driven by its credit signal.
///
/// Concretely: `∇Wⁱ = δaⁱ (hⁱ⁻¹)ᵀ / batch` and `∇bⁱ = mean over the batch of δaⁱ`; the optimizer
/// then steps against them (`ΔWⁱ = −η ∇Wⁱ` for plain SGD). In the row-major layout,
/// `∇Wⁱ = Δᵢᵀ · H_{i−1} / batch`, one GEMM per layer.
public enum LocalUpdate {
    /// Fills `workspace.weightGradients` and `workspace.biasGradients` from the credits.
    public static func computeGradients(_ workspace: inout Workspace, backend: LinearAlgebraBackend) {
        let scale = 1 / Float(workspace.batchSize)
        for ℓ in workspace.credits.indices {
            let credit = workspace.credits[ℓ]                 // (batch, outputs)
            let below = workspace.activity(below: ℓ)          // (batch, inputs)
            backend.gemm(credit, .transposed, below, .none,
                         into: &workspace.weightGradients[ℓ], alpha: scale)   // (outputs, inputs)
            credit.sumRows(scaledBy: scale, into: &workspace.biasGradients[ℓ])
        }
    }
}
