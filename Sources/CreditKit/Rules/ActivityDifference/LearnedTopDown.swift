/// Learned top-down weights for NGRAD: per hidden layer ℓ a reconstruction `g_ℓ(h) = f_ℓ(G_ℓ h + c_ℓ)`
/// of layer ℓ from layer ℓ+1, `G_ℓ` shaped like `(Wˡ⁺¹)ᵀ`, trained as a de-noising autoencoder of
/// the layer below: `½‖g_ℓ(f_ℓ₊₁(Wˡ⁺¹ h̃ + bˡ⁺¹)) − h̃‖²` on `h̃ = hˡ + σξ`, by plain SGD at its own
/// learning rate. The change NGRAD sends down is then the difference of two reconstructions,
/// `Δhˡ = g_ℓ(hˡ⁺¹ + Δhˡ⁺¹) − g_ℓ(hˡ⁺¹)` — difference target propagation's correction.
public struct LearnedTopDown: Sendable {
    /// `G_ℓ` per hidden layer, `(n_ℓ, n_ℓ₊₁)`.
    public internal(set) var weights: [Matrix]
    /// `c_ℓ` per hidden layer, `(1, n_ℓ)`.
    public internal(set) var biases: [Matrix]
    /// The SGD step of the reconstruction loss.
    let learningRate: Float
    /// `σ`, the corruption of the layer below.
    let noise: Float
    /// The mean reconstruction loss per layer of the last batch learned from.
    public private(set) var lastLoss: [Double]
    private var buffers = Buffers()

    /// Per layer: the corrupted input, its image above, the reconstruction's pre-activation and
    /// activity, and the reconstruction's error (then its credit).
    private struct Buffers {
        var noisy: [Matrix] = [], up: [Matrix] = [], upPre: [Matrix] = [], reconstructionPre: [Matrix] = []
        var reconstruction: [Matrix] = [], difference: [Matrix] = []
    }

    /// Top-down weights for `network`, Xavier-drawn like the forward weights they stand for.
    init(network: Network, learningRate: Float, noise: Float, random: inout RandomSource) {
        weights = (0..<(network.depth - 1)).map { ℓ in
            FeedbackFamily.xavier.transposedMatrix(sources: network.layers[ℓ + 1].outputs, targets: network.layers[ℓ].outputs,
                                                   random: &random).transposed
        }
        biases = (0..<(network.depth - 1)).map { Matrix(rows: 1, columns: network.layers[$0].outputs) }
        self.learningRate = learningRate
        self.noise = noise
        lastLoss = Array(repeating: .nan, count: network.depth - 1)
    }

    /// `g_ℓ(above)` into `reconstruction` (its pre-activation into `preActivation`).
    func reconstruct(layer ℓ: Int, from above: Matrix, network: Network, preActivation: inout Matrix, into reconstruction: inout Matrix,
                     backend: LinearAlgebraBackend) {
        preActivation.fillRows(with: biases[ℓ])
        backend.gemm(above, .none, weights[ℓ], .transposed, into: &preActivation, beta: 1)
        network.layers[ℓ].activate(preActivation, into: &reconstruction)
    }

    /// One SGD step of every layer's de-noising reconstruction loss on the batch's activities.
    mutating func learn(network: Network, workspace: Workspace, backend: LinearAlgebraBackend, random: inout RandomSource) {
        prepare(workspace)
        let rows = workspace.activities[0].rows
        for ℓ in weights.indices {
            // h̃ = hˡ + σξ, then up = f_ℓ₊₁(Wˡ⁺¹ h̃ + bˡ⁺¹), then r = g_ℓ(up).
            let count = workspace.activities[ℓ].rows * workspace.activities[ℓ].columns
            buffers.noisy[ℓ].storage.withUnsafeMutableBufferPointer { n in
                random.fillStandardNormal(n.baseAddress!, count: count)
                workspace.activities[ℓ].storage.withUnsafeBufferPointer { h in
                    for k in 0..<count { n[k] = h[k] + noise * n[k] }
                }
            }
            network.forward(layer: ℓ + 1, from: buffers.noisy[ℓ], preActivation: &buffers.upPre[ℓ], activity: &buffers.up[ℓ], backend: backend)
            reconstruct(layer: ℓ, from: buffers.up[ℓ], network: network, preActivation: &buffers.reconstructionPre[ℓ],
                        into: &buffers.reconstruction[ℓ], backend: backend)
            // δ = (r − h̃) ⊙ f_ℓ'(pre).
            var loss = 0.0
            buffers.difference[ℓ].storage.withUnsafeMutableBufferPointer { d in
                buffers.reconstruction[ℓ].storage.withUnsafeBufferPointer { r in
                    buffers.noisy[ℓ].storage.withUnsafeBufferPointer { n in
                        for k in 0..<count {
                            d[k] = r[k] - n[k]
                            loss += Double(d[k] * d[k])
                        }
                    }
                }
            }
            lastLoss[ℓ] = loss / Double(2 * rows)
            network.layers[ℓ].multiplyByDerivative(&buffers.difference[ℓ], preActivation: buffers.reconstructionPre[ℓ],
                                                   activity: buffers.reconstruction[ℓ])
            LocalUpdate.hebbianProduct(post: buffers.difference[ℓ], pre: buffers.up[ℓ], into: &weights[ℓ],
                                       alpha: -learningRate / Float(rows), beta: 1, backend: backend)
            LocalUpdate.biasChange(post: buffers.difference[ℓ], into: &biases[ℓ], scale: -learningRate / Float(rows), accumulate: true)
        }
    }

