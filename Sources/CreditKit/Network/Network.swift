/// One fully connected layer: `aⁱ = Wⁱ hⁱ⁻¹ + bⁱ`, `hⁱ = fᵢ(aⁱ)`.
public struct DenseLayer: Sendable, Equatable {
    /// `Wⁱ`, shape `(outputs, inputs)`, so that it multiplies a column `hⁱ⁻¹` as in the papers.
    public var weights: Matrix
    /// `bⁱ`, shape `(1, outputs)`.
    public var biases: Matrix
    /// The transfer function `fᵢ`.
    public var activation: Activation
    /// For a mixed rectifier layer, how many of its units (the first ones) are positive.
    public var positiveUnits: Int = .max
    /// The noise of a hidden layer's activity while training (spikes or dropout), if any: the
    /// derivative is then the rate's, taken from the pre-activation.
    public var noise: ActivityNoise?

    /// `nᵢ₋₁`.
    public var inputs: Int { weights.columns }
    /// `nᵢ`.
    public var outputs: Int { weights.rows }

    /// `h = f(a)` for this layer's units.
    public func activate(_ preActivation: Matrix, into activity: inout Matrix) {
        activation.apply(preActivation, into: &activity, positiveUnits: positiveUnits)
    }

    /// `g ← g ⊙ f'(a)` for this layer's units. A noisy layer's activity is no longer `f(a)`: the
    /// rate's derivative comes from the pre-activation, times `ŝ/f(a)` under dropout (the unit's
    /// mask over 1 − p; 1 for an activity that is the rate itself) and 1 under spikes
    /// (straight-through).
    public func multiplyByDerivative(_ gradient: inout Matrix, preActivation: Matrix, activity: Matrix) {
        guard let noise else {
            activation.multiplyByDerivative(&gradient, preActivation: preActivation, activity: activity, positiveUnits: positiveUnits)
            return
        }
        let count = gradient.rows * gradient.columns, dropout = noise.kind == .dropout, activation = activation
        gradient.storage.withUnsafeMutableBufferPointer { g in
            preActivation.storage.withUnsafeBufferPointer { a in
                activity.storage.withUnsafeBufferPointer { h in
                    for k in 0..<count {
                        var derivative = activation.derivative(preActivation: a[k])
                        if dropout {
                            let rate = activation.value(a[k])
                            if rate != 0 { derivative *= h[k] / rate }
                        }
                        g[k] *= derivative
                    }
                }
            }
        }
    }
}

/// A feed-forward network of dense layers. The forward pass is shared by every learning rule.
public struct Network: Sendable, Equatable {
    /// The widths and transfer functions.
    public let architecture: Architecture
    /// The weight layers, input side first.
    public var layers: [DenseLayer]

    /// A network with weights drawn by `initializer` and zero biases.
    public init(architecture: Architecture, initializer: Initializer, random: inout RandomSource) {
        self.architecture = architecture
        var layers: [DenseLayer] = []
        for ℓ in 0..<architecture.depth {
            let activation = architecture.activation(ofLayer: ℓ)
            let positiveUnits = architecture.positiveUnits(ofLayer: ℓ)
            let w = initializer.weights(outputs: architecture.sizes[ℓ + 1], inputs: architecture.sizes[ℓ],
                                        activation: activation, positiveUnits: positiveUnits, random: &random)
            layers.append(DenseLayer(weights: w, biases: Matrix(rows: 1, columns: w.rows), activation: activation,
                                     positiveUnits: positiveUnits))
        }
        self.layers = layers
    }

    /// A network with the given layers (their shapes must chain).
    public init(architecture: Architecture, layers: [DenseLayer]) {
        precondition(layers.count == architecture.depth)
        self.architecture = architecture
        self.layers = layers
    }

    /// `L`, the number of weight layers.
    public var depth: Int { layers.count }

    /// The forward pass on `workspace.input` (rows in use), filling every `aⁱ` and `hⁱ`.
    ///
    /// Concretely, for each layer: `A ← 1·bᵀ` then `A ← H_below · Wᵀ + A` (one GEMM), `H ← f(A)`.
    public func forward(_ workspace: inout Workspace, backend: LinearAlgebraBackend) {
        workspace.hasNoisyActivities = false
        for ℓ in 0..<depth {
            forward(layer: ℓ, from: ℓ == 0 ? workspace.input : workspace.activities[ℓ - 1],
                    preActivation: &workspace.preActivations[ℓ], activity: &workspace.activities[ℓ], backend: backend)
        }
    }

    /// The forward pass of training: as ``forward(_:backend:)``, with every noisy hidden layer's
    /// activity replaced by its noisy realisation (spikes or dropout) before the next layer reads it.
    public func forward(_ workspace: inout Workspace, random: inout RandomSource, backend: LinearAlgebraBackend) {
        workspace.hasNoisyActivities = layers.contains { $0.noise != nil }
        for ℓ in 0..<depth {
            forward(layer: ℓ, from: ℓ == 0 ? workspace.input : workspace.activities[ℓ - 1],
                    preActivation: &workspace.preActivations[ℓ], activity: &workspace.activities[ℓ], backend: backend)
            if let noise = layers[ℓ].noise { noise.apply(to: &workspace.activities[ℓ], random: &random) }
        }
    }

    /// The network with `noise` on every hidden layer (`nil`: none).
    public func withHiddenNoise(_ noise: ActivityNoise?) -> Network {
        var network = self
        for ℓ in 0..<(depth - 1) { network.layers[ℓ].noise = noise }
        return network
    }

