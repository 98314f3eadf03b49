/// Learned top-down weights for NGRAD: per hidden layer ℓ a reconstruction `g_ℓ(h) = f_ℓ(G_ℓ h + c_ℓ)`
/// of layer ℓ from layer ℓ+1, `G_ℓ` shaped like `(Wˡ⁺¹)ᵀ`, trained as an autoencoder of the layer
/// below: `½‖g_ℓ(f_ℓ₊₁(Wˡ⁺¹ h̃ + bˡ⁺¹)) − h̃‖²` on `h̃ = hˡ + σξ` (noise-preserving; the de-noising
/// form regresses `hˡ` instead), by plain SGD (or momentum, or Adam, with moments of their own) at
/// its own learning rate. The change NGRAD sends down is then the difference of two
/// reconstructions, `Δhˡ = g_ℓ(hˡ⁺¹ + Δhˡ⁺¹) − g_ℓ(hˡ⁺¹)` — difference target propagation's correction.
///
/// With the difference reconstruction loss (DRL, Meulemans et al. 2020) every layer below the top
/// of the rule's chain of targets learns instead how well a corruption of it survives the whole
/// round trip: up through every higher layer to the chain's top and back down by the difference
/// steps (`learnDifferenceReconstruction(layer:network:workspace:backend:random:)`).
public struct LearnedTopDown: Sendable {
    /// `G_ℓ` per hidden layer, `(n_ℓ, n_ℓ₊₁)`.
    public internal(set) var weights: [Matrix]
    /// `c_ℓ` per hidden layer, `(1, n_ℓ)`.
    public internal(set) var biases: [Matrix]
    /// The step size of the reconstruction loss.
    let learningRate: Float
    /// Momentum's or Adam's state for `G_ℓ`, `c_ℓ` (slots 2ℓ, 2ℓ + 1); `nil` for plain SGD, which
    /// writes each change straight into the weights.
    private var optimizer: Optimizer?
    /// `σ`, the corruption of the layer below.
    let noise: Float
    /// What each `G_ℓ` minimises.
    let loss: TopDownSettings.ReconstructionLoss
    /// The layer the rule's targets start from (the penultimate for DTP, the output for NGRAD and
    /// SDTP): the top of DRL's round trip. Layers at or above it learn the noise-preserving loss.
    let chainTop: Int
    /// Whether the top-down weights read the output layer as softmax probabilities rather than
    /// logits: SDTP with cross-entropy, whose top target is the label, a probability vector.
    let readsProbabilities: Bool
    /// The mean reconstruction loss per layer of the last batch learned from.
    public private(set) var lastLoss: [Double]
    private var buffers = Buffers()

    /// Per layer: the corrupted input, its image above, the reconstruction's pre-activation and
    /// activity, and the reconstruction's error (then its credit).
    private struct Buffers {
        var noisy: [Matrix] = [], up: [Matrix] = [], upPre: [Matrix] = [], reconstructionPre: [Matrix] = []
        var reconstruction: [Matrix] = [], difference: [Matrix] = []
        /// DRL's round trip: the corrupted activities on the way up, `g_k(hᵏ⁺¹)` of the clean
        /// ones, and the reconstructions on the way down — each with its pre-activation.
        var chain = LayerScratch(), chainPre = LayerScratch(), clean = LayerScratch(), cleanPre = LayerScratch()
        var down = LayerScratch(), downPre = LayerScratch(), cleanCredit = LayerScratch()
        /// The output as the top-down weights read it (probabilities, when they read those).
        var seen = LayerScratch()
    }
    /// The reconstruction loss's gradient for `G_ℓ` and `c_ℓ`, when an optimizer takes the step.
    private var weightGradients: [Matrix] = [], biasGradients: [Matrix] = []

