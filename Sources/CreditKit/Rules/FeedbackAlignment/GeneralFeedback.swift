/// The terms a hidden layer's credit can combine (Flam-Shepherd, general feedback alignment):
/// the credit of the layer below, the (output or auxiliary) error directly, the credit of the
/// layer above — each through its own fixed random matrix.
public struct FeedbackTerms: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The terms as bits: below 1, direct 2, above 4.
    public let rawValue: UInt8
    /// The terms of `rawValue`.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `uⁱ⁻¹ = B̄ⁱ δaⁱ⁻¹`, from the layer below.
    public static let below = FeedbackTerms(rawValue: 1)
    /// `uⁱ = Bⁱ eⁱ`, the error straight from the output (DFA) or from an auxiliary output (LAFS).
    public static let direct = FeedbackTerms(rawValue: 2)
    /// `uⁱ⁺¹ = B̃ⁱ δaⁱ⁺¹`, from the layer above (FA); for the top hidden layer, from `e`.
    public static let above = FeedbackTerms(rawValue: 4)

    /// The letters of the `terms:` syntax: `b`, `d`, `a`, in that order.
    public var description: String {
        (contains(.below) ? "b" : "") + (contains(.direct) ? "d" : "") + (contains(.above) ? "a" : "")
    }

    /// The terms named by letters `b`, `d`, `a` (any order, each once); `nil` otherwise.
    public init?(letters: Substring) {
        self = []
        guard !letters.isEmpty else { return nil }
        for letter in letters {
            switch letter {
            case "b": insert(.below)
            case "d": insert(.direct)
            case "a": insert(.above)
            default: return nil
            }
        }
    }
}

/// The general feedback rule: `δaⁱ = Fᵢ(uⁱ⁻¹, uⁱ, uⁱ⁺¹) ⊙ fᵢ'(aⁱ)` with `F` the element-wise mean
/// of the terms a layer has. FA (every layer `above`), DFA (every layer `direct`) and the
/// strategies s1–s3 are all instances; see ``GeneralFeedbackSettings`` for the presets.
///
/// **Which neighbour signal a term carries.** A `below` or `above` term uses the neighbour's
/// final credit `δa` when that neighbour does not in turn listen to this layer; when both listen
/// to each other (a cycle, as in s3) it uses the neighbour's DFA signal `δã = (Be) ⊙ f'(a)`
/// instead. This reproduces s1, s2 and s3 of the paper exactly and defines every other
/// combination at any depth without cycles.
///
/// **Auxiliary errors (LAFS, Experiment 2).** With `auxiliaryErrors`, the direct term of layer
/// `i` carries `eⁱ = ∂L/∂aₓⁱ` of an auxiliary readout `aₓⁱ = (Bⁱ)ᵀ hⁱ` through the same fixed `Bⁱ`
/// (softmax − y for cross-entropy, `aₓ − y` for squared error), rather than the output error.
/// ALGORITHMS.md reads the paper's `hⁱ⁻¹` as `hⁱ` **[reconstructed]**: with `hⁱ` the update is the
/// exact gradient of the auxiliary loss through the fixed readout.
public struct GeneralFeedback: LearningRule {
    /// The strategy's name (`fa`, `dfa`, `s1`…`s3`, `terms:…`).
    public let name: String
    /// Each hidden layer's terms, input side first.
    public let terms: [FeedbackTerms]
    /// LAFS: the direct terms carry per-layer auxiliary errors.
    public let auxiliaryErrors: Bool
    let loss: Loss
    /// `(B_direct)ᵀ`, `(n_out, nᵢ)`, for layers whose direct signal is used.
    var direct: [Matrix?]
    /// `(B̃)ᵀ`, shaped like `Wⁱ⁺¹` `(nᵢ₊₁, nᵢ)`.
    var above: [Matrix?]
    /// `(B̄)ᵀ`, `(nᵢ₋₁, nᵢ)`.
    var below: [Matrix?]
    /// The hidden layers in an order where every signal a layer needs is ready.
    let order: [Int]
    /// Layers whose DFA signal `δã` a neighbour uses.
    let needsDirectSignal: [Bool]
    private var directSignal: [Matrix]
    private var auxiliaryLogits: [Matrix]
    private var auxiliaryError: [Matrix]

