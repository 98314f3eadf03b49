/// Sign-symmetric feedback (Liao, Leibo & Poggio 2016; Xiao et al. 2018), used layer-wise as in
/// FA: `δaⁱ = (Bⁱ⁺¹ δaⁱ⁺¹) ⊙ fᵢ'(aⁱ)` with `Bⁱ⁺¹` carrying the signs of the *current* `(Wⁱ⁺¹)ᵀ`.
///
/// - `uniform` (uSF): `B = sign(W)ᵀ`, every magnitude equal.
/// - `batchRandom` (brSF): magnitudes `|r|`, `r ~ Unif(0, 1)`, redrawn every batch.
/// - `fixedRandom` (frSF): magnitudes drawn once, signs following `W` as it learns.
///
/// Every `B` is scaled by one positive number per layer so that its RMS equals that of `W` (with
/// unit magnitudes `sign(W)` is ~1/|w| ≈ 20× larger than `W`, and the papers compensate with batch
/// normalization, which CreditKit's plain networks lack). δa is linear in `e` through the `B`s, so
/// a positive per-layer factor changes only the effective step size, never a direction: angles
/// and sign congruence are those of the unscaled rule.
public struct SignSymmetry: LearningRule {
    /// How the magnitudes of `B` are chosen; its signs are always those of `Wᵀ`.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        case uniform = "usf", batchRandom = "brsf", fixedRandom = "frsf"
    }

    /// The variant.
    public let mode: Mode
    /// Fixed magnitudes (frSF), shaped like `Wⁱ⁺¹`.
    var magnitudes: [Matrix]
    /// The feedback of the current batch, `Bᵀ`, shaped like `Wⁱ⁺¹`.
    private var feedback: [Matrix]

    /// The rule for `network`; `random` draws any magnitudes it keeps.
    public init(mode: Mode, network: Network, random: inout RandomSource) {
        self.mode = mode
        let shapes = network.layers.dropFirst().map { $0.weights.shape }
        magnitudes = mode == .fixedRandom
            ? shapes.map { shape in Matrix(rows: shape.rows, columns: shape.columns) { _, _ in random.nextUnitFloat() } }
            : []
        feedback = shapes.map { Matrix(rows: $0.rows, columns: $0.columns) }
    }

    public var name: String { mode.rawValue }

    /// frSF's fixed magnitudes, `magnitude2…` for `Bⁱ` (shaped like `Wⁱ`).
    public var state: [NamedTensor] {
        get { LayerwiseFeedback.named(magnitudes, "magnitude") }
        set { LayerwiseFeedback.restore(&magnitudes, "magnitude", from: newValue) }
    }

    public var feedbackPairs: [FeedbackPair] { LayerwiseFeedback.pairs(feedback) }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        for ℓ in feedback.indices.reversed() { refreshFeedback(ℓ, weights: network.layers[ℓ + 1].weights, random: &random) }
        LayerwiseFeedback.assignCredit(through: feedback, network: network, workspace: &workspace, backend: backend)
    }

    private mutating func refreshFeedback(_ ℓ: Int, weights: Matrix, random: inout RandomSource) {
        let count = weights.count
        var sumOfSquares = 0.0, magnitudeSquares = 0.0
        let mode = mode
        weights.storage.withUnsafeBufferPointer { w in
            for i in 0..<count { sumOfSquares += Double(w[i] * w[i]) }
        }
        feedback[ℓ].storage.withUnsafeMutableBufferPointer { b in
            weights.storage.withUnsafeBufferPointer { w in
                switch mode {
                case .uniform:
                    for i in 0..<count { b[i] = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0) }
                    magnitudeSquares = Double(count)
                case .batchRandom:
                    for i in 0..<count {
                        let m = random.nextUnitFloat()
                        b[i] = w[i] > 0 ? m : (w[i] < 0 ? -m : 0)
                        magnitudeSquares += Double(m * m)
                    }
                case .fixedRandom:
                    magnitudes[ℓ].storage.withUnsafeBufferPointer { r in
                        for i in 0..<count {
                            b[i] = w[i] > 0 ? r[i] : (w[i] < 0 ? -r[i] : 0)
                            magnitudeSquares += Double(r[i] * r[i])
                        }
                    }
                }
                let scale = Float((sumOfSquares / max(magnitudeSquares, .leastNormalMagnitude)).squareRoot())
                for i in 0..<count { b[i] *= scale }
            }
        }
    }
}

/// Sign symmetry's settings (`--rule usf|brsf|frsf`): the mode.
public struct SignSymmetrySettings: RuleSettings {
    /// The variant.
    public var mode: SignSymmetry.Mode

    /// The settings of `mode`.
    public init(_ mode: SignSymmetry.Mode) { self.mode = mode }

    public init?(argument: String) {
        guard let mode = SignSymmetry.Mode(rawValue: argument.lowercased()) else { return nil }
        self.mode = mode
    }

    public static let identifier = "sign-symmetry"
    public static let argumentHelp = "usf, brsf, frsf"
    public var description: String { mode.rawValue }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        SignSymmetry(mode: mode, network: network, random: &random)
    }
}

extension RuleSpec {
    /// Sign-symmetric feedback in `mode`.
    public static func signSymmetry(_ mode: SignSymmetry.Mode) -> RuleSpec { RuleSpec(SignSymmetrySettings(mode)) }
}
