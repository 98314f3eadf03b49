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
/// **Several outputs (beyond the paper, which leaves it as future work).** With `C` outputs there is
/// one global error per class, `βₖ = eₖ`, and each unit's influence is taken towards each class's
/// output node. Scalar Kickback replaces the downstream path sums `πₘ` by 1, which under coherence
/// is their sign; the extension replaces them by their *sign per class*, computed top-down with
/// the same truncation: `τⱼ⁽ᵏ⁾ = Σₘ wⱼₘ 𝟙ₘ sign(τₘ⁽ᵏ⁾)`, starting from the exact
/// `τⱼ⁽ᵏ⁾ = wₖⱼ` of the top hidden layer, and `εⱼ = ρ Σₖ βₖ τⱼ⁽ᵏ⁾`. With one output and a coherent
/// network every sign is +1 and this is Kickback exactly. It costs `C` products per layer below
/// the top hidden one.
///
/// `truncated == false` is backprop on the same network through the same path: the hidden
/// layers receive `β` from the summed prediction and transport it exactly, so the two rules differ
/// only in the feedback (the output nodes learn by rectilinear regression under both).
public struct Kickback: LearningRule {
    /// Truncated (Kickback) or through every layer (backprop along Kickback's path).
    public let truncated: Bool
    /// `ρᵢ` for hidden layers 1 … L−2 (input side first).
    public var scales: [Float]
    let loss: Loss
    private var beta: Matrix
    private var subgradients: [Matrix]
    /// Per class: the signed influences `τ⁽ᵏ⁾` of the layer above and of the current layer.
    private var classInfluence: [Matrix] = []
    private var nextClassInfluence: [Matrix] = []
    private var masked: Matrix = Matrix(rows: 0, columns: 0)

    /// The rule for `network`, with one rescaling factor per hidden layer.
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
        if truncated && loss != .rectilinear && network.layers[top].outputs > 1 {
            assignMultiClassCredit(network: network, workspace: &workspace, backend: backend)
            return
        }
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

    private mutating func assignMultiClassCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend) {
        let top = network.depth - 1, batch = workspace.batchSize, classes = network.layers[top].outputs
        // Top hidden layer: exact, Σₖ βₖ wₖⱼ 𝟙ₖ.
        backend.gemm(workspace.credits[top], .none, network.layers[top].weights, .none, into: &workspace.credits[top - 1])
        network.layers[top - 1].multiplyByDerivative(&workspace.credits[top - 1], preActivation: workspace.preActivations[top - 1],
                                                     activity: workspace.activities[top - 1])
        guard top >= 2 else { return }
        // τ⁽ᵏ⁾ of the top hidden layer: wₖⱼ times the output's subgradient (1 for a linear output).
        fillSubgradient(of: top, network: network, workspace: workspace)
        let width = network.layers[top - 1].outputs
        if classInfluence.count != classes { classInfluence = Array(repeating: Matrix(rows: 0, columns: 0), count: classes) }
        for k in 0..<classes {
            GeneralFeedback.ensure(&classInfluence[k], rows: batch, columns: width)
            for r in 0..<batch {
                let s = subgradients[top][r, k]
                for j in 0..<width { classInfluence[k][r, j] = network.layers[top].weights[k, j] * s }
            }
        }
        for ℓ in stride(from: top - 2, through: 0, by: -1) {
            fillSubgradient(of: ℓ + 1, network: network, workspace: workspace)
            let above = network.layers[ℓ + 1].outputs, width = network.layers[ℓ].outputs
            if nextClassInfluence.count != classes { nextClassInfluence = Array(repeating: Matrix(rows: 0, columns: 0), count: classes) }
            GeneralFeedback.ensure(&masked, rows: batch, columns: above)
            for k in 0..<classes {
                // 𝟙ₘ sign(τₘ⁽ᵏ⁾), then τⱼ⁽ᵏ⁾ = Σₘ wⱼₘ 𝟙ₘ sign(τₘ⁽ᵏ⁾).
                for i in 0..<(batch * above) {
                    let t = classInfluence[k].storage[i]
                    masked.storage[i] = subgradients[ℓ + 1].storage[i] * (t > 0 ? 1 : (t < 0 ? -1 : 0))
                }
                GeneralFeedback.ensure(&nextClassInfluence[k], rows: batch, columns: width)
                backend.gemm(masked, .none, network.layers[ℓ + 1].weights, .none, into: &nextClassInfluence[k])
            }
            // εⱼ = ρ Σₖ βₖ τⱼ⁽ᵏ⁾, βₖ = eₖ per example.
            for r in 0..<batch {
                for j in 0..<width {
                    var sum: Float = 0
                    for k in 0..<classes { sum += workspace.credits[top][r, k] * nextClassInfluence[k][r, j] }
                    workspace.credits[ℓ][r, j] = scales[ℓ] * sum
                }
            }
            network.layers[ℓ].multiplyByDerivative(&workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                                                   activity: workspace.activities[ℓ])
            swap(&classInfluence, &nextClassInfluence)
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