    /// Errors name the layer and the term that cannot exist.
    public init(name: String, terms: [FeedbackTerms], network: Network, loss: Loss, family: FeedbackFamily,
                auxiliaryErrors: Bool, random: inout RandomSource) throws(ConfigurationError) {
        try Self.validate(terms, hiddenLayers: network.depth - 1, auxiliaryErrors: auxiliaryErrors, rule: name)
        self.name = name
        self.terms = terms
        self.auxiliaryErrors = auxiliaryErrors
        self.loss = loss
        let hidden = terms.count
        let sizes = network.architecture.sizes
        let outputs = sizes[hidden + 1]
        // A layer's DFA signal is needed when a neighbour reaches it through a cycle.
        needsDirectSignal = (0..<hidden).map { ℓ in
            (ℓ + 1 < hidden && terms[ℓ + 1].contains(.below) && terms[ℓ].contains(.above))
                || (ℓ > 0 && terms[ℓ - 1].contains(.above) && terms[ℓ].contains(.below))
        }
        var direct: [Matrix?] = [], above: [Matrix?] = [], below: [Matrix?] = []
        for ℓ in 0..<hidden {
            let width = sizes[ℓ + 1]
            direct.append(terms[ℓ].contains(.direct) || needsDirectSignal[ℓ]
                          ? family.transposedMatrix(sources: outputs, targets: width, random: &random) : nil)
            above.append(terms[ℓ].contains(.above)
                         ? family.transposedMatrix(sources: sizes[ℓ + 2], targets: width, random: &random) : nil)
            below.append(terms[ℓ].contains(.below)
                         ? family.transposedMatrix(sources: sizes[ℓ], targets: width, random: &random) : nil)
        }
        self.direct = direct
        self.above = above
        self.below = below
        order = Self.evaluationOrder(terms)
        directSignal = Array(repeating: Matrix(rows: 0, columns: 0), count: hidden)
        auxiliaryLogits = Array(repeating: Matrix(rows: 0, columns: 0), count: hidden)
        auxiliaryError = auxiliaryLogits
    }

    /// Checks a per-layer combination against a network with `hiddenLayers` hidden layers.
    public static func validate(_ terms: [FeedbackTerms], hiddenLayers: Int, auxiliaryErrors: Bool,
                                rule: String) throws(ConfigurationError) {
        guard terms.count == hiddenLayers else {
            throw .invalid(field: "rule", value: rule,
                           expected: "one term set per hidden layer (\(hiddenLayers) for --layers with \(hiddenLayers) widths), got \(terms.count)")
        }
        if let first = terms.first, first.contains(.below) {
            throw .invalid(field: "rule", value: rule, expected: "no 'b' (below) term in hidden layer 1: there is no hidden layer below it")
        }
        if let empty = terms.firstIndex(of: []) {
            throw .invalid(field: "rule", value: rule, expected: "at least one of b, d, a for hidden layer \(empty + 1)")
        }
        if auxiliaryErrors && !terms.contains(where: { $0.contains(.direct) }) {
            throw .invalid(field: "rule.auxiliaryErrors", value: rule, expected: "a rule with direct (d) terms: dfa, s1, s2, s3 or terms:… with d")
        }
    }

    static func evaluationOrder(_ terms: [FeedbackTerms]) -> [Int] {
        let hidden = terms.count
        var done = Array(repeating: false, count: hidden), order: [Int] = []
        func ready(_ ℓ: Int) -> Bool {
            let fromAbove = !terms[ℓ].contains(.above) || ℓ + 1 == hidden || terms[ℓ + 1].contains(.below) || done[ℓ + 1]
            let fromBelow = !terms[ℓ].contains(.below) || terms[ℓ - 1].contains(.above) || done[ℓ - 1]
            return fromAbove && fromBelow
        }
        while order.count < hidden {
            // Top-down first: FA's natural order.
            guard let next = (0..<hidden).reversed().first(where: { !done[$0] && ready($0) }) else {
                preconditionFailure("dependencies between adjacent layers go one way only")
            }
            done[next] = true
            order.append(next)
        }
        return order
    }