    /// Buffers shaped like the workspace's, allocated on the first batch, resized to the rows in use.
    private mutating func prepare(_ workspace: Workspace) {
        let layers = weights.count
        if buffers.noisy.count != layers || buffers.noisy[0].storage.count < workspace.activities[0].storage.count {
            let below = (0..<layers).map { Matrix(rows: workspace.activities[$0].rows, columns: workspace.activities[$0].columns) }
            let above = (0..<layers).map { Matrix(rows: workspace.activities[$0 + 1].rows, columns: workspace.activities[$0 + 1].columns) }
            buffers = Buffers(noisy: below, up: above, upPre: above, reconstructionPre: below, reconstruction: below, difference: below)
        }
        let rows = workspace.activities[0].rows
        for ℓ in 0..<layers {
            buffers.noisy[ℓ].resizeRows(rows)
            buffers.up[ℓ].resizeRows(rows)
            buffers.upPre[ℓ].resizeRows(rows)
            buffers.reconstructionPre[ℓ].resizeRows(rows)
            buffers.reconstruction[ℓ].resizeRows(rows)
            buffers.difference[ℓ].resizeRows(rows)
        }
    }

    /// Per hidden layer on the probe batch (`workspace` holds its forward pass and backprop's
    /// credits): the reconstruction error `½‖gₗ(hˡ⁺¹) − hˡ‖²` per example, and the angle between the
    /// Jacobian–vector product of `gₗ` at `hˡ⁺¹` and that of `(Wˡ⁺¹)ᵀ` — with `v = δaˡ⁺¹_BP`,
    /// `(Gₗ v) ⊙ fₗ'` against backprop's `δaˡ = ((Wˡ⁺¹)ᵀ v) ⊙ fₗ'(aˡ)`. Allocates; not for the hot path.
    func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn] {
        var columns: [GradientDiagnostics.RuleColumn] = []
        for ℓ in weights.indices {
            let below = workspace.activities[ℓ], above = workspace.activities[ℓ + 1]
            var preActivation = Matrix(rows: below.rows, columns: below.columns), reconstruction = preActivation
            reconstruct(layer: ℓ, from: above, network: network, preActivation: &preActivation, into: &reconstruction, backend: backend)
            let error = zip(reconstruction.elements, below.elements).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            columns.append(.init("reconstruction_error_G\(ℓ + 2)", error / Double(2 * below.rows)))
            var product = Matrix(rows: below.rows, columns: below.columns)
            backend.gemm(workspace.credits[ℓ + 1], .none, weights[ℓ], .transposed, into: &product)
            network.layers[ℓ].multiplyByDerivative(&product, preActivation: preActivation, activity: reconstruction)
            columns.append(.init("angle_JG\(ℓ + 2)_vs_WT", Alignment.angle(product, workspace.credits[ℓ])))
        }
        return columns
    }

    /// `G2`, `c2`, `G3`, … by the layer above they read from (as feedback matrices are named).
    var state: [NamedTensor] {
        get { weights.indices.flatMap { ℓ in [NamedTensor("G\(ℓ + 2)", weights[ℓ]), NamedTensor("c\(ℓ + 2)", biases[ℓ])] } }
        set {
            for ℓ in weights.indices {
                weights[ℓ] = newValue[named: "G\(ℓ + 2)"] ?? weights[ℓ]
                biases[ℓ] = newValue[named: "c\(ℓ + 2)"] ?? biases[ℓ]
            }
        }
    }
}