    /// Top-down weights for `network`, Xavier-drawn like the forward weights they stand for,
    /// learning `loss` for the targets that start at layer `chainTop` (by default the output),
    /// reading the output as probabilities if `readsProbabilities`.
    init(network: Network, learningRate: Float, noise: Float, loss: TopDownSettings.ReconstructionLoss = .noisePreserving,
         optimizer: OptimizerKind = .sgd, chainTop: Int? = nil, readsProbabilities: Bool = false, random: inout RandomSource) {
        weights = (0..<(network.depth - 1)).map { ℓ in
            FeedbackFamily.xavier.transposedMatrix(sources: network.layers[ℓ + 1].outputs, targets: network.layers[ℓ].outputs,
                                                   random: &random).transposed
        }
        biases = (0..<(network.depth - 1)).map { Matrix(rows: 1, columns: network.layers[$0].outputs) }
        self.learningRate = learningRate
        self.noise = noise
        self.loss = loss
        self.chainTop = chainTop ?? network.depth - 1
        self.readsProbabilities = readsProbabilities
        lastLoss = Array(repeating: .nan, count: network.depth - 1)
        if optimizer != .sgd {
            let (weights, biases) = (weights, biases)
            let parameters = weights.indices.flatMap { [weights[$0], biases[$0]] }
            self.optimizer = Optimizer(settings: OptimizerSettings(kind: optimizer), learningRate: learningRate, parameters: parameters)
            weightGradients = weights.map { Matrix(rows: $0.rows, columns: $0.columns) }
            biasGradients = biases.map { Matrix(rows: $0.rows, columns: $0.columns) }
        }
    }

    /// `g_ℓ(above)` into `reconstruction` (its pre-activation into `preActivation`).
    func reconstruct(layer ℓ: Int, from above: Matrix, network: Network, preActivation: inout Matrix, into reconstruction: inout Matrix,
                     backend: LinearAlgebraBackend) {
        Self.reconstruct(weights[ℓ], biases[ℓ], below: network.layers[ℓ], from: above, preActivation: &preActivation,
                         into: &reconstruction, backend: backend)
    }

    /// `f(G h + c)` of the layer `below`. Static, so that the mutating methods below can write
    /// into their own buffers without the call holding a copy of `self` (whose buffers would then
    /// be shared, and copied on write: an allocation per call).
    private static func reconstruct(_ weights: Matrix, _ biases: Matrix, below: DenseLayer, from above: Matrix, preActivation: inout Matrix,
                                    into reconstruction: inout Matrix, backend: LinearAlgebraBackend) {
        preActivation.fillRows(with: biases)
        backend.gemm(above, .none, weights, .transposed, into: &preActivation, beta: 1)
        below.activate(preActivation, into: &reconstruction)
    }

    /// Whether layer `k` (of a network with `top + 1` layers) is read as probabilities.
    private static func readsAsProbabilities(_ k: Int, top: Int, _ readsProbabilities: Bool) -> Bool { readsProbabilities && k == top }

    /// One step of every layer's reconstruction loss on the batch's activities.
    mutating func learn(network: Network, workspace: Workspace, backend: LinearAlgebraBackend, random: inout RandomSource) {
        prepare(workspace)
        optimizer?.countStep()
        if readsProbabilities {
            let top = weights.count
            buffers.seen.fit(workspace)
            buffers.seen[top].copyElements(from: workspace.activities[top])
            Loss.softmaxRows(&buffers.seen[top])
        }
        for ℓ in weights.indices {
            if loss == .difference && ℓ < chainTop {
                learnDifferenceReconstruction(layer: ℓ, network: network, workspace: workspace, backend: backend, random: &random)
            } else {
                learnReconstruction(layer: ℓ, network: network, workspace: workspace, backend: backend, random: &random)
            }
        }
    }

