/// The NGRAD rule of "Backpropagation and the brain" (Lillicrap et al. 2020, appendix,
/// Supplementary Figure 1): errors carried as differences of activity.
///
/// After the forward pass the output is nudged towards the target, `Δhᴸ = −η e`; the nudge travels
/// down through the top-down connections (here the forward weights' transposes, the caption's
/// symmetric weights), and each layer's change of activity is the difference around its forward
/// pre-activation,
///
///     Δhⁱ = fᵢ(aⁱ + (Wⁱ⁺¹)ᵀ Δhⁱ⁺¹) − fᵢ(aⁱ),
///
/// never `fᵢ((Wⁱ⁺¹)ᵀ ĥⁱ⁺¹)` (`Wᵀ` is no inverse). Every synapse then learns presynaptic activity ×
/// change of postsynaptic activity: the credit is `δaⁱ = −Δhⁱ/η`, and the shared local update
/// applies it. To first order `Δhⁱ = −η δaⁱ_BP`, so the credit equals backprop's with an error of
/// O(η); the symmetric nudge (`±η`, a central difference) makes it O(η²).
public struct ActivityDifference: LearningRule {
    /// `η`, the size of the output nudge.
    public let nudge: Float
    /// Nudge by `+η` and `−η` and take the central difference.
    public let symmetric: Bool
    /// Per layer: the nudged pre-activation `aⁱ + (Wⁱ⁺¹)ᵀ Δhⁱ⁺¹`, then its activity.
    private var shifted: [Matrix] = []
    private var nudgedActivity: [Matrix] = []
    /// Per layer `Δhⁱ` of the nudge in progress (the top one `Δhᴸ`).
    private var change: [Matrix] = []

    /// The rule with output nudge `nudge` (one-sided, or symmetric).
    public init(nudge: Float, symmetric: Bool) {
        self.nudge = nudge
        self.symmetric = symmetric
    }

    public var name: String { "ngrad" }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        prepareBuffers(for: workspace)
        let top = network.depth - 1
        if symmetric {
            // δaⁱ = −(Δhⁱ₊ − Δhⁱ₋)/(2η): the +η pass writes −Δhⁱ₊/(2η), the −η pass adds Δhⁱ₋/(2η).
            propagate(nudge: nudge, network: network, workspace: workspace, backend: backend)
            for ℓ in 0..<top { Self.set(&workspace.credits[ℓ], to: change[ℓ], scale: -1 / (2 * nudge)) }
            propagate(nudge: -nudge, network: network, workspace: workspace, backend: backend)
            for ℓ in 0..<top { Self.add(&workspace.credits[ℓ], change[ℓ], scale: 1 / (2 * nudge)) }
        } else {
            propagate(nudge: nudge, network: network, workspace: workspace, backend: backend)
            for ℓ in 0..<top { Self.set(&workspace.credits[ℓ], to: change[ℓ], scale: -1 / nudge) }
        }
    }

    /// `Δhᴸ = −η e`, then `Δhⁱ = fᵢ(aⁱ + Δhⁱ⁺¹ Wⁱ⁺¹) − hⁱ` down to the first hidden layer (rows are
    /// examples, so `(Wⁱ⁺¹)ᵀ Δhⁱ⁺¹` is the product `Δhⁱ⁺¹ · Wⁱ⁺¹`).
    private mutating func propagate(nudge η: Float, network: Network, workspace: Workspace, backend: LinearAlgebraBackend) {
        let top = network.depth - 1
        Self.set(&change[top], to: workspace.credits[top], scale: -η)
        for ℓ in stride(from: top - 1, through: 0, by: -1) {
            shifted[ℓ].copyElements(from: workspace.preActivations[ℓ])
            backend.gemm(change[ℓ + 1], .none, network.layers[ℓ + 1].weights, .none, into: &shifted[ℓ], beta: 1)
            network.layers[ℓ].activate(shifted[ℓ], into: &nudgedActivity[ℓ])
            Self.set(&change[ℓ], to: nudgedActivity[ℓ], scale: 1)
            Self.add(&change[ℓ], workspace.activities[ℓ], scale: -1)
        }
    }

    /// Buffers shaped like the workspace's, allocated on the first batch (and again only if the
    /// workspace grows), resized to the rows in use.
    private mutating func prepareBuffers(for workspace: Workspace) {
        if change.count != workspace.activities.count || change.first.map({ $0.storage.count < workspace.activities[0].storage.count }) ?? true {
            change = workspace.activities.map { Matrix(rows: $0.rows, columns: $0.columns) }
            shifted = change
            nudgedActivity = change
        }
        for ℓ in change.indices {
            let rows = workspace.activities[ℓ].rows
            change[ℓ].resizeRows(rows)
            shifted[ℓ].resizeRows(rows)
            nudgedActivity[ℓ].resizeRows(rows)
        }
    }

    /// `destination ← scale · source` over the rows in use.
    private static func set(_ destination: inout Matrix, to source: Matrix, scale: Float) {
        let count = source.rows * source.columns
        destination.storage.withUnsafeMutableBufferPointer { d in
            source.storage.withUnsafeBufferPointer { s in
                for k in 0..<count { d[k] = scale * s[k] }
            }
        }
    }

    /// `destination ← destination + scale · source` over the rows in use.
    private static func add(_ destination: inout Matrix, _ source: Matrix, scale: Float) {
        let count = source.rows * source.columns
        destination.storage.withUnsafeMutableBufferPointer { d in
            source.storage.withUnsafeBufferPointer { s in
                for k in 0..<count { d[k] += scale * s[k] }
            }
        }
    }
}

