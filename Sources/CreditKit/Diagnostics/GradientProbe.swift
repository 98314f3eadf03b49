/// How a rule's credit relates to backprop's, measured on one fixed probe batch.
///
/// Per hidden layer `i` (1-based in names, 0-based in arrays):
/// - `weightAngles[i]`: angle between the rule's `ΔWⁱ` and backprop's on the same batch;
/// - `creditAngles[i]`: angle between the rule's `δaⁱ` and backprop's, over the whole batch;
/// - `creditSignAgreement[i]`: how often the two credits have one sign; `coherence[i]` for
///   rectifier networks (Kickback);
/// - for every feedback matrix that stands where a `(Wⁱ⁺¹)ᵀ` would: sign congruence (% equal signs
///   of `B` and `Wᵀ`), relative error `‖Wᵀ − B‖_F/‖W‖_F`, norm ratio `‖B‖_F/‖W‖_F` and the
///   B-vs-Wᵀ angle (BioTorch's "alignment"), named distinctly from the update angles.
public struct GradientDiagnostics: Sendable, Codable, Equatable {
    /// One feedback matrix compared with the forward weights it stands for.
    public struct Feedback: Sendable, Codable, Equatable {
        /// The hidden layer (0-based) the feedback reaches.
        public var layer: Int
        /// Where the feedback comes from: `above` (FA's path), `direct` or `below`.
        public var kind: String
        /// Percentage of entries where `B` and `Wᵀ` agree in sign.
        public var signCongruence: Double
        /// `‖Wᵀ − B‖_F / ‖W‖_F`.
        public var relativeError: Double
        /// `‖B‖_F / ‖W‖_F`.
        public var normRatio: Double
        /// The angle between `B` and `Wᵀ`, in degrees.
        public var angle: Double

        /// `feedback` (stored like `weights`, not transposed) compared with `weights`.
        public init(layer: Int, kind: String, feedback: Matrix, weights: Matrix) {
            self.layer = layer
            self.kind = kind
            signCongruence = Alignment.signCongruence(feedback, weights)
            relativeError = Alignment.relativeError(feedback, from: weights)
            normRatio = Alignment.normRatio(feedback, weights)
            angle = Alignment.angle(feedback, weights)
        }

        /// How CSV columns name the matrix: `B3` (FA's path into hidden layer 2), `Bd3` (direct),
        /// or the recurrent network's `B_out` and `B_rec`.
        public var tag: String {
            switch kind {
            case "above": "B\(layer + 2)"
            case "readout": "B_out"
            case "recurrent": "B_rec"
            default: "Bd\(layer + 2)"
            }
        }
    }

    /// What the weight angles' columns call their tensors (`angle_dW` + name): the layer number
    /// from 1 when `nil`; the recurrent network's `_in` and `_rec`.
    public var weightNames: [String]?

    /// Per layer: the angle between the rule's `ΔWⁱ` and backprop's, in degrees.
    public var weightAngles: [Double]
    /// Per hidden layer: the angle between the rule's `δaⁱ` and backprop's, in degrees.
    public var creditAngles: [Double]
    /// % of the units and examples where the rule's `δaⁱ` has backprop's sign, among those where
    /// either is non-zero (Kickback's Theorem 4 is about this sign).
    public var creditSignAgreement: [Double]
    /// Kickback's coherence `Σⱼ τⱼ / Σⱼ |τⱼ|` per hidden layer, for rectifier networks (else empty).
    public var coherence: [Double]
    /// Every feedback matrix that stands where a transposed forward weight would.
    public var feedback: [Feedback]
    /// What a rule measures of itself on the probe batch (learned top-down weights' reconstruction
    /// error per layer), as CSV columns; `nil` when it measures nothing.
    public var ruleColumns: [RuleColumn]?

    /// One quantity a rule measures of itself.
    public struct RuleColumn: Sendable, Codable, Equatable {
        /// Its CSV column name.
        public var name: String
        /// Its value.
        public var value: Double

        /// `value` under `name`.
        public init(_ name: String, _ value: Double) {
            self.name = name
            self.value = value
        }
    }

    /// Column names and values for CSV files, hidden layers numbered from 1.
    public var columns: [(name: String, value: Double)] {
        var result: [(String, Double)] = []
        for (i, angle) in weightAngles.enumerated() { result.append(("angle_dW" + (weightNames?[i] ?? "\(i + 1)"), angle)) }
        for (i, angle) in creditAngles.enumerated() { result.append(("angle_da\(i + 1)", angle)) }
        for (i, agreement) in creditSignAgreement.enumerated() { result.append(("sign_agreement_da\(i + 1)", agreement)) }
        for (i, c) in coherence.enumerated() { result.append(("coherence\(i + 1)", c)) }
        for f in feedback {
            result.append(("sign_congruence_\(f.tag)", f.signCongruence))
            result.append(("relative_error_\(f.tag)", f.relativeError))
            result.append(("norm_ratio_\(f.tag)", f.normRatio))
            result.append(("angle_\(f.tag)_vs_WT", f.angle))
        }
        for column in ruleColumns ?? [] { result.append((column.name, column.value)) }
        return result
    }
}