    /// `h̃ = hˡ + σξ` into `buffers.noisy[ℓ]`.
    private mutating func corrupt(layer ℓ: Int, workspace: Workspace, random: inout RandomSource) {
        let count = workspace.activities[ℓ].rows * workspace.activities[ℓ].columns
        let noise = noise
        buffers.noisy[ℓ].storage.withUnsafeMutableBufferPointer { n in
            random.fillStandardNormal(n.baseAddress!, count: count)
            workspace.activities[ℓ].storage.withUnsafeBufferPointer { h in
                for k in 0..<count { n[k] = h[k] + noise * n[k] }
            }
        }
    }

    /// `buffers.difference[ℓ] ← reconstruction − target` (`target`: the corrupted copy `h̃`, or
    /// with `clean` the layer's activity); returns `Σ‖·‖²`.
    private mutating func reconstructionError(layer ℓ: Int, reconstruction: Matrix, clean: Matrix? = nil) -> Double {
        let count = reconstruction.rows * reconstruction.columns
        let target = clean ?? buffers.noisy[ℓ]
        var sum = 0.0
        buffers.difference[ℓ].storage.withUnsafeMutableBufferPointer { d in
            reconstruction.storage.withUnsafeBufferPointer { r in
                target.storage.withUnsafeBufferPointer { n in
                    for k in 0..<count {
                        d[k] = r[k] - n[k]
                        sum += Double(d[k] * d[k])
                    }
                }
            }
        }
        return sum
    }

    /// The noise-preserving loss `½‖g_ℓ(f_ℓ₊₁(Wˡ⁺¹ h̃ + bˡ⁺¹)) − h̃‖²`, or the de-noising one with
    /// `hˡ` in place of the second `h̃`: one step.
    private mutating func learnReconstruction(layer ℓ: Int, network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                              random: inout RandomSource) {
        let rows = workspace.activities[0].rows
        corrupt(layer: ℓ, workspace: workspace, random: &random)
        network.forward(layer: ℓ + 1, from: buffers.noisy[ℓ], preActivation: &buffers.upPre[ℓ], activity: &buffers.up[ℓ], backend: backend)
        if Self.readsAsProbabilities(ℓ + 1, top: weights.count, readsProbabilities) { Loss.softmaxRows(&buffers.up[ℓ]) }
        Self.reconstruct(weights[ℓ], biases[ℓ], below: network.layers[ℓ], from: buffers.up[ℓ], preActivation: &buffers.reconstructionPre[ℓ],
                         into: &buffers.reconstruction[ℓ], backend: backend)
        // δ = (r − h̃) ⊙ f_ℓ'(pre), or (r − hˡ) ⊙ f_ℓ'(pre).
        let clean = loss == .denoising ? workspace.activities[ℓ] : nil
        lastLoss[ℓ] = reconstructionError(layer: ℓ, reconstruction: buffers.reconstruction[ℓ], clean: clean) / Double(2 * rows)
        network.layers[ℓ].multiplyByDerivative(&buffers.difference[ℓ], preActivation: buffers.reconstructionPre[ℓ],
                                               activity: buffers.reconstruction[ℓ])
        addGradient(layer: ℓ, post: buffers.difference[ℓ], pre: buffers.up[ℓ], scale: 1 / Float(rows), first: true, backend: backend)
        step(layer: ℓ)
    }

    /// Adds `scale · postᵀ pre` (and `scale · Σ post` for `c_ℓ`) to the reconstruction loss's
    /// gradient for layer ℓ (`first`: in place of it). By SGD it goes straight into `G_ℓ`, `c_ℓ`
    /// times `−η`; otherwise into the gradient buffers that ``step(layer:)`` hands the optimizer.
    private mutating func addGradient(layer ℓ: Int, post: Matrix, pre: Matrix, scale: Float, first: Bool, backend: LinearAlgebraBackend) {
        if optimizer == nil {
            LocalUpdate.hebbianProduct(post: post, pre: pre, into: &weights[ℓ], alpha: -learningRate * scale, beta: 1, backend: backend)
            LocalUpdate.biasChange(post: post, into: &biases[ℓ], scale: -learningRate * scale, accumulate: true)
        } else {
            LocalUpdate.hebbianProduct(post: post, pre: pre, into: &weightGradients[ℓ], alpha: scale, beta: first ? 0 : 1,
                                       backend: backend)
            LocalUpdate.biasChange(post: post, into: &biasGradients[ℓ], scale: scale, accumulate: !first)
        }
    }

