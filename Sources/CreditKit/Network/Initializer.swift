/// How a layer's weights are drawn at the start of training. Biases start at zero.
///
/// - `xavier`: `U(−√(6/(n_in+n_out)), +√(6/(n_in+n_out)))` (Glorot & Bengio 2010).
/// - `uniform(a)`: `U(−a, a)`.
/// - `signed(a)`: Kickback's signed initialization: `|U(−a, a)|`, with the sign of the node kind
///   the weight feeds — positive into a positive (or ordinary) unit, negative into a negative
///   rectifier — so that every influence τⱼ starts positive (Balduzzi et al. 2015, §4).
public enum Initializer: Sendable, Equatable, Codable, CustomStringConvertible {
    case xavier
    case uniform(Float)
    case signed(Float)

    /// Parses `xavier`, `uniform:A` or `signed:A` (A > 0).
    public init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first?.lowercased(), parts.count) {
        case ("xavier", 1), ("glorot", 1): self = .xavier
        case ("uniform", 2):
            guard let a = Float(parts[1]), a > 0, a.isFinite else { return nil }
            self = .uniform(a)
        case ("signed", 2):
            guard let a = Float(parts[1]), a > 0, a.isFinite else { return nil }
            self = .signed(a)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .xavier: "xavier"
        case .uniform(let a): "uniform:\(a)"
        case .signed(let a): "signed:\(a)"
        }
    }

    /// Draws the weights `(outputs, inputs)` of a layer whose units have `activation` (for a mixed
    /// rectifier layer, the first `positiveUnits` units are positive).
    public func weights(outputs: Int, inputs: Int, activation: Activation, positiveUnits: Int = .max,
                        random: inout RandomSource) -> Matrix {
        var w = Matrix(rows: outputs, columns: inputs)
        switch self {
        case .xavier:
            let limit = (6 / Float(inputs + outputs)).squareRoot()
            for i in 0..<w.count { w.storage[i] = random.uniform(-limit, limit) }
        case .uniform(let a):
            for i in 0..<w.count { w.storage[i] = random.uniform(-a, a) }
        case .signed(let a):
            for unit in 0..<outputs {
                let negative = activation == .negativeRectifier || (activation == .mixedRectifier && unit >= positiveUnits)
                let sign: Float = negative ? -1 : 1
                for i in 0..<inputs { w[unit, i] = sign * abs(random.uniform(-a, a)) }
            }
        }
        return w
    }
}
