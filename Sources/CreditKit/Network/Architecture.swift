/// The shape of a fully connected network: layer widths and transfer functions.
///
/// `sizes = [n₀, n₁, …, n_L]`: `n₀` inputs, hidden layers `n₁ … n_{L−1}`, `n_L` outputs.
public struct Architecture: Sendable, Codable, Equatable, CustomStringConvertible {
    public var sizes: [Int]
    public var hiddenActivation: Activation
    public var outputActivation: Activation

    public init(sizes: [Int], hiddenActivation: Activation, outputActivation: Activation = .identity) {
        self.sizes = sizes
        self.hiddenActivation = hiddenActivation
        self.outputActivation = outputActivation
    }

    /// The number of weight layers L.
    public var depth: Int { sizes.count - 1 }
    public var inputSize: Int { sizes.first ?? 0 }
    public var outputSize: Int { sizes.last ?? 0 }

    /// The transfer function of weight layer ℓ (0-based: ℓ = i − 1).
    public func activation(ofLayer layer: Int) -> Activation {
        layer == depth - 1 ? outputActivation : hiddenActivation
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
            + " \(hiddenActivation.rawValue) → \(outputActivation.rawValue)"
    }
}
