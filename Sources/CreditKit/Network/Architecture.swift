/// The shape of a fully connected network: layer widths and transfer functions.
///
/// `sizes = [n₀, n₁, …, n_L]`: `n₀` inputs, hidden layers `n₁ … n_{L−1}`, `n_L` outputs.
public struct Architecture: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Layer widths, input first: `[n₀, n₁, …, n_L]`.
    public var sizes: [Int]
    /// The hidden units' transfer function (unless `hiddenActivations` gives one per layer).
    public var hiddenActivation: Activation
    /// The output units' transfer function.
    public var outputActivation: Activation
    /// The share of positive units in mixed rectifier layers (Kickback: ½).
    public var positiveFraction: Float
    /// The width of the target rows when it differs from the output's (rectilinear regression:
    /// two output nodes, one target).
    public var targetWidth: Int?
    /// One transfer function per hidden layer when they differ (the learned-feedback paper's
    /// autoencoder: tanh, identity, tanh); `nil`: every hidden layer uses `hiddenActivation`.
    public var hiddenActivations: [Activation]?

    /// An architecture of `sizes` (input first).
    public init(sizes: [Int], hiddenActivation: Activation, outputActivation: Activation = .identity,
                positiveFraction: Float = 0.5, targetWidth: Int? = nil, hiddenActivations: [Activation]? = nil) {
        precondition(hiddenActivations.map { $0.count == sizes.count - 2 } ?? true, "one activation per hidden layer")
        self.hiddenActivations = hiddenActivations
        self.sizes = sizes
        self.hiddenActivation = hiddenActivation
        self.outputActivation = outputActivation
        self.positiveFraction = positiveFraction
        self.targetWidth = targetWidth
    }

    /// The width of a target row.
    public var targetSize: Int { targetWidth ?? outputSize }

    /// How many of layer ℓ's units are positive, for a mixed rectifier layer (at least one of
    /// each kind when the layer has two units or more).
    public func positiveUnits(ofLayer layer: Int) -> Int {
        guard activation(ofLayer: layer) == .mixedRectifier else { return .max }
        let width = sizes[layer + 1]
        guard width > 1 else { return width }
        return min(width - 1, max(1, Int((Float(width) * positiveFraction).rounded())))
    }

    /// The number of weight layers L.
    public var depth: Int { sizes.count - 1 }
    /// `n₀`.
    public var inputSize: Int { sizes.first ?? 0 }
    /// `n_L`.
    public var outputSize: Int { sizes.last ?? 0 }

    /// The transfer function of weight layer ℓ (0-based: ℓ = i − 1).
    public func activation(ofLayer layer: Int) -> Activation {
        layer == depth - 1 ? outputActivation : hiddenActivations?[layer] ?? hiddenActivation
    }

    /// Multiply–adds of one forward pass per example (Σ nᵢ₋₁ nᵢ).
    public var multiplyAddsPerExample: Int {
        zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Parameters (weights and biases).
    public var parameterCount: Int {
        zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    public var description: String {
        sizes.map(String.init).joined(separator: "-")
            + " \(hiddenActivations.map { $0.map(\.rawValue).joined(separator: ",") } ?? hiddenActivation.rawValue) → \(outputActivation.rawValue)"
    }
}
