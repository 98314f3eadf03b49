/// How a rule's fixed feedback matrices are drawn (`--feedback`).
///
/// A feedback matrix `B` carries a signal from a source (the output error, or the credit of a
/// neighbouring layer) of width `n_src` to a layer of width `n`: `u = B s`, `B` is `n × n_src`.
/// CreditKit stores `Bᵀ` (`n_src × n`), so that in the row-major batch layout the transport is
/// one product `U = S · Bᵀ`, exactly the product backprop does with `Wⁱ⁺¹` — which is also why an
/// FA matrix has the shape of the forward weight it stands in for.
///
/// The families of Experiment 4 of Flam-Shepherd (general feedback alignment) are `B₁ … B₇`:
/// the noise is N(0, 0.01²) (read as numpy's `normal(0, 0.01)`, whose second argument is the
/// standard deviation) and the sparse families keep each entry with probability `sparseDensity`
/// (the paper says only "randomly done using numpy"; the density is our choice, **[reconstructed]**).
public enum FeedbackFamily: Sendable, Equatable, Hashable, CodableAsArgument {
    /// `Unif(−a, a)`; the paper's default is `a = ½`.
    case uniform(Float)
    /// `N(0, σ²)` with `σ = scale / √n_src`, so the transported signal keeps its size.
    case gaussian(Float)
    /// Xavier/Glorot's `Unif(±√(6/(n_src + n)))`: the distribution the forward weight it replaces
    /// was drawn from, so the credits start at backprop's size.
    case xavier
    /// B₁: ones + N(0, 0.01²).
    case onesNoise
    /// B₂: the non-square identity (`B[i][k] = 1` where `i == k`).
    case identity
    /// B₃: the non-square identity + N(0, 0.01²).
    case identityNoise
    /// B₄: sparse ones.
    case sparseOnes
    /// B₅: ones + Unif[−0.01, 0.01].
    case onesUniform
    /// B₆: sparse ones + N(0, 0.01²).
    case sparseOnesNoise
    /// B₇: N(0, 0.01²) alone.
    case noise

    /// The share of non-zero entries in `sparse` feedback.
    public static let sparseDensity: Float = 0.1
    static let noiseDeviation: Float = 0.01

    /// The seven families of the paper's Experiment 4, in its order B₁ … B₇.
    public static let experiment4: [FeedbackFamily] = [.onesNoise, .identity, .identityNoise, .sparseOnes, .onesUniform,
                                                       .sparseOnesNoise, .noise]

    static let namedCases: [(String, FeedbackFamily)] = [
        ("xavier", .xavier), ("ones-noise", .onesNoise), ("identity", .identity), ("identity-noise", .identityNoise),
        ("sparse-ones", .sparseOnes), ("ones-uniform", .onesUniform), ("sparse-ones-noise", .sparseOnesNoise), ("noise", .noise),
    ]

    /// Parses `uniform`, `uniform:A`, `gaussian`, `gaussian:S`, a family name, or `b1` … `b7`.
    public init?(argument: String) {
        let text = argument.lowercased()
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let value = parts.count == 2 ? Float(parts[1]) : nil
        if parts.count == 2, !(value.map { $0 > 0 && $0.isFinite } ?? false) { return nil }
        switch parts.first {
        case "uniform": self = .uniform(value ?? 0.5)
        case "gaussian": self = .gaussian(value ?? 1)
        default:
            guard parts.count == 1 else { return nil }
            if text.count == 2, text.first == "b", let k = Int(text.dropFirst()), (1...7).contains(k) {
                self = Self.experiment4[k - 1]
            } else if let named = Self.namedCases.first(where: { $0.0 == text }) {
                self = named.1
            } else {
                return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .uniform(let a): "uniform:\(a)"
        case .gaussian(let s): "gaussian:\(s)"
        default: Self.namedCases.first { $0.1 == self }!.0
        }
    }

    /// Every family as `--feedback` takes it, for help and errors.
    public static var helpText: String {
        "uniform[:A] (Unif(-A,A), default A=0.5), gaussian[:S] (N(0,(S/sqrt(n_src))^2)), xavier (as the forward weights), "
            + "or the Experiment-4 families " + experiment4.enumerated().map { "b\($0.offset + 1)=\($0.element)" }.joined(separator: ", ")
    }

    /// `Bᵀ` for a feedback path from `sources` units to `targets` units, stored `(sources, targets)`.
    public func transposedMatrix(sources: Int, targets: Int, random: inout RandomSource) -> Matrix {
        var m = Matrix(rows: sources, columns: targets)
        let σ = Self.noiseDeviation
        let xavierLimit = (6 / Float(sources + targets)).squareRoot()
        for k in 0..<sources {
            for i in 0..<targets {
                // Entry B[i][k]: target unit i, source unit k.
                let diagonal: Float = i == k ? 1 : 0
                let value: Float = switch self {
                case .uniform(let a): random.uniform(-a, a)
                case .gaussian(let s): random.normal() * s / Float(sources).squareRoot()
                case .xavier: random.uniform(-xavierLimit, xavierLimit)
                case .onesNoise: 1 + σ * random.normal()
                case .identity: diagonal
                case .identityNoise: diagonal + σ * random.normal()
                case .sparseOnes: random.nextUnitFloat() < Self.sparseDensity ? 1 : 0
                case .onesUniform: 1 + random.uniform(-0.01, 0.01)
                case .sparseOnesNoise: (random.nextUnitFloat() < Self.sparseDensity ? 1 : 0) + σ * random.normal()
                case .noise: σ * random.normal()
                }
                m[k, i] = value
            }
        }
        return m
    }
}