/// Runs a rule and backprop side by side on a fixed batch and compares them. Owns its
/// workspaces, so measuring allocates only when it runs, never in the training step.
public struct GradientProbe: Sendable {
    /// The training examples of the probe batch.
    public let indices: [Int]
    private var ruleWorkspace: Workspace
    private var referenceWorkspace: Workspace
    private let seed: UInt64

    /// Examples in the probe batch.
    public static let defaultSize = 256

    /// Picks `size` training examples at random (fixed by `seed`).
    public init(dataset: Dataset, architecture: Architecture, size: Int = GradientProbe.defaultSize, seed: UInt64) {
        var random = RandomSource(seed: seed, stream: 0x9E0B)
        var all = Array(0..<dataset.count)
        random.shuffle(&all)
        indices = Array(all.prefix(min(size, dataset.count)))
        ruleWorkspace = Workspace(architecture: architecture, batchSize: indices.count)
        referenceWorkspace = ruleWorkspace
        self.seed = seed
    }

    /// The forward pass and output error of the probe batch, in the reference workspace.
    private mutating func prepare(network: Network, loss: Loss, dataset: Dataset, backend: LinearAlgebraBackend) {
        dataset.fillBatch(indices[...], input: &referenceWorkspace.input, target: &referenceWorkspace.target)
        network.forward(&referenceWorkspace, backend: backend)
        network.writeOutputError(loss: loss, into: &referenceWorkspace)
    }

    /// The Frobenius norm of each hidden layer's credit under each of `rules`, on the probe batch.
    public mutating func creditNorms(network: Network, rules: [any LearningRule], loss: Loss, dataset: Dataset,
                                     backend: LinearAlgebraBackend) -> [[Double]] {
        prepare(network: network, loss: loss, dataset: dataset, backend: backend)
        return rules.map { rule in
            ruleWorkspace = referenceWorkspace
            var rule = rule
            var random = RandomSource(seed: seed, stream: 0x9E0C)
            rule.assignCredit(network: network, workspace: &ruleWorkspace, backend: backend, random: &random)
            return (0..<(network.depth - 1)).map { Alignment.squaredNorm(ruleWorkspace.credits[$0]).squareRoot() }
        }
    }

    /// Compares `rule` with `reference` (backprop of the same network; with rectilinear outputs,
    /// backprop through the same path as Kickback).
    public mutating func measure(network: Network, rule: any LearningRule, reference: any LearningRule = Backpropagation(),
                                 loss: Loss, dataset: Dataset, backend: LinearAlgebraBackend) -> GradientDiagnostics {
        prepare(network: network, loss: loss, dataset: dataset, backend: backend)
        ruleWorkspace = referenceWorkspace

        var reference = reference
        var random = RandomSource(seed: seed, stream: 0x9E0C)
        reference.assignCredit(network: network, workspace: &referenceWorkspace, backend: backend, random: &random)
        var rule = rule  // a copy: probing must not advance a rule that learns or draws per batch
        rule.assignCredit(network: network, workspace: &ruleWorkspace, backend: backend, random: &random)
        LocalUpdate.computeGradients(&referenceWorkspace, rule: reference, backend: backend)
        LocalUpdate.computeGradients(&ruleWorkspace, rule: rule, backend: backend)

        let hidden = network.depth - 1
        let feedback = rule.feedbackPairs.map { pair in
            GradientDiagnostics.Feedback(layer: pair.layer, kind: pair.kind, feedback: pair.feedback,
                                         weights: network.layers[pair.layer + 1].weights)
        }
        let rectifiers = network.layers.dropLast().allSatisfy { $0.activation.isRectifier }
        return GradientDiagnostics(
            weightAngles: (0..<hidden).map { Alignment.angle(ruleWorkspace.weightGradients[$0], referenceWorkspace.weightGradients[$0]) },
            creditAngles: (0..<hidden).map { Alignment.angle(ruleWorkspace.credits[$0], referenceWorkspace.credits[$0]) },
            creditSignAgreement: (0..<hidden).map { Alignment.signAgreement(ruleWorkspace.credits[$0], referenceWorkspace.credits[$0]) },
            coherence: rectifiers
                ? (0..<hidden).map { Kickback.coherence(Kickback.influence(of: $0, network: network, workspace: referenceWorkspace, backend: backend)) }
                : [],
            feedback: feedback,
            ruleColumns: { let columns = rule.probeColumns(network: network, workspace: referenceWorkspace, backend: backend)
                           return columns.isEmpty ? nil : columns }())
    }
}