    /// The optimizer's step on layer ℓ's gradient (nothing to do for SGD, already applied).
    private mutating func step(layer ℓ: Int) {
        optimizer?.update(&weights[ℓ], gradient: weightGradients[ℓ], slot: 2 * ℓ, counted: false)
        optimizer?.update(&biases[ℓ], gradient: biasGradients[ℓ], slot: 2 * ℓ + 1, counted: false)
    }

    /// DRL (Meulemans et al. 2020) for `G_ℓ`, `c_ℓ`: the corruption `h̃ = hˡ + σξ` travels forward
    /// through every higher layer to the chain's top `T`, `uᵀ`, and comes back by the difference
    /// steps `rᵏ = hᵏ + g_k(rᵏ⁺¹) − g_k(hᵏ⁺¹)` (`rᵀ = uᵀ`), and `G_ℓ` takes one SGD step on
    /// `(1/2σ²)‖rˡ − h̃‖²` (the higher `g_k` held fixed, as in their code). Its minimum makes the
    /// chain of `G`s' Jacobians invert the forward one: Gauss–Newton-like targets.
    mutating func learnDifferenceReconstruction(layer ℓ: Int, network: Network, workspace: Workspace,
                                                        backend: LinearAlgebraBackend, random: inout RandomSource) {
        let rows = workspace.activities[0].rows
        corrupt(layer: ℓ, workspace: workspace, random: &random)
        // Up: chain[k] = f_k(Wᵏ chain[k−1] + bᵏ), from chain[ℓ] = h̃ to the top.
        buffers.chain[ℓ].copyElements(from: buffers.noisy[ℓ])
        for k in (ℓ + 1)...chainTop {
            network.forward(layer: k, from: buffers.chain[k - 1], preActivation: &buffers.chainPre[k], activity: &buffers.chain[k],
                            backend: backend)
            if Self.readsAsProbabilities(k, top: weights.count, readsProbabilities) { Loss.softmaxRows(&buffers.chain[k]) }
        }
        // Down: down[k] = h^k + g_k(down[k+1]) − g_k(h^{k+1}), from down[top] = chain[top].
        buffers.down[chainTop].copyElements(from: buffers.chain[chainTop])
        for k in stride(from: chainTop - 1, through: ℓ, by: -1) {
            Self.reconstruct(weights[k], biases[k], below: network.layers[k], from: buffers.down[k + 1], preActivation: &buffers.downPre[k],
                             into: &buffers.reconstruction[k], backend: backend)
            let cleanAbove = Self.readsAsProbabilities(k + 1, top: weights.count, readsProbabilities)
                ? buffers.seen[k + 1] : workspace.activities[k + 1]
            Self.reconstruct(weights[k], biases[k], below: network.layers[k], from: cleanAbove, preActivation: &buffers.cleanPre[k],
                             into: &buffers.clean[k], backend: backend)
            buffers.down[k].copyElements(from: buffers.reconstruction[k])
            buffers.down[k].addDifference(workspace.activities[k], buffers.clean[k])
        }
        // d = (rˡ − h̃)/σ²; the gradient reaches G_ℓ through both reconstructions of the last step.
        let sum = reconstructionError(layer: ℓ, reconstruction: buffers.down[ℓ])
        lastLoss[ℓ] = sum / Double(2 * rows) / Double(noise * noise)
        buffers.cleanCredit[ℓ].copyElements(from: buffers.difference[ℓ])
        network.layers[ℓ].multiplyByDerivative(&buffers.difference[ℓ], preActivation: buffers.downPre[ℓ],
                                               activity: buffers.reconstruction[ℓ])
        network.layers[ℓ].multiplyByDerivative(&buffers.cleanCredit[ℓ], preActivation: buffers.cleanPre[ℓ],
                                               activity: buffers.clean[ℓ])
        let scale = 1 / Float(rows) / (noise * noise)
        addGradient(layer: ℓ, post: buffers.difference[ℓ], pre: buffers.down[ℓ + 1], scale: scale, first: true, backend: backend)
        let cleanAbove = Self.readsAsProbabilities(ℓ + 1, top: weights.count, readsProbabilities)
            ? buffers.seen[ℓ + 1] : workspace.activities[ℓ + 1]
        addGradient(layer: ℓ, post: buffers.cleanCredit[ℓ], pre: cleanAbove, scale: -scale, first: false, backend: backend)
        step(layer: ℓ)
    }

