/// The update every rule shares: each layer is a local learner driven by its credit signal. This
/// is the one place in CreditKit where a weight change is formed.
///
/// Concretely: `∇Wⁱ = δaⁱ (hⁱ⁻¹)ᵀ / batch` and `∇bⁱ = mean over the batch of δaⁱ`; the optimizer
/// then steps against them (`ΔWⁱ = −η ∇Wⁱ` for plain SGD). In the row-major layout,
/// `∇Wⁱ = Δᵢᵀ · H_{i−1} / batch`, one GEMM per layer.
///
/// A rule may replace the single product by a signed sum of Hebbian products
/// (``LearningRule/forEachHebbianTerm(layer:credit:presynaptic:_:)``): equilibrium propagation and
/// contrastive Hebbian learning change `W` by the difference of a nudged and a free phase's
/// products, `∇Wⁱ = (ρ(uⁱ)ρ(uⁱ⁻¹)ᵀ|free − ρ(uⁱ)ρ(uⁱ⁻¹)ᵀ|nudged) / β`, which is two terms here.
public enum LocalUpdate {
    /// `C ← α · postᵀ · pre + β · C`: one Hebbian product (`post` is `(batch, outputs)`, `pre`
    /// `(batch, inputs)`, `C` `(outputs, inputs)`). Every weight change CreditKit makes is formed
    /// here: per layer of a feed-forward net, per time step of a recurrent window.
    public static func hebbianProduct(post: Matrix, pre: Matrix, into destination: inout Matrix, alpha: Float, beta: Float,
                                      backend: LinearAlgebraBackend) {
        backend.gemm(post, .transposed, pre, .none, into: &destination, alpha: alpha, beta: beta)
    }

    /// `c ← scale · Σ_rows post`, or `c ← c + scale · Σ_rows post` with `accumulate`: a bias change.
    public static func biasChange(post: Matrix, into destination: inout Matrix, scale: Float, accumulate: Bool) {
        if accumulate {
            post.addRowSums(scaledBy: scale, into: &destination)
        } else {
            post.sumRows(scaledBy: scale, into: &destination)
        }
    }

    /// `C ← α · Σ_terms sign · postᵀ · pre + β · C` for layer ℓ (`C` is `(outputs, inputs)`):
    /// the GEMMs that form a weight change, written straight into `destination`. The optimizer
    /// chooses the destination: the weights themselves for SGD (`α = −η/batch`, `β = 1`), the
    /// velocity for momentum (kept decayed, `μ·v`, so `β = 1` too), or a gradient buffer for Adam
    /// (`α = 1/batch`, `β = 0`).
    public static func formWeightChange(layer ℓ: Int, rule: any LearningRule, credit: Matrix, presynaptic: Matrix,
                                        into destination: inout Matrix, alpha: Float, beta: Float, backend: LinearAlgebraBackend) {
        var first = true
        rule.forEachHebbianTerm(layer: ℓ, credit: credit, presynaptic: presynaptic) { post, pre, sign in
            // post: (batch, outputs), pre: (batch, inputs)
            hebbianProduct(post: post, pre: pre, into: &destination, alpha: sign * alpha, beta: first ? beta : 1, backend: backend)
            first = false
        }
    }

    /// `c ← scale · Σ_terms sign · (column sums of post)`: layer ℓ's bias change (`c` is `(1, outputs)`).
    public static func formBiasChange(layer ℓ: Int, rule: any LearningRule, credit: Matrix, presynaptic: Matrix,
                                      into destination: inout Matrix, scale: Float) {
        var first = true
        rule.forEachHebbianTerm(layer: ℓ, credit: credit, presynaptic: presynaptic) { post, _, sign in
            biasChange(post: post, into: &destination, scale: sign * scale, accumulate: !first)
            first = false
        }
    }

    /// Fills `workspace.weightGradients` and `workspace.biasGradients` with `∇Wⁱ` and `∇bⁱ` for
    /// every layer (what the optimizer steps against; the probe compares them between rules).
    public static func computeGradients(_ workspace: inout Workspace, rule: any LearningRule = Backpropagation(),
                                        backend: LinearAlgebraBackend) {
        let scale = 1 / Float(workspace.batchSize)
        for ℓ in workspace.credits.indices {
            let (credit, presynaptic) = (workspace.credits[ℓ], workspace.activity(below: ℓ))
            formWeightChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic, into: &workspace.weightGradients[ℓ],
                             alpha: scale, beta: 0, backend: backend)
            formBiasChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic, into: &workspace.biasGradients[ℓ], scale: scale)
        }
    }
}