    /// `direct1…`: `Bⁱ` from the output error to hidden layer i; `above2…`: `Bⁱ` from layer i to
    /// i−1 (FA's path); `below1…`: from hidden layer i−1 to i.
    public var state: [NamedTensor] {
        get {
            direct.indices.compactMap { ℓ in direct[ℓ].map { NamedTensor("direct\(ℓ + 1)", $0) } }
                + above.indices.compactMap { ℓ in above[ℓ].map { NamedTensor("above\(ℓ + 2)", $0) } }
                + below.indices.compactMap { ℓ in below[ℓ].map { NamedTensor("below\(ℓ + 1)", $0) } }
        }
        set {
            for ℓ in direct.indices where direct[ℓ] != nil { direct[ℓ] = newValue[named: "direct\(ℓ + 1)"] ?? direct[ℓ] }
            for ℓ in above.indices where above[ℓ] != nil { above[ℓ] = newValue[named: "above\(ℓ + 2)"] ?? above[ℓ] }
            for ℓ in below.indices where below[ℓ] != nil { below[ℓ] = newValue[named: "below\(ℓ + 1)"] ?? below[ℓ] }
        }
    }

    public var feedbackPairs: [FeedbackPair] {
        var pairs: [FeedbackPair] = []
        for ℓ in above.indices {
            if let b = above[ℓ] { pairs.append(FeedbackPair(layer: ℓ, kind: "above", feedback: b)) }
        }
        // The top hidden layer's direct matrix carries e exactly where (Wᴸ)ᵀ would (as FA's Bᴸ).
        if let last = direct.last, let b = last, above.last! == nil {
            pairs.append(FeedbackPair(layer: direct.count - 1, kind: "direct", feedback: b))
        }
        return pairs
    }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        let hidden = terms.count
        let top = hidden
        let batch = workspace.batchSize
        for ℓ in 0..<hidden where direct[ℓ] != nil {
            if auxiliaryErrors {
                Self.ensure(&auxiliaryLogits[ℓ], rows: batch, columns: network.layers[top].outputs)
                Self.ensure(&auxiliaryError[ℓ], rows: batch, columns: network.layers[top].outputs)
                // Auxiliary logits aₓ = h · B (row layout), then the loss's error on them.
                backend.gemm(workspace.activities[ℓ], .none, direct[ℓ]!, .transposed, into: &auxiliaryLogits[ℓ])
                loss.gradient(output: auxiliaryLogits[ℓ], target: workspace.target, into: &auxiliaryError[ℓ])
            }
            if needsDirectSignal[ℓ] {
                Self.ensure(&directSignal[ℓ], rows: batch, columns: network.layers[ℓ].outputs)
                backend.gemm(error(for: ℓ, workspace), .none, direct[ℓ]!, .none, into: &directSignal[ℓ])
                network.layers[ℓ].multiplyByDerivative(&directSignal[ℓ], preActivation: workspace.preActivations[ℓ],
                                                                  activity: workspace.activities[ℓ])
            }
        }
        for ℓ in order {
            let t = terms[ℓ]
            let weight = 1 / Float(t.rawValue.nonzeroBitCount)
            var beta: Float = 0
            if t.contains(.direct) {
                backend.gemm(error(for: ℓ, workspace), .none, direct[ℓ]!, .none, into: &workspace.credits[ℓ], alpha: weight, beta: beta)
                beta = 1
            }
            if t.contains(.above) {
                let source = ℓ + 1 == top || !terms[ℓ + 1].contains(.below) ? workspace.credits[ℓ + 1] : directSignal[ℓ + 1]
                backend.gemm(source, .none, above[ℓ]!, .none, into: &workspace.credits[ℓ], alpha: weight, beta: beta)
                beta = 1
            }
            if t.contains(.below) {
                let source = terms[ℓ - 1].contains(.above) ? directSignal[ℓ - 1] : workspace.credits[ℓ - 1]
                backend.gemm(source, .none, below[ℓ]!, .none, into: &workspace.credits[ℓ], alpha: weight, beta: beta)
            }
            network.layers[ℓ].multiplyByDerivative(&workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                                                              activity: workspace.activities[ℓ])
        }
    }

    private func error(for layer: Int, _ workspace: Workspace) -> Matrix {
        auxiliaryErrors ? auxiliaryError[layer] : workspace.credits[terms.count]
    }

    /// Scratch sized to the batch: allocates on the first batch (or a larger probe batch) only.
    static func ensure(_ matrix: inout Matrix, rows: Int, columns: Int) {
        if matrix.columns != columns { matrix = Matrix(rows: rows, columns: columns) } else { matrix.resizeRows(rows) }
    }
}