    /// Layer ℓ alone: `a ← 1·bᵀ + below · Wᵀ`, `h ← f(a)` (`below` is `(batch, inputs)`). Node
    /// perturbation's noisy pass runs the same step into its own buffers, adding noise in between.
    public func forward(layer ℓ: Int, from below: Matrix, preActivation: inout Matrix, activity: inout Matrix,
                        backend: LinearAlgebraBackend) {
        let layer = layers[ℓ]
        preActivation.fillRows(with: layer.biases)
        backend.gemm(below, .none, layer.weights, .transposed, into: &preActivation, beta: 1)
        layer.activate(preActivation, into: &activity)
    }

    /// Scales every unit's incoming weight vector (a row of `Wⁱ`) back onto the ℓ2 ball of
    /// `radius` when it lies outside.
    public mutating func projectUnitWeights(into radius: Float) {
        for ℓ in layers.indices {
            let (columns, units) = (layers[ℓ].inputs, layers[ℓ].outputs)
            layers[ℓ].weights.storage.withUnsafeMutableBufferPointer { w in
                for unit in 0..<units {
                    let row = w.baseAddress! + unit * columns
                    var squares: Float = 0
                    for i in 0..<columns { squares += row[i] * row[i] }
                    if squares > radius * radius {
                        let scale = radius / squares.squareRoot()
                        for i in 0..<columns { row[i] *= scale }
                    }
                }
            }
        }
    }

    /// Writes the output error `e = ∂L/∂aᴸ` into the top credit, after a forward pass, and returns
    /// the summed loss of the batch.
    @discardableResult
    public func writeOutputError(loss: Loss, into workspace: inout Workspace) -> Double {
        let top = depth - 1
        let value = loss.gradient(output: workspace.activities[top], target: workspace.target, into: &workspace.credits[top])
        layers[top].multiplyByDerivative(&workspace.credits[top], preActivation: workspace.preActivations[top],
                                                    activity: workspace.activities[top])
        return value
    }
}

/// Every buffer one training step needs, allocated once for a batch size and reused.
///
/// Layer arrays are indexed by ℓ = i − 1 for weight layer i = 1 … L: `preActivations[ℓ]` is `aⁱ`,
/// `activities[ℓ]` is `hⁱ`, `credits[ℓ]` is `δaⁱ`. Every matrix has the batch as its rows.
public struct Workspace: Sendable {
    /// The largest batch the buffers hold.
    public let capacity: Int
    /// The rows in use.
    public private(set) var batchSize: Int
    /// `h⁰ = x`, `(batch, n₀)`.
    public var input: Matrix
    /// The target `y`, `(batch, n_L)` (or the architecture's target width).
    public var target: Matrix
    /// `aⁱ` per layer, `(batch, nᵢ)`.
    public var preActivations: [Matrix]
    /// `hⁱ` per layer, `(batch, nᵢ)`.
    public var activities: [Matrix]
    /// The credit signals `δaⁱ` a rule writes; `credits[L−1]` holds the output error `e`.
    public var credits: [Matrix]
    /// `ΔWⁱ` and `Δbⁱ` before the learning rate: `δaⁱ (hⁱ⁻¹)ᵀ / batch` and `mean(δaⁱ)`.
    public var weightGradients: [Matrix]
    /// `Δbⁱ` before the learning rate, `(1, nᵢ)`.
    public var biasGradients: [Matrix]
    /// Which training examples the rows hold (their indices in the training set), when the batch
    /// is drawn from it; −1 otherwise. A rule that keeps per-example state (equilibrium
    /// propagation's persistent particles) reads it.
    public var examples: [Int]
    /// Whether the last forward pass replaced activities by their noisy realisations (training);
    /// false after a noiseless pass (evaluation, the gradient probe), where a rule must not infer
    /// a dropout mask from them.
    public var hasNoisyActivities = false

    /// Every buffer of a step for batches of up to `batchSize` examples.
    public init(architecture: Architecture, batchSize: Int) {
        precondition(batchSize > 0)
        capacity = batchSize
        self.batchSize = batchSize
        let sizes = architecture.sizes
        input = Matrix(rows: batchSize, columns: sizes[0])
        target = Matrix(rows: batchSize, columns: architecture.targetSize)
        preActivations = sizes.dropFirst().map { Matrix(rows: batchSize, columns: $0) }
        activities = preActivations
        credits = preActivations
        examples = Array(repeating: -1, count: batchSize)
        weightGradients = zip(sizes, sizes.dropFirst()).map { Matrix(rows: $0.1, columns: $0.0) }
        biasGradients = sizes.dropFirst().map { Matrix(rows: 1, columns: $0) }
    }

    /// The activity feeding layer ℓ: `hⁱ⁻¹` (the input for ℓ = 0).
    public func activity(below layer: Int) -> Matrix {
        layer == 0 ? input : activities[layer - 1]
    }

    /// `hᴸ`, the network's output.
    public var output: Matrix { activities[activities.count - 1] }

    /// Uses the first `rows` rows (≤ capacity) of every batch buffer, e.g. for an epoch's last,
    /// smaller batch. No allocation.
    public mutating func setBatchSize(_ rows: Int) {
        precondition(rows > 0 && rows <= capacity, "batch size \(rows) exceeds workspace capacity \(capacity)")
        guard rows != batchSize else { return }
        batchSize = rows
        input.resizeRows(rows)
        target.resizeRows(rows)
        for ℓ in preActivations.indices {
            preActivations[ℓ].resizeRows(rows)
            activities[ℓ].resizeRows(rows)
            credits[ℓ].resizeRows(rows)
        }
    }
}