    /// Buffers shaped like the workspace's, allocated on the first batch, resized to the rows in use.
    mutating func prepare(_ workspace: Workspace) {
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
        if loss == .difference {
            for keyPath in [\Buffers.chain, \.chainPre, \.clean, \.cleanPre, \.down, \.downPre, \.cleanCredit] {
                buffers[keyPath: keyPath].fit(workspace)
            }
        }
    }

    /// Per hidden layer on the probe batch (`workspace` holds its forward pass and backprop's
    /// credits): the reconstruction error `½‖gₗ(hˡ⁺¹) − hˡ‖²` per example, and the angle between the
    /// Jacobian–vector product of `gₗ` at `hˡ⁺¹` and that of `(Wˡ⁺¹)ᵀ` — with `v = δaˡ⁺¹_BP`,
    /// `(Gₗ v) ⊙ fₗ'` against backprop's `δaˡ = ((Wˡ⁺¹)ᵀ v) ⊙ fₗ'(aˡ)`. Allocates; not for the hot path.
    func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn] {
        var columns: [GradientDiagnostics.RuleColumn] = []
        for ℓ in weights.indices {
            let below = workspace.activities[ℓ]
            var above = workspace.activities[ℓ + 1]
            if Self.readsAsProbabilities(ℓ + 1, top: weights.count, readsProbabilities) { Loss.softmaxRows(&above) }
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

    /// `G2`, `c2`, `G3`, … by the layer above they read from (as feedback matrices are named), and
    /// with an optimizer its moments (`G2.m`, `G2.v`, …) and step count.
    var state: [NamedTensor] {
        get {
            let tensors = weights.indices.flatMap { ℓ in [NamedTensor("G\(ℓ + 2)", weights[ℓ]), NamedTensor("c\(ℓ + 2)", biases[ℓ])] }
            guard let optimizer else { return tensors }
            let names = tensors.map(\.name)
            return tensors + zip(names, optimizer.firstMoments).map { NamedTensor($0 + ".m", $1) }
                + zip(names, optimizer.secondMoments).map { NamedTensor($0 + ".v", $1) }
                + [NamedTensor("topDownSteps", Matrix(rows: 1, columns: 1) { _, _ in Float(optimizer.step) })]
        }
        set {
            for ℓ in weights.indices {
                weights[ℓ] = newValue[named: "G\(ℓ + 2)"] ?? weights[ℓ]
                biases[ℓ] = newValue[named: "c\(ℓ + 2)"] ?? biases[ℓ]
            }
            guard var optimizer else { return }
            let names = weights.indices.flatMap { ["G\($0 + 2)", "c\($0 + 2)"] }
            for (slot, name) in names.enumerated() {
                if slot < optimizer.firstMoments.count { optimizer.firstMoments[slot] = newValue[named: name + ".m"] ?? optimizer.firstMoments[slot] }
                if slot < optimizer.secondMoments.count { optimizer.secondMoments[slot] = newValue[named: name + ".v"] ?? optimizer.secondMoments[slot] }
            }
            if let steps = newValue[named: "topDownSteps"] { optimizer.restore(step: Int(steps[0, 0])) }
            self.optimizer = optimizer
        }
    }
}
