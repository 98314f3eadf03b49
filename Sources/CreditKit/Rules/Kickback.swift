/// Kickback (Balduzzi, Vanchinathan & Buhmann 2015): truncated feedback for rectifier networks
/// with one scalar output.
///
/// Every hidden node is a local learner on the rectilinear loss, driven by the *global* error
/// `β = ∂E/∂ŷ` (one number per example) times a *local* influence. Backprop's signal factorizes
/// as `δⱼ = β πⱼ 𝟙ⱼ`, with `πⱼ` the sum over all paths from `j` to the output (Theorem 3);
/// Kickback truncates the paths after one step, `τⱼ = Σₖ wⱼₖ 𝟙ₖ` over the nodes `k` that `j`
/// feeds, so `εⱼ = β τⱼ` and `δaⱼ = ρᵢ β τⱼ 𝟙ⱼ`, with one rescaling factor `ρᵢ` per hidden layer
/// below the top (the top layer's truncation is exact). In the row layout `τ = S · W` with
/// `S` the next layer's subgradients (±1 where firing) — one product per layer, as backprop.
///
/// `truncated == false` is backprop on the same network through the same path: the hidden
/// layers receive `β` from the summed prediction and transport it exactly, so the two rules differ
/// only in the feedback (the output nodes learn by rectilinear regression under both).
public struct Kickback: LearningRule {
    public let truncated: Bool
    /// `ρᵢ` for hidden layers 1 … L−2 (input side first).
    public var scales: [Float]
    let loss: Loss
    private var beta: Matrix
    private var subgradients: [Matrix]

    public init(truncated: Bool, scales: [Float], network: Network, loss: Loss) {
        self.truncated = truncated
        let below = max(network.depth - 2, 0)
        self.scales = scales.count == below ? scales : Array(repeating: scales.first ?? 1, count: below)
        self.loss = loss
        beta = Matrix(rows: 0, columns: 1)
        subgradients = Array(repeating: Matrix(rows: 0, columns: 0), count: network.depth)
    }

    public var name: String { truncated ? "kickback" : "bp" }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        let top = network.depth - 1
        let batch = workspace.batchSize
        globalError(network: network, workspace: workspace)
        // The output layer's subgradient row by row: 𝟙ₖ for the output nodes, times β.
        fillSubgradient(of: top, network: network, workspace: workspace)
        scaleRows(&subgradients[top], by: beta, rows: batch)
        for ℓ in stride(from: top - 1, through: 0, by: -1) {
            if ℓ == top - 1 || !truncated {
                // β·(S·W) = exact transport of the signal above (for ℓ = top − 1 that is β τ).
                let above = ℓ == top - 1 ? subgradients[top] : workspace.credits[ℓ + 1]
                backend.gemm(above, .none, network.layers[ℓ + 1].weights, .none, into: &workspace.credits[ℓ])
            } else {
                // Truncated: τ = S_{ℓ+1} · W^{ℓ+1}, then ρ β τ.
                fillSubgradient(of: ℓ + 1, network: network, workspace: workspace)
                backend.gemm(subgradients[ℓ + 1], .none, network.layers[ℓ + 1].weights, .none, into: &workspace.credits[ℓ],
                             alpha: scales[ℓ])
                scaleRows(&workspace.credits[ℓ], by: beta, rows: batch)
            }
            network.layers[ℓ].multiplyByDerivative(&workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                                                   activity: workspace.activities[ℓ])
        }
    }

    /// `β = ŷ − y` per example, from the summed prediction of the two rectilinear output nodes
    /// (or the single linear output).
    private mutating func globalError(network: Network, workspace: Workspace) {
        GeneralFeedback.ensure(&beta, rows: workspace.batchSize, columns: 1)
        let output = workspace.output
        for r in 0..<workspace.batchSize {
            beta[r, 0] = loss.prediction(output, row: r, column: 0) - workspace.target[r, 0]
        }
    }

    /// `S` = the subgradients `𝟙` of layer `ℓ`'s units (±1 where firing, 0 elsewhere; 1 for a linear layer).
    private mutating func fillSubgradient(of ℓ: Int, network: Network, workspace: Workspace) {
        GeneralFeedback.ensure(&subgradients[ℓ], rows: workspace.batchSize, columns: network.layers[ℓ].outputs)
        for i in 0..<subgradients[ℓ].count { subgradients[ℓ].storage[i] = 1 }
        network.layers[ℓ].multiplyByDerivative(&subgradients[ℓ], preActivation: workspace.preActivations[ℓ],
                                               activity: workspace.activities[ℓ])
    }

    private func scaleRows(_ m: inout Matrix, by factors: Matrix, rows: Int) {
        let columns = m.columns
        for r in 0..<rows {
            let f = factors[r, 0]
            for c in 0..<columns { m[r, c] *= f }
        }
    }

    /// The influences `τ` of hidden layer `ℓ`'s units on the next layer, `(batch, nℓ)`, after a
    /// forward pass (for coherence).
    public static func influence(of ℓ: Int, network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> Matrix {
        var s = Matrix(rows: workspace.batchSize, columns: network.layers[ℓ + 1].outputs, repeating: 1)
        network.layers[ℓ + 1].multiplyByDerivative(&s, preActivation: workspace.preActivations[ℓ + 1], activity: workspace.activities[ℓ + 1])
        var tau = Matrix(rows: workspace.batchSize, columns: network.layers[ℓ].outputs)
        backend.gemm(s, .none, network.layers[ℓ + 1].weights, .none, into: &tau)
        return tau
    }

    /// Coherence of a layer, `Σⱼ τⱼ / Σⱼ |τⱼ|` over the units and the batch, in [−1, 1].
    public static func coherence(_ tau: Matrix) -> Double {
        var sum = 0.0, absolute = 0.0
        for v in tau.elements { sum += Double(v); absolute += Double(abs(v)) }
        return absolute > 0 ? sum / absolute : .nan
    }
}