/// NGRAD's settings (`--rule ngrad`): the nudge and whether it is symmetric.
public struct ActivityDifferenceSettings: RuleSettings {
    /// How the output is nudged: by `−η e` alone, or by `∓η e` with the central difference.
    public enum NudgeMode: String, Sendable, Codable, CaseIterable {
        case oneSided = "one-sided", symmetric
    }

    /// `η`, the size of the output nudge.
    public var nudge: Float
    /// One-sided or symmetric.
    public var nudgeMode: NudgeMode

    /// The defaults: `η = 10⁻³`, one-sided — the credit is backprop's to about 0.1 % (Float's
    /// rounding of a difference of activities costs about 10⁻⁷/η more).
    public init(nudge: Float = 1e-3, nudgeMode: NudgeMode = .oneSided) {
        self.nudge = nudge
        self.nudgeMode = nudgeMode
    }

    public init?(argument: String) {
        guard ["ngrad", "activity-difference"].contains(argument.lowercased()) else { return nil }
        self.init()
    }

    public static let identifier = "ngrad"
    public static let argumentHelp = "ngrad"
    public var description: String { "ngrad" }

    public static var options: [RuleOption<Self>] {
        [
            .value("nudge", \.nudge, valueName: "eta", help: "η: the output is nudged by −η e, and the credit is −Δh/η (default 0.001).",
                   expected: "a positive nudge η", parse: Float.init),
            .value("nudge-mode", \.nudgeMode, field: "nudgeMode", valueName: "one-sided|symmetric",
                   help: "one-sided (error O(η)) or symmetric: ±η and the central difference (error O(η²)); default one-sided.",
                   expected: "one-sided or symmetric", parse: NudgeMode.init(rawValue:)),
        ]
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard nudge > 0, nudge.isFinite else { throw .invalid(field: "rule.nudge", value: "\(nudge)", expected: "a positive, finite nudge η") }
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        ActivityDifference(nudge: nudge, symmetric: nudgeMode == .symmetric)
    }
}

extension RuleSpec {
    /// NGRAD with a one-sided nudge of 10⁻³ through the forward weights' transposes.
    public static let activityDifference = RuleSpec(ActivityDifferenceSettings())
}
