/// Predictive coding (Whittington & Bogacz 2017): every layer holds value nodes `xⁱ` and predicts
/// the next from them, `μⁱ⁺¹ = Wⁱ⁺¹ f(xⁱ) + bⁱ⁺¹`; the prediction errors `εⁱ = xⁱ − μⁱ` settle by
/// T inference steps of size γ on the energy `½Σ‖εⁱ‖²`,
///
///     xⁱ ← xⁱ + γ (−εⁱ + f'(xⁱ) ⊙ (Wⁱ⁺¹)ᵀ εⁱ⁺¹),
///
/// with the input clamped and the output held at the target (its error `−∂L/∂aᴸ` at the current
/// prediction: `y − μᴸ` for a linear output and the squared error). Every weight then learns
/// `ΔWⁱ = lr εⁱ f(xⁱ⁻¹)ᵀ`: the credit is `δaⁱ = −εⁱ`, with `xⁱ` in the place of `aⁱ`.
///
/// With **fixed** predictions (Millidge et al. 2020) the `μⁱ` and the `f'` stay at their
/// feed-forward values, and the errors converge to backprop's `−δaⁱ` exactly (geometrically in
/// T); with **recomputed** predictions the network is the standard one, whose errors only
/// approximate backprop's. The value nodes start at the feed-forward pass, `xⁱ = aⁱ`; at test time
/// the feed-forward pass answers (without a target it is the energy's minimum).
public struct PredictiveCoding: LearningRule {
    /// The settings it was made from.
    public let settings: PredictiveCodingSettings
    private let loss: Loss
    /// Per layer: the value nodes, their errors, `f(x)`, and a product's scratch.
    private var value = LayerScratch(), error = LayerScratch(), valueActivity = LayerScratch(), scratch = LayerScratch()

    /// The rule these settings describe, for a network trained on `loss`.
    public init(settings: PredictiveCodingSettings, loss: Loss) {
        self.settings = settings
        self.loss = loss
    }

    public var name: String { settings.description }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        for keyPath in [\Self.value, \.error, \.valueActivity, \.scratch] { self[keyPath: keyPath].fit(workspace) }
        let top = network.depth - 1, γ = settings.inferenceRate
        // εᴸ = −e throughout (fixed), or at the current prediction (recomputed); hidden errors start at 0.
        for i in 0..<top {
            value[i].copyElements(from: workspace.preActivations[i])
            valueActivity[i].copyElements(from: workspace.activities[i])
            error[i].fill(0)
        }
        error[top].copyElements(from: workspace.credits[top], scaledBy: -1)
        for _ in 0..<settings.inferenceSteps {
            if settings.predictions == .recomputed { recomputeErrors(network: network, workspace: workspace, backend: backend) }
            for i in 0..<top {
                // scratch = (Wⁱ⁺¹)ᵀ εⁱ⁺¹ ⊙ f'(x) (fixed: f' at the feed-forward pre-activation).
                backend.gemm(error[i + 1], .none, network.layers[i + 1].weights, .none, into: &scratch[i])
                if settings.predictions == .fixed {
                    network.layers[i].multiplyByDerivative(&scratch[i], preActivation: workspace.preActivations[i],
                                                           activity: workspace.activities[i])
                } else {
                    network.layers[i].multiplyByDerivative(&scratch[i], preActivation: value[i], activity: valueActivity[i])
                }
            }
            for i in 0..<top {
                // x ← x + γ(−ε + scratch); with fixed predictions ε moves with x.
                Self.relax(&value[i], error: &error[i], push: scratch[i], rate: γ, errorFollows: settings.predictions == .fixed)
                if settings.predictions == .recomputed { network.layers[i].activate(value[i], into: &valueActivity[i]) }
            }
        }
        if settings.predictions == .recomputed { recomputeErrors(network: network, workspace: workspace, backend: backend) }
        for i in 0...top { workspace.credits[i].copyElements(from: error[i], scaledBy: -1) }
    }

    /// `εⁱ = xⁱ − (Wⁱ f(xⁱ⁻¹) + bⁱ)` for the hidden layers, and the output's error at its prediction.
    private mutating func recomputeErrors(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) {
        let top = network.depth - 1
        for i in 0...top {
            // scratch = μⁱ; the first layer's is the forward pass's pre-activation (its input is clamped).
            if i == 0 {
                scratch[0].copyElements(from: workspace.preActivations[0])
            } else {
                scratch[i].fillRows(with: network.layers[i].biases)
                backend.gemm(valueActivity[i - 1], .none, network.layers[i].weights, .transposed, into: &scratch[i], beta: 1)
            }
            if i < top {
                error[i].setDifference(value[i], scratch[i])
            } else {
                // εᴸ = −∂L/∂aᴸ at aᴸ = μᴸ: the output held at the target.
                network.layers[top].activate(scratch[top], into: &valueActivity[top])
                loss.gradient(output: valueActivity[top], target: workspace.target, into: &error[top])
                network.layers[top].multiplyByDerivative(&error[top], preActivation: scratch[top], activity: valueActivity[top])
                error[top].scale(by: -1)
            }
        }
    }

    public func forEachHebbianTerm(layer ℓ: Int, credit: Matrix, presynaptic: Matrix,
                                   _ body: (_ post: Matrix, _ pre: Matrix, _ sign: Float) -> Void) {
        // Recomputed: the presynaptic activity is the settled f(xⁱ⁻¹), not the feed-forward one.
        body(credit, settings.predictions == .recomputed && ℓ > 0 ? valueActivity[ℓ - 1] : presynaptic, 1)
    }

    /// `x ← x + γ(−ε + push)`, and `ε` by the same change when it follows `x`.
    private static func relax(_ value: inout Matrix, error: inout Matrix, push: Matrix, rate γ: Float, errorFollows: Bool) {
        let count = push.rows * push.columns
        value.storage.withUnsafeMutableBufferPointer { x in
            error.storage.withUnsafeMutableBufferPointer { e in
                push.storage.withUnsafeBufferPointer { p in
                    for k in 0..<count {
                        let change = γ * (p[k] - e[k])
                        x[k] += change
                        if errorFollows { e[k] += change }
                    }
                }
            }
        }
    }
}

