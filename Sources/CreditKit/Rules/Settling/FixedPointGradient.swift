/// The true gradient of the cost at the free fixed point, `dC(s⁰(θ))/dθ`, the quantity
/// equilibrium propagation estimates (its reference in the diagnostics and tests).
///
/// At the fixed point `s = clip(J s + c(θ))` (`J` the symmetric coupling, `(Js)ᵢ = Wⁱ sⁱ⁻¹ +
/// (Wⁱ⁺¹)ᵀ sⁱ⁺¹`, `c` the biases and the input's drive); the units strictly inside the box, `M`,
/// move with θ and the others stay clipped, so `ds = (I − MJ)⁻¹ M ∂c dθ` and
/// `dC = νᵀ ∂c dθ` with `ν = Mμ`, `μ = g + J M μ`, `g = ∂C/∂s = [0, …, sᴸ − y]` (recurrent
/// backprop, Almeida–Pineda). `μ` is found by the damped iteration `μ ← (1 − ω)μ + ω(g + JMμ)`,
/// which converges whenever the free relaxation does (the same linear map). Then
/// `dC/dWⁱ = νⁱ (sⁱ⁻¹)ᵀ + sⁱ (νⁱ⁻¹)ᵀ` (the second term from Wⁱ's top-down use; none for the
/// input) and `dC/dbⁱ = νⁱ`, as batch means. Allocates; not for the hot path.
enum FixedPointGradient {
    /// `dC/dWⁱ` per layer for the fixed point `states` (the input and target in `workspace`).
    static func weightGradients(states: LayerScratch, network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                iterations: Int = 400, damping ω: Float = 0.5) -> [Matrix] {
        let top = network.depth - 1, rows = states[0].rows
        let inside = (0...top).map { i in states[i].elements.map { $0 > 0 && $0 < 1 ? Float(1) : 0 } }
        var mu = (0...top).map { Matrix(rows: rows, columns: states[$0].columns) }
        var masked = mu, next = mu
        for _ in 0..<iterations {
            for i in 0...top { masked[i] = Matrix(rows: rows, columns: mu[i].columns, elements: zip(mu[i].elements, inside[i]).map(*)) }
            for i in 0...top {
                next[i].fill(0)
                if i > 0 { backend.gemm(masked[i - 1], .none, network.layers[i].weights, .transposed, into: &next[i], beta: 1) }
                if i < top { backend.gemm(masked[i + 1], .none, network.layers[i + 1].weights, .none, into: &next[i], beta: 1) }
                if i == top {
                    for r in 0..<rows {
                        for j in 0..<next[i].columns { next[i][r, j] += states[i][r, j] - workspace.target[r, j] }
                    }
                }
                mu[i] = Matrix(rows: rows, columns: mu[i].columns,
                               elements: zip(mu[i].elements, next[i].elements).map { (1 - ω) * $0 + ω * $1 })
            }
        }
        let nu = (0...top).map { i in Matrix(rows: rows, columns: mu[i].columns, elements: zip(mu[i].elements, inside[i]).map(*)) }
        return (0...top).map { i in
            var gradient = Matrix(rows: network.layers[i].outputs, columns: network.layers[i].inputs)
            let below = i == 0 ? workspace.input : states[i - 1]
            backend.gemm(nu[i], .transposed, below, .none, into: &gradient, alpha: 1 / Float(rows))
            if i > 0 { backend.gemm(states[i], .transposed, nu[i - 1], .none, into: &gradient, alpha: 1 / Float(rows), beta: 1) }
            return gradient
        }
    }
}
