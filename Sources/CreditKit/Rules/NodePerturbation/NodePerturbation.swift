/// Feedback learned by node perturbation (Lansdell, Prakash & Kording 2020).
///
/// Credits travel down layer by layer as in FA, `ẽⁱ = (Bⁱ⁺¹ ẽⁱ⁺¹) ⊙ f'(aⁱ)`, but every `Bⁱ⁺¹` is
/// learned. Each batch, after the clean pass:
///
/// 1. a noisy forward pass adds `c_h ξⁱ`, `ξⁱ ~ N(0, I)`, to every hidden activity at once (the
///    noise of a layer travels up through the layers above), giving each example's loss `L̃`;
/// 2. each example's node-perturbation estimate of `λⁱ = ∂L/∂hⁱ` is `λ̂ⁱ = (L̃ − L) ξⁱ / c_h` —
///    per example, not the batch's summed loss (the authors' first version summed, a bug);
/// 3. `Bⁱ⁺¹` is fitted by least squares so that `Bⁱ⁺¹ ẽⁱ⁺¹ ≈ λ̂ⁱ`: one SGD step, or the exact
///    ridge solution over every batch so far (the authors' MNIST figure: sums started at γI,
///    never windowed).
///
/// The forward weights then learn from the synthetic credits like FA's, so W and B co-adapt.
/// To first order in `c_h` the estimate is unbiased: `E[(L̃ − L) ξ / c] = ∂L/∂h` (Lemma 3).
public struct NodePerturbation: LearningRule {
    /// The settings it was made with.
    public let settings: NodePerturbationSettings
    /// `(Bˡ⁺²)ᵀ`, shaped like `layers[ℓ + 1].weights` (`n_{ℓ+1} × n_ℓ` in 0-based hidden indices).
    var feedback: [Matrix]
    /// Exact solver: `Σ ẽᵀẽ + γI` (`n_{ℓ+1}²`) and `Σ ẽᵀ λ̂` (shaped like `feedback[ℓ]`), over the run.
    var gram: [Matrix]
    var cross: [Matrix]
    private var warnings: [String] = []
    private var warned: Set<Int> = []

    // Scratch, sized once to the batch.
    private var noisyPreActivations: [Matrix]
    private var noisyActivities: [Matrix]
    private var noise: [Matrix]
    private(set) var estimates: [Matrix]
    private var cleanLosses: [Float] = []
    private var noisyLosses: [Float] = []
    private var factor: [Double] = []
    private var solution: [Double] = []
    let loss: Loss

    public var name: String { "np" }

    /// The SGD solver starts from feedback drawn from `family` (the same draw FA would use with
    /// the same seed); the exact solver starts from `B = 0`, the ridge solution of no data.
    public init(settings: NodePerturbationSettings, network: Network, loss: Loss, family: FeedbackFamily,
                random: inout RandomSource) {
        self.settings = settings
        self.loss = loss
        let forward = network.layers.dropFirst().map(\.weights)
        switch settings.solver {
        case .sgd:
            feedback = forward.map { w in family.transposedMatrix(sources: w.rows, targets: w.columns, random: &random) }
            gram = []
            cross = []
        case .exact:
            feedback = forward.map { Matrix(rows: $0.rows, columns: $0.columns) }
            gram = forward.map { w in Matrix(rows: w.rows, columns: w.rows) { r, c in r == c ? settings.ridge : 0 } }
            cross = feedback
        }
        noisyPreActivations = []
        noisyActivities = []
        noise = []
        estimates = []
    }

    /// `B2…` (stored shaped like `Wⁱ`), and for the exact solver its running sums `gram2…`, `cross2…`.
    public var state: [NamedTensor] {
        get { LayerwiseFeedback.named(feedback, "B") + LayerwiseFeedback.named(gram, "gram") + LayerwiseFeedback.named(cross, "cross") }
        set {
            LayerwiseFeedback.restore(&feedback, "B", from: newValue)
            LayerwiseFeedback.restore(&gram, "gram", from: newValue)
            LayerwiseFeedback.restore(&cross, "cross", from: newValue)
        }
    }