/// Predictive coding's settings (`--rule pc`): fixed or recomputed predictions, and the inference.
public struct PredictiveCodingSettings: RuleSettings {
    /// Whether the predictions stay at their feed-forward values during inference.
    public enum Predictions: String, Sendable, Codable, CaseIterable {
        /// Millidge et al.'s assumption: the errors converge to backprop's exactly.
        case fixed
        /// The standard network: predictions follow the value nodes.
        case recomputed
    }

    /// Fixed or recomputed.
    public var predictions: Predictions
    /// T, the inference steps per batch.
    public var inferenceSteps: Int
    /// γ, the inference step's size.
    public var inferenceRate: Float

    /// Fixed predictions, 50 steps of 0.2 (the errors are backprop's to about 10⁻⁵ on 784-500-10).
    public init(predictions: Predictions = .fixed, inferenceSteps: Int = 50, inferenceRate: Float = 0.2) {
        self.predictions = predictions
        self.inferenceSteps = inferenceSteps
        self.inferenceRate = inferenceRate
    }

    public init?(argument: String) {
        guard argument.lowercased() == "pc" else { return nil }
        self.init()
    }

    public static let identifier = "predictive-coding"
    public static let argumentHelp = "pc"
    public var description: String { predictions == .fixed ? "pc" : "pc-recomputed" }

    public static var options: [RuleOption<Self>] {
        [
            .value("predictions", \.predictions, valueName: "fixed|recomputed",
                   help: "PC: predictions held at their feed-forward values (errors converge to backprop's) or recomputed from the "
                       + "value nodes (default fixed).", expected: "fixed or recomputed", parse: Predictions.init(rawValue:)),
            .value("inference-steps", \.inferenceSteps, field: "inferenceSteps", valueName: "T",
                   help: "PC: inference steps per batch (default 50).", expected: "a positive number of steps", parse: Int.init),
            .value("inference-rate", \.inferenceRate, field: "inferenceRate", valueName: "gamma",
                   help: "PC: the inference step's size γ (default 0.2).", expected: "a step γ in (0, 1]", parse: Float.init),
        ]
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard inferenceSteps > 0 else {
            throw .invalid(field: "rule.inferenceSteps", value: "\(inferenceSteps)", expected: "a positive number of steps")
        }
        guard inferenceRate > 0, inferenceRate <= 1 else {
            throw .invalid(field: "rule.inferenceRate", value: "\(inferenceRate)", expected: "a step γ in (0, 1]")
        }
        guard !context.hiddenActivations.contains(.mixedRectifier) else {
            throw .invalid(field: "hiddenActivations", value: "mixed-rectifier", expected: "units whose derivative needs no unit index")
        }
        guard context.loss != .rectilinear else {
            throw .invalid(field: "loss", value: "rectilinear", expected: "cross-entropy or squared-error: the output's error is its clamp")
        }
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        PredictiveCoding(settings: self, loss: loss)
    }
}

extension RuleSpec {
    /// Predictive coding with fixed predictions.
    public static let predictiveCoding = RuleSpec(PredictiveCodingSettings())
}
