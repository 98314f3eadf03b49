import Foundation

/// Gauss–Newton targets (Meulemans et al. 2020): the change of hidden layer ℓ that moves the output
/// by `Δ` to first order with the least norm, `J⁺Δ` with `J = ∂hᴸ/∂hˡ` per example and `Δ = −e`
/// (Meulemans et al.'s `compute_gn_activation_updates`, per example, on the output error). DRL's
/// top-down weights are trained to produce them; they differ from backprop's `Jᵀ(−e)` by the
/// output-space metric `(JJᵀ)⁻¹`. A rule's angle to them says how close its targets come.
enum GaussNewtonTargets {
    /// Per layer ℓ below `top`: the angle (degrees) between `changes[ℓ]` and the Gauss–Newton change
    /// `J⁺ changes[top]`, `J = ∂hᵗᵒᵖ/∂hˡ`, over the first `rows` examples of `workspace`'s forward
    /// pass (rows of `changes` are examples, like the workspace's). `J⁺Δ = Jᵀ(JJᵀ + λI)⁻¹Δ`, with
    /// `λ` 10⁻⁶ of `JJᵀ`'s mean diagonal (`JJᵀ` is as small as the top layer: 10 × 10 for an MNIST
    /// output). Allocates; for the probe, not the hot path.
    static func angles(network: Network, workspace: Workspace, top: Int, changes: [Matrix], rows: Int,
                       backend: LinearAlgebraBackend) -> [Double] {
        let width = network.layers[top].outputs
        var sums = [(dot: Double, own: Double, newton: Double)](repeating: (0, 0, 0), count: top)
        for r in 0..<min(rows, workspace.activities[0].rows) {
            let topChange = (0..<width).map { Double(changes[top][r, $0]) }
            // J = ∂hᵀ/∂hᵏ⁻¹ as k descends: J ← (J · diag fₖ'(aᵏ)) · Wᵏ.
            var jacobian = Matrix(rows: width, columns: width) { i, j in i == j ? 1 : 0 }
            for k in stride(from: top, through: 1, by: -1) {
                let layer = network.layers[k]
                var slopes = Matrix(rows: 1, columns: layer.outputs) { _, _ in 1 }
                layer.multiplyByDerivative(&slopes, preActivation: row(r, of: workspace.preActivations[k]),
                                           activity: row(r, of: workspace.activities[k]))
                for i in 0..<width { for j in 0..<layer.outputs { jacobian[i, j] *= slopes[0, j] } }
                var below = Matrix(rows: width, columns: layer.inputs)
                backend.gemm(jacobian, .none, layer.weights, .none, into: &below)
                jacobian = below
                let ℓ = k - 1
                var gram = Matrix(rows: width, columns: width)
                backend.gemm(jacobian, .none, jacobian, .transposed, into: &gram)
                let newton = leastNormChange(jacobian, gram: gram, topChange)
                for j in 0..<newton.count {
                    let own = Double(changes[ℓ][r, j])
                    sums[ℓ].dot += own * newton[j]
                    sums[ℓ].own += own * own
                    sums[ℓ].newton += newton[j] * newton[j]
                }
            }
        }
        return sums.map { s in
            guard s.own > 0, s.newton > 0 else { return .nan }
            return acos(max(-1, min(1, s.dot / (s.own * s.newton).squareRoot()))) * 180 / .pi
        }
    }

    private static func row(_ r: Int, of m: Matrix) -> Matrix { Matrix(rows: 1, columns: m.columns) { _, c in m[r, c] } }

    /// `Jᵀ(JJᵀ + λI)⁻¹Δ`, solved in Double by a Cholesky factorization of the `(m, m)` Gram matrix `JJᵀ`.
    private static func leastNormChange(_ jacobian: Matrix, gram product: Matrix, _ change: [Double]) -> [Double] {
        let (m, n) = (jacobian.rows, jacobian.columns)
        var gram = product.elements.map(Double.init)
        let damping = 1e-6 * max((0..<m).reduce(0) { $0 + gram[$1 * m + $1] } / Double(m), .leastNormalMagnitude)
        for a in 0..<m { gram[a * m + a] += damping }
        // Lower-triangular L with LLᵀ = gram, in place.
        for a in 0..<m {
            for b in 0...a {
                var s = gram[a * m + b]
                for c in 0..<b { s -= gram[a * m + c] * gram[b * m + c] }
                gram[a * m + b] = a == b ? s.squareRoot() : s / gram[b * m + b]
            }
        }
        var y = change
        for a in 0..<m {  // L z = Δ
            for c in 0..<a { y[a] -= gram[a * m + c] * y[c] }
            y[a] /= gram[a * m + a]
        }
        for a in stride(from: m - 1, through: 0, by: -1) {  // Lᵀ y = z
            for c in (a + 1)..<m { y[a] -= gram[c * m + a] * y[c] }
            y[a] /= gram[a * m + a]
        }
        return (0..<n).map { col in (0..<m).reduce(0) { $0 + Double(jacobian[$1, col]) * y[$1] } }
    }
}