    public var feedbackPairs: [FeedbackPair] { LayerwiseFeedback.pairs(feedback) }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        LayerwiseFeedback.assignCredit(through: feedback, network: network, workspace: &workspace, backend: backend)
    }

    public mutating func takeWarnings() -> [String] {
        defer { warnings.removeAll(keepingCapacity: true) }
        return warnings
    }

    public mutating func learnFeedback(network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                       random: inout RandomSource) {
        let batch = workspace.batchSize
        prepareScratch(network: network, batch: batch)
        estimateLossGradients(network: network, workspace: workspace, backend: backend, random: &random)
        for ℓ in feedback.indices {
            let signal = workspace.credits[ℓ + 1]  // ẽ^{i+1}, the regressor
            switch settings.solver {
            case .sgd:
                // The residual R = ẽ Bᵀ − λ̂ overwrites λ̂; then Bᵀ ← Bᵀ − η ẽᵀ R / batch.
                backend.gemm(signal, .none, feedback[ℓ], .none, into: &estimates[ℓ], beta: -1)
                backend.gemm(signal, .transposed, estimates[ℓ], .none, into: &feedback[ℓ],
                             alpha: -settings.feedbackLearningRate / Float(batch), beta: 1)
            case .exact:
                backend.gemm(signal, .transposed, signal, .none, into: &gram[ℓ], beta: 1)
                backend.gemm(signal, .transposed, estimates[ℓ], .none, into: &cross[ℓ], beta: 1)
                if !solveRidgeSystem(ℓ) && warned.insert(ℓ).inserted {
                    warnings.append("node perturbation: the ridge system of feedback matrix B\(ℓ + 2) is singular "
                                    + "(γ = \(settings.ridge)); its previous value is kept until the data make it solvable. "
                                    + "Use --ridge > 0 to regularize.")
                }
            }
        }
    }

    /// The noisy pass and `λ̂ⁱ = (L̃ − L) ξⁱ / c_h` for every hidden layer, per example.
    private mutating func estimateLossGradients(network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                                random: inout RandomSource) {
        let c = settings.noise
        let top = network.depth - 1
        for ℓ in 0...top {
            network.forward(layer: ℓ, from: ℓ == 0 ? workspace.input : noisyActivities[ℓ - 1],
                            preActivation: &noisyPreActivations[ℓ], activity: &noisyActivities[ℓ], backend: backend)
            guard ℓ < top else { break }
            let count = noise[ℓ].count
            noise[ℓ].storage.withUnsafeMutableBufferPointer { xi in
                noisyActivities[ℓ].storage.withUnsafeMutableBufferPointer { h in
                    settings.drawNoise(into: UnsafeMutableBufferPointer(rebasing: xi[0..<count]), random: &random)
                    for i in 0..<count { h[i] += c * xi[i] }
                }
            }
        }
        loss.exampleLosses(output: workspace.output, target: workspace.target, into: &cleanLosses)
        loss.exampleLosses(output: noisyActivities[top], target: workspace.target, into: &noisyLosses)
        for ℓ in 0..<top {
            let columns = noise[ℓ].columns
            noise[ℓ].storage.withUnsafeBufferPointer { xi in
                estimates[ℓ].storage.withUnsafeMutableBufferPointer { lambda in
                    for r in 0..<workspace.batchSize {
                        let scale = (noisyLosses[r] - cleanLosses[r]) / c
                        for k in (r * columns)..<((r + 1) * columns) { lambda[k] = scale * xi[k] }
                    }
                }
            }
        }
    }

    /// `Bᵀ = V⁻¹ C` by Cholesky in double precision; false (B unchanged) when V is not positive definite.
    private mutating func solveRidgeSystem(_ ℓ: Int) -> Bool {
        let n = gram[ℓ].rows, m = cross[ℓ].columns
        if factor.count < n * n { factor = Array(repeating: 0, count: n * n) }
        if solution.count < n * m { solution = Array(repeating: 0, count: n * m) }
        for i in 0..<(n * n) { factor[i] = Double(gram[ℓ].storage[i]) }
        // Lower-triangular L with V = L Lᵀ, in place.
        var largestDiagonal = 0.0
        for i in 0..<n { largestDiagonal = max(largestDiagonal, factor[i * n + i]) }
        let tolerance = max(largestDiagonal, 1e-300) * 1e-12
        for j in 0..<n {
            var d = factor[j * n + j]
            for k in 0..<j { d -= factor[j * n + k] * factor[j * n + k] }
            guard d > tolerance, d.isFinite else { return false }
            let root = d.squareRoot()
            factor[j * n + j] = root
            for i in (j + 1)..<max(n, j + 1) {
                var s = factor[i * n + j]
                for k in 0..<j { s -= factor[i * n + k] * factor[j * n + k] }
                factor[i * n + j] = s / root
            }
        }
        for i in 0..<(n * m) { solution[i] = Double(cross[ℓ].storage[i]) }
        for column in 0..<m {
            for i in 0..<n {  // L y = c
                var s = solution[i * m + column]
                for k in 0..<i { s -= factor[i * n + k] * solution[k * m + column] }
                solution[i * m + column] = s / factor[i * n + i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {  // Lᵀ x = y
                var s = solution[i * m + column]
                for k in (i + 1)..<max(n, i + 1) { s -= factor[k * n + i] * solution[k * m + column] }
                solution[i * m + column] = s / factor[i * n + i]
            }
        }
        for i in 0..<(n * m) { feedback[ℓ].storage[i] = Float(solution[i]) }
        return true
    }

    private mutating func prepareScratch(network: Network, batch: Int) {
        if noisyActivities.count != network.depth {
            noisyPreActivations = network.layers.map { Matrix(rows: batch, columns: $0.outputs) }
            noisyActivities = noisyPreActivations
            noise = Array(noisyPreActivations.dropLast())
            estimates = noise
        }
        for ℓ in 0..<network.depth {
            noisyPreActivations[ℓ].resizeRows(batch)
            noisyActivities[ℓ].resizeRows(batch)
            if ℓ < network.depth - 1 {
                noise[ℓ].resizeRows(batch)
                estimates[ℓ].resizeRows(batch)
            }
        }
    }
}
